//! Incremental runs: a document read from the same input with the same rules and build is not
//! extracted again, a run that changes nothing writes nothing, `--prune` and `accord remove`
//! drop documents, and a content already stored is not stored twice. On copies of `corpus/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use crate::support::{accord, root, stderr, stdout};

const WEB: &str = "corpus/moscow-2020-web.txt";
const PRINT: &str = "corpus/moscow-2020-print.txt";
const GREEN_BELT: &str = "成员国注意到乌兹别克斯坦共和国关于制定旨在推广使用节能环保清洁技术的《上合组织绿色之带纲要》的倡议。";

/// A folder holding a copy of `corpus/`, extracted once into `output/`.
fn extracted() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("corpus")).unwrap();
    for f in [WEB, PRINT] {
        fs::copy(root().join(f), tmp.path().join(f)).unwrap();
    }
    ok(tmp.path(), &["extract"]);
    tmp
}

/// Runs accord, checking that it succeeded.
fn ok(dir: &Path, args: &[&str]) -> Output {
    let o = accord(dir, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    o
}

/// The `[n/m] file: …` lines of a run: the documents it extracted.
fn extracted_lines(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with('['))
        .map(|l| l.split_once(':').unwrap().0.to_string())
        .collect()
}

/// The summary line, without its time.
fn summary(o: &Output) -> String {
    let err = stderr(o);
    let last = err.lines().last().unwrap_or_default();
    last.rsplit_once(" in ").map_or(last, |s| s.0).to_string()
}

/// Every file under `output/`, with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.join("output")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let (path, meta) = (e.path(), e.metadata().unwrap());
            if meta.is_dir() {
                stack.push(path);
            } else {
                files.insert(
                    path.clone(),
                    (fs::read(&path).unwrap(), meta.modified().unwrap()),
                );
            }
        }
    }
    files
}

/// The quads of one document's fact and provenance graphs in `output/graph.nq`.
fn document_quads(dir: &Path, key: &str) -> Vec<String> {
    let graph = format!("<https://w3id.org/accord/id/graph/{key}");
    fs::read_to_string(dir.join("output/graph.nq"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(&graph))
        .map(str::to_string)
        .collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("output/store/manifest.json")).unwrap()).unwrap()
}

