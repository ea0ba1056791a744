//! Extraction throughput, over real text.
//!
//!     cargo bench --bench extract                      # the bundled corpus, 20 rounds
//!     python3 bench/make_corpus.py --size 10MB --out bench-corpus/10MB --no-jsonl
//!     ACCORD_BENCH_CORPUS=bench-corpus/10MB/docs cargo bench --bench extract
//!
//! Reads every `*.txt` of the corpus once, then times `extract` + `to_quads` (every stage up
//! to RDF, no store) and prints MB/s. On the bundled corpus it also asserts the number of facts,
//! so a faster run that finds less is not mistaken for progress.

use std::path::{Path, PathBuf};
use std::time::Instant;

use accord::rdf::Vocab;
use accord::read::{Document, read_file};
use accord::rules::Rules;

/// Facts of the two bundled copies of the Moscow Declaration (print + web).
const BUNDLED_FACTS: usize = 360;

fn main() {
    let custom = std::env::var_os("ACCORD_BENCH_CORPUS").map(PathBuf::from);
    let dir = custom
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let rounds = if custom.is_some() { 1 } else { 20 };
    let t = Instant::now();
    let rules = Rules::embedded().expect("rules compile");
    println!(
        "rules compiled in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let docs = read_all(&dir);
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let vocab = Vocab::default();
    let mut facts = 0;
    let mut quads = 0;
    let t = Instant::now();
    for _ in 0..rounds {
        facts = 0;
        quads = 0;
        for d in &docs {
            let x = accord::extract(&rules, d.clone());
            facts += x.facts.len();
            quads += accord::to_quads(&rules, &vocab, &x).len();
        }
    }
    let secs = t.elapsed().as_secs_f64() / rounds as f64;
    println!(
        "{} documents, {:.2} MB: {facts} facts, {quads} quads in {:.3} s per round ({:.2} MB/s, {:.0} documents/s)",
        docs.len(),
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs,
        docs.len() as f64 / secs
    );
    if custom.is_none() {
        assert_eq!(
            facts, BUNDLED_FACTS,
            "the bundled corpus gives another number of facts"
        );
    }
}

fn read_all(dir: &Path) -> Vec<Document> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| read_file(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}
