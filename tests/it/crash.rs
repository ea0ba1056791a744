//! Crash safety: `accord extract` killed with SIGKILL at any moment — while it extracts, while
//! it saves the store's snapshot, after — leaves a store that opens, in which every document is
//! wholly as the run before left it or wholly as the killed run would have, and the next run
//! succeeds and leaves no temporary file behind.
//!
//! Real timing, no hook in the binary: the corpus is many copies of the Moscow text, so the
//! snapshot takes long enough to save that a kill can land in it. Kills land after fixed
//! fractions of a clean run's time, and as soon as the snapshot's temporary file shows in the
//! store's folder (polled), until at least one kill is seen to have landed during the save: a
//! temporary file left behind.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use accord::store::{DocumentEntry, Manifest, Store};

use crate::support::{accord, root, stderr, stdout};

/// Copies of the text: enough that the snapshot holds some 80,000 quads in a release build,
/// fewer in a debug build, where every step is slower alike.
const COPIES: usize = if cfg!(debug_assertions) { 2 } else { 16 };

/// Files a save writes before renaming them into place.
const TEMPORARY: [&str; 2] = ["quads.nq.tmp", "manifest.json.tmp"];

/// The corpus of one version: `COPIES` files, the web copy's text in version 1 and the print
/// copy's in version 2, so every document's graphs change.
fn write_corpus(dir: &Path, version: u8) {
    let source = match version {
        1 => "corpus/moscow-2020-web.txt",
        _ => "corpus/moscow-2020-print.txt",
    };
    let text = fs::read(root().join(source)).unwrap();
    let input = dir.join("in");
    fs::create_dir_all(&input).unwrap();
    // Each copy ends with a line of its own: identical files would be one document.
    for i in 0..COPIES {
        let mut copy = text.clone();
        copy.extend_from_slice(format!("\n\n{i}\n").as_bytes());
        fs::write(input.join(format!("doc-{i:02}.txt")), copy).unwrap();
    }
}

const EXTRACT: &[&str] = &["extract", "--quiet", "--out", "out", "in"];

fn extract(dir: &Path) {
    let out = accord(dir, EXTRACT);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// What the store of `dir/out` holds: the quads of each graph and the manifest's entries.
#[derive(PartialEq)]
struct Snapshot {
    graphs: BTreeMap<String, Vec<String>>,
    documents: BTreeMap<String, DocumentEntry>,
}

fn snapshot(dir: &Path) -> Snapshot {
    let store = Store::open(&dir.join("out")).expect("the store opens");
    let mut graphs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for q in store.sorted_quads().unwrap() {
        let mut q = q;
        let graph = q.graph_name.to_string();
        q.graph_name = oxigraph::model::GraphName::DefaultGraph;
        graphs.entry(graph).or_default().push(q.to_string());
    }
    Snapshot {
        graphs,
        documents: store.manifest.documents.clone(),
    }
}

/// The version (1 or 2) every graph and manifest entry of document `key` in `now` belongs to;
/// panics when a graph or entry is of neither or they are of different versions.
fn version_of(key: &str, now: &Snapshot, v1: &Snapshot, v2: &Snapshot) -> u8 {
    let graphs = [
        format!("<https://w3id.org/accord/id/graph/{key}>"),
        format!("<https://w3id.org/accord/id/graph/{key}/provenance>"),
    ];
    let matches = |v: &Snapshot| {
        graphs.iter().all(|g| now.graphs.get(g) == v.graphs.get(g))
            && now.documents.get(key) == v.documents.get(key)
    };
    match (matches(v1), matches(v2)) {
        (true, _) => 1,
        (_, true) => 2,
        _ => panic!("document {key} is neither wholly version 1 nor wholly version 2"),
    }
}

/// When to kill the run.
#[derive(Clone, Copy, Debug)]
enum Kill {
    After(Duration),
    /// As soon as this file shows in the store's folder.
    OnceExists(&'static str),
}

/// Starts `accord extract` in `dir`, kills it with SIGKILL at `kill`; whether it was killed
/// (not already finished).
fn run_and_kill(dir: &Path, kill: Kill) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(EXTRACT)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("accord starts");
    let start = Instant::now();
    let store = dir.join("out/store");
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let now = match kill {
            Kill::After(delay) => start.elapsed() >= delay,
            Kill::OnceExists(file) => store.join(file).exists(),
        };
        if now {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Temporary files and unreferenced snapshots in the store's folder.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir.join("out/store"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "manifest.json")
        .collect();
    names.sort();
    let manifest = fs::read_to_string(dir.join("out/store/manifest.json")).unwrap();
    let manifest: Manifest = serde_json::from_str(&manifest).unwrap();
    names.retain(|n| *n != manifest.quads_file);
    names
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap().flatten() {
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn a_killed_extract_leaves_every_document_wholly_old_or_wholly_new() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, clean) = (tmp.path().join("work"), tmp.path().join("clean"));
    // Version 1 stored; version 2 extracted on its own for comparison, timed.
    write_corpus(&work, 1);
    extract(&work);
    let v1 = snapshot(&work);
    let saved = tmp.path().join("v1-store");
    copy_dir(&work.join("out/store"), &saved);
    write_corpus(&clean, 2);
    let started = Instant::now();
    extract(&clean);
    let full = started.elapsed();
    let v2 = snapshot(&clean);
    assert_eq!(v1.documents.len(), COPIES);
    assert!(v1.graphs != v2.graphs);
    // The files change to version 2; the store starts each time as version 1 left it.
    write_corpus(&work, 2);
    let mut kills: Vec<Kill> = [1, 5]
        .iter()
        .map(|&tenths| Kill::After(full * tenths / 10))
        .collect();
    kills.push(Kill::OnceExists(TEMPORARY[0]));
    kills.push(Kill::OnceExists(TEMPORARY[1]));
    let mut in_save = 0;
    let mut attempts = 0;
    let mut versions = Vec::new();
    while let Some(kill) = kills.pop() {
        copy_dir(&saved, &work.join("out/store"));
        let killed = run_and_kill(&work, kill);
        let now = snapshot(&work);
        let left = leftovers(&work);
        let version = version_of("doc-00", &now, &v1, &v2);
        // The snapshot is one: every document of the same version.
        for key in v1.documents.keys() {
            assert_eq!(
                version_of(key, &now, &v1, &v2),
                version,
                "{key} after {kill:?}"
            );
        }
        let answer = accord(&work, &["query", "ASK { ?s ?p ?o }", "--out", "out"]);
        assert_eq!(stdout(&answer), "true\n", "{}", stderr(&answer));
        versions.push((kill, killed, version, left.clone()));
        let during_save = left.iter().any(|n| TEMPORARY.contains(&n.as_str()));
        in_save += usize::from(during_save);
        if during_save && in_save == 1 {
            // The next run succeeds, stores version 2 and clears what the killed one left.
            extract(&work);
            assert!(snapshot(&work) == v2, "rerun after {kill:?}");
            assert_eq!(leftovers(&work), Vec::<String>::new(), "after {kill:?}");
        } else if kills.is_empty() && in_save == 0 && attempts < 20 {
            // No kill landed during the save yet: try again.
            attempts += 1;
            kills.push(Kill::OnceExists(TEMPORARY[0]));
        }
    }
    eprintln!("a clean run took {full:?}; kills: {versions:?}");
    assert!(in_save > 0, "no kill landed during the save: {versions:?}");
    // A kill early in the run (a tenth of a clean run's time) leaves version 1.
    assert!(versions.iter().any(|v| v.1 && v.2 == 1), "{versions:?}");
}