fn stored_keys(dir: &Path) -> Vec<String> {
    manifest(dir)["documents"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn an_unchanged_rerun_extracts_nothing_and_writes_nothing() {
    let tmp = extracted();
    let before = snapshot(tmp.path());
    assert_eq!(before.len(), 9, "{:?}", before.keys());
    for args in [
        &["extract"][..],
        &["extract", "corpus"],
        &["extract", WEB, PRINT],
    ] {
        let o = ok(tmp.path(), args);
        assert_eq!(extracted_lines(&o), Vec::<String>::new(), "{args:?}");
        assert_eq!(
            summary(&o),
            "summary: 2 documents (2 unchanged), 396 facts, 0 skipped, 0 errors",
            "{args:?}"
        );
        assert!(
            stderr(&o).contains("nothing changed: 2 documents unchanged in output/store"),
            "{}",
            stderr(&o)
        );
        // The same bytes, and not even written again.
        assert!(snapshot(tmp.path()) == before, "{args:?} touched output/");
    }
    // One of the two alone: the other stays in the store, as it was.
    let o = ok(tmp.path(), &["extract", WEB]);
    assert_eq!(
        summary(&o),
        "summary: 1 document (1 unchanged), 202 facts, 0 skipped, 0 errors"
    );
    assert!(snapshot(tmp.path()) == before);
    // A deleted export is written again (and the others with it).
    fs::remove_file(tmp.path().join("output/graph.ttl")).unwrap();
    let o = ok(tmp.path(), &["extract"]);
    assert_eq!(extracted_lines(&o), Vec::<String>::new());
    let after = snapshot(tmp.path());
    assert_eq!(
        after.iter().map(|(p, f)| (p, &f.0)).collect::<Vec<_>>(),
        before.iter().map(|(p, f)| (p, &f.0)).collect::<Vec<_>>()
    );
}

#[test]
fn a_changed_file_is_extracted_again_alone() {
    let tmp = extracted();
    let print = document_quads(tmp.path(), "moscow-2020-print");
    let web = fs::read_to_string(tmp.path().join(WEB)).unwrap();
    assert!(web.contains(GREEN_BELT));
    fs::write(tmp.path().join(WEB), web.replace(GREEN_BELT, "")).unwrap();
    let o = ok(tmp.path(), &["extract"]);
    assert_eq!(extracted_lines(&o), ["[2/2] corpus/moscow-2020-web.txt"]);
    assert_eq!(
        summary(&o),
        "summary: 2 documents (1 unchanged), 394 facts, 0 skipped, 0 errors"
    );
    assert!(stderr(&o).contains("stored 1 document (1 unchanged, 2 in the store,"));
    // The changed text lost its fact; the other document's quads are the same.
    let proposals = |key: &str| {
        let q = format!(
            "SELECT ?x WHERE {{ GRAPH <https://w3id.org/accord/id/graph/{key}> {{ \
             <https://w3id.org/accord/id/state/uzb> <https://w3id.org/accord/ontology#proposed> ?x }} }}"
        );
        stdout(&ok(tmp.path(), &["query", &q]))
    };
    assert!(proposals("moscow-2020-print").contains("绿色之带"));
    assert!(!proposals("moscow-2020-web").contains("绿色之带"));
    assert_eq!(document_quads(tmp.path(), "moscow-2020-print"), print);
    // The manifest records the new content.
    let hash = manifest(tmp.path())["documents"]["moscow-2020-web"]["content_hash"].clone();
    let o = ok(tmp.path(), &["extract"]);
    assert_eq!(extracted_lines(&o), Vec::<String>::new());
    assert_eq!(
        manifest(tmp.path())["documents"]["moscow-2020-web"]["content_hash"],
        hash
    );
}

#[test]
fn other_rules_or_another_build_extract_every_document_again() {
    let tmp = extracted();
    // A copy of the rules with one comment more: another rules hash.
    let rules = tmp.path().join("myrules");
    copy_dir(&root().join("rules"), &rules);
    let file = rules.join("lexicon.toml");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, format!("{text}\n# edited\n")).unwrap();
    let all = [
        "[1/2] corpus/moscow-2020-print.txt",
        "[2/2] corpus/moscow-2020-web.txt",
    ];
    let o = ok(tmp.path(), &["--rules", "myrules", "extract"]);
    assert_eq!(extracted_lines(&o), all);
    assert_eq!(
        summary(&o),
        "summary: 2 documents, 396 facts, 0 skipped, 0 errors"
    );
    let o = ok(tmp.path(), &["--rules", "myrules", "extract"]);
    assert_eq!(extracted_lines(&o), Vec::<String>::new());
    // Back to the built-in rules; then a store that records another build, or no base (made
    // before bases were recorded), or its document read in another encoding.
    let o = ok(tmp.path(), &["extract"]);
    assert_eq!(extracted_lines(&o), all);
    let path = tmp.path().join("output/store/manifest.json");
    for (field, value, extracted) in [
        ("/build", "0.0.1 0000000000000000", &all[..]),
        ("/base", "", &all[..]),
        ("/documents/moscow-2020-web/encoding", "GBK", &all[1..]),
        (
            "/documents/moscow-2020-print/source",
            "x/moscow-2020-print.txt",
            &all[..1],
        ),
    ] {
        let mut m = manifest(tmp.path());
        *m.pointer_mut(field).unwrap() = value.into();
        fs::write(&path, serde_json::to_string(&m).unwrap()).unwrap();
        let o = ok(tmp.path(), &["extract"]);
        assert_eq!(extracted_lines(&o), extracted, "{field}");
        assert_ne!(
            manifest(tmp.path()).pointer(field).unwrap(),
            value,
            "{field}"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap().flatten() {
        if e.metadata().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn prune_drops_the_documents_no_input_names() {
    let tmp = extracted();
    fs::remove_file(tmp.path().join(PRINT)).unwrap();
    // Without --prune the document stays.
    let o = ok(tmp.path(), &["extract"]);
    assert_eq!(
        summary(&o),
        "summary: 1 document (1 unchanged), 202 facts, 0 skipped, 0 errors"
    );
    assert_eq!(
        stored_keys(tmp.path()),
        ["moscow-2020-print", "moscow-2020-web"]
    );
    // Not while an input cannot be read: its document may be the one not named.
    fs::write(tmp.path().join("corpus/broken.txt"), b"PK\x03\x04\x00\x00").unwrap();
    let o = accord(tmp.path(), &["extract", "--prune"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nothing pruned"), "{}", stderr(&o));
    assert_eq!(stored_keys(tmp.path()).len(), 2);
    fs::remove_file(tmp.path().join("corpus/broken.txt")).unwrap();
    let o = ok(tmp.path(), &["extract", "--prune"]);
    assert_eq!(extracted_lines(&o), Vec::<String>::new());
    assert!(
        stderr(&o).contains("pruned 1 document no input names: moscow-2020-print"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stored_keys(tmp.path()), ["moscow-2020-web"]);
    assert!(document_quads(tmp.path(), "moscow-2020-print").is_empty());
    assert!(!document_quads(tmp.path(), "moscow-2020-web").is_empty());
    let ask = "ASK { GRAPH <https://w3id.org/accord/id/graph/moscow-2020-print/provenance> { ?s ?p ?o } }";
    assert_eq!(stdout(&ok(tmp.path(), &["query", ask])).trim(), "false");
    // --prune is about the store.
    let o = accord(tmp.path(), &["extract", "--prune", "--stdout"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn remove_drops_named_documents_and_refuses_unknown_keys() {
    let tmp = extracted();
    let before = snapshot(tmp.path());
    for (keys, error) in [
        (
            &["nowhere"][..],
            "output/store holds no document \"nowhere\" (its keys are file stems and record ids: moscow-2020-print, moscow-2020-web)",
        ),
        (
            &["moscow-2020-web", "moscow-2020-web.txt"],
            "output/store holds no document \"moscow-2020-web.txt\"",
        ),
    ] {
        let o = accord(tmp.path(), &[&["remove"], keys].concat());
        assert_eq!(o.status.code(), Some(2), "{keys:?}");
        assert!(
            stderr(&o).starts_with(&format!("accord: {error}")),
            "{}",
            stderr(&o)
        );
        assert!(snapshot(tmp.path()) == before, "{keys:?} touched output/");
    }
    let print = document_quads(tmp.path(), "moscow-2020-print");
    let o = ok(tmp.path(), &["remove", "moscow-2020-web"]);
    assert!(
        stderr(&o).starts_with(
            "removed 1 document (moscow-2020-web) from output/store (1 in the store, "
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(stored_keys(tmp.path()), ["moscow-2020-print"]);
    assert!(document_quads(tmp.path(), "moscow-2020-web").is_empty());
    assert_eq!(document_quads(tmp.path(), "moscow-2020-print"), print);
    // The exports are those `accord export` writes on demand from the store.
    for (format, file) in [
        ("turtle", "graph.ttl"),
        ("nquads", "graph.nq"),
        ("trig", "graph.trig"),
        ("jsonld", "graph.jsonld"),
        ("dot", "graph.dot"),
        ("graphml", "graph.graphml"),
    ] {
        let o = ok(tmp.path(), &["export", "--format", format]);
        let written = fs::read(tmp.path().join("output").join(file)).unwrap();
        assert!(
            o.stdout == written,
            "{file} is not what `accord export` writes"
        );
    }
    let o = ok(tmp.path(), &["export", "--format", "turtle", "--gazetteer"]);
    assert!(o.stdout == fs::read(tmp.path().join("output/entities.ttl")).unwrap());
    // Extracting again brings it back, the other unchanged.
    let o = ok(tmp.path(), &["extract"]);
    assert_eq!(extracted_lines(&o), ["[2/2] corpus/moscow-2020-web.txt"]);
}

#[test]
fn the_same_content_twice_is_reported_and_stored_once() {
    let tmp = extracted();
    let before = snapshot(tmp.path());
    // A copy named before the stored original, one after it: the stored one is kept.
    for copy in ["corpus/a-copy.txt", "corpus/z-copy.txt"] {
        fs::copy(tmp.path().join(WEB), tmp.path().join(copy)).unwrap();
        let o = accord(tmp.path(), &["extract"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!(
                "accord: {copy} has the same content as {WEB}: not stored again"
            )),
            "{}",
            stderr(&o)
        );
        assert_eq!(extracted_lines(&o), Vec::<String>::new());
        assert_eq!(
            summary(&o),
            "summary: 2 documents (2 unchanged), 396 facts, 1 skipped, 0 errors"
        );
        assert!(snapshot(tmp.path()) == before);
        fs::remove_file(tmp.path().join(copy)).unwrap();
    }
    // In a new store, the first read is kept.
    fs::copy(
        tmp.path().join(PRINT),
        tmp.path().join("corpus/print-copy.txt"),
    )
    .unwrap();
    let o = accord(tmp.path(), &["extract", "--out", "fresh"]);
    assert!(
        stderr(&o).contains(&format!(
            "accord: corpus/print-copy.txt has the same content as {PRINT}"
        )),
        "{}",
        stderr(&o)
    );
    let fresh: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("fresh/store/manifest.json")).unwrap())
            .unwrap();
    let keys: Vec<&String> = fresh["documents"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["moscow-2020-print", "moscow-2020-web"]);
    fs::remove_file(tmp.path().join("corpus/print-copy.txt")).unwrap();
    // A stored file that now holds another's content is dropped; contents that change places
    // in one run are no duplicates.
    let web = fs::read(tmp.path().join(WEB)).unwrap();
    let print = fs::read(tmp.path().join(PRINT)).unwrap();
    fs::write(tmp.path().join(PRINT), &web).unwrap();
    let o = accord(tmp.path(), &["extract"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(&format!("accord: {PRINT} has the same content as {WEB}")));
    assert_eq!(stored_keys(tmp.path()), ["moscow-2020-web"]);
    fs::write(tmp.path().join(PRINT), &web).unwrap();
    fs::write(tmp.path().join(WEB), &print).unwrap();
    let o = ok(tmp.path(), &["extract"]);
    assert_eq!(extracted_lines(&o).len(), 2, "{}", stderr(&o));
    assert_eq!(
        stored_keys(tmp.path()),
        ["moscow-2020-print", "moscow-2020-web"]
    );
}
