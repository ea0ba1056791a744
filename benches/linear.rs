//! Linear time on pathological input: the release binary's `extract --stdout --quiet` on one
//! file of each kind below, at two sizes (10 and 50 MB unless sizes in MB are given), timed
//! from start to exit:
//!
//!     cargo bench --bench linear            # 10 MB and 50 MB
//!     cargo bench --bench linear -- 2 10    # quicker
//!
//! - `unpunctuated`: ideographs of the Moscow text drawn at random, without one punctuation
//!   mark or line break: one paragraph, one sentence of millions of characters;
//! - `unclosed`: `《` then `“`, each a quarter of the file, opened and never closed;
//! - `nested`: `《“` pairs nested as deep as the file allows around one name, then closed.
//!
//! Each kind's time ratio between the two sizes is printed beside the ratio of the sizes; a
//! ratio more than 1.6 times the sizes' fails the run (quadratic time would give the square).
//! Results: `reports/linear-2026-12-07.md`.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const MB: usize = 1024 * 1024;

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (small, large) = match sizes[..] {
        [a, b] => (a, b),
        _ => (10, 50),
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let moscow = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/moscow-2020-web.txt"),
    )
    .expect("the Moscow text");
    let ideographs: Vec<char> = moscow
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .collect();
    let kinds: [(&str, &dyn Fn(usize) -> String); 3] = [
        ("unpunctuated", &|mb| unpunctuated(&ideographs, mb)),
        ("unclosed", &unclosed),
        ("nested", &nested),
    ];
    println!(
        "kind            {small:>4} MB   {large:>4} MB   ratio (sizes {:.1})",
        ratio(small, large)
    );
    let mut failed = false;
    for (name, make) in kinds {
        let times: Vec<f64> = [small, large]
            .iter()
            .map(|&mb| {
                let path = dir.path().join(format!("{name}-{mb}.txt"));
                fs::write(&path, make(mb)).expect("input written");
                let t = time_extract(&path);
                fs::remove_file(&path).expect("input removed");
                t
            })
            .collect();
        let r = times[1] / times[0];
        let linear = r <= 1.6 * ratio(small, large);
        failed |= !linear;
        println!(
            "{name:<14} {:>7.2} s {:>7.2} s   {r:.2} {}",
            times[0],
            times[1],
            if linear { "linear" } else { "NOT LINEAR" }
        );
    }
    if failed {
        std::process::exit(1);
    }
}

fn ratio(small: usize, large: usize) -> f64 {
    large as f64 / small as f64
}

/// Seconds `accord extract --stdout --quiet FILE` takes; its output is read and dropped.
fn time_extract(path: &Path) -> f64 {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["extract", "--stdout", "--quiet"])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("accord runs");
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed().as_secs_f64()
}

/// About `mb` MB of ideographs drawn from `from` by a fixed linear congruential sequence.
fn unpunctuated(from: &[char], mb: usize) -> String {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut out = String::with_capacity(mb * MB);
    while out.len() < mb * MB {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        out.push(from[(state >> 33) as usize % from.len()]);
    }
    out
}

/// `《` and `“` (three bytes each), each half of about `mb` MB, never closed.
fn unclosed(mb: usize) -> String {
    let half = mb * MB / 6;
    "《".repeat(half) + &"“".repeat(half)
}

/// `《“` pairs around one name, then their closing marks: about `mb` MB.
fn nested(mb: usize) -> String {
    let pairs = mb * MB / 12;
    "《“".repeat(pairs) + "上海合作组织" + &"”》".repeat(pairs)
}
