//! The `accord` binary, run as a user would, in a temporary folder.

use std::fs;
use std::path::Path;

use crate::support::{accord, root, stderr, stdout};

fn corpus_in(dir: &Path) {
    fs::create_dir_all(dir.join("corpus")).unwrap();
    for f in ["moscow-2020-web.txt", "moscow-2020-print.txt"] {
        fs::copy(root().join("corpus").join(f), dir.join("corpus").join(f)).unwrap();
    }
}

const BRI: &str = "PREFIX acc: <https://w3id.org/accord/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?name WHERE {
  ?state acc:supports <https://w3id.org/accord/id/initiative/bri> ; a acc:State ; rdfs:label ?name .
  FILTER(lang(?name) = 'en')
} ORDER BY ?name";

/// A folder with the bundled corpus, extracted.
fn extracted_corpus() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    corpus_in(tmp.path());
    assert!(accord(tmp.path(), &["extract"]).status.success());
    tmp
}

/// The answer to a SPARQL query over the store in `dir`, as SPARQL TSV (terms in SPARQL
/// syntax: `"…"@zh`, `<iri>`).
fn ask_tsv(dir: &Path, q: &str) -> String {
    let o = accord(dir, &["query", q, "--format", "sparql-tsv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn extract_then_query_which_states_support_the_belt_and_road() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_in(tmp.path());
    let out = accord(tmp.path(), &["extract"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for f in [
        "graph.ttl",
        "graph.nq",
        "graph.trig",
        "graph.jsonld",
        "graph.dot",
        "graph.graphml",
        "entities.ttl",
        "store/manifest.json",
    ] {
        assert!(
            tmp.path().join("output").join(f).is_file(),
            "missing output/{f}"
        );
    }
    let q = accord(tmp.path(), &["query", BRI, "--format", "csv"]);
    assert!(q.status.success(), "{}", stderr(&q));
    assert_eq!(
        stdout(&q).replace("\r\n", "\n"),
        "name\nKazakhstan\nKyrgyzstan\nPakistan\nRussia\nTajikistan\nUzbekistan\n"
    );
}

#[test]
fn rerunning_replaces_a_document_and_exports_are_byte_identical() {
    let tmp = extracted_corpus();
    let first = fs::read(tmp.path().join("output/graph.nq")).unwrap();
    let jsonld = fs::read(tmp.path().join("output/graph.jsonld")).unwrap();
    // Re-extract one file, then both: nothing is duplicated, nothing changes.
    assert!(
        accord(tmp.path(), &["extract", "corpus/moscow-2020-web.txt"])
            .status
            .success()
    );
    assert_eq!(fs::read(tmp.path().join("output/graph.nq")).unwrap(), first);
    assert!(accord(tmp.path(), &["extract"]).status.success());
    assert_eq!(fs::read(tmp.path().join("output/graph.nq")).unwrap(), first);
    assert_eq!(
        fs::read(tmp.path().join("output/graph.jsonld")).unwrap(),
        jsonld
    );
    let count = accord(
        tmp.path(),
        &[
            "query",
            // graph.nq holds every graph but the gazetteer's (entities.ttl).
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <https://w3id.org/accord/id/graph/entities>) }",
            "--format",
            "tsv",
        ],
    );
    let n: usize = stdout(&count)
        .lines()
        .nth(1)
        .unwrap()
        .split('^')
        .next()
        .unwrap()
        .trim_matches('"')
        .parse()
        .unwrap();
    assert_eq!(n, String::from_utf8(first).unwrap().lines().count());
}

#[test]
fn committed_exports_are_up_to_date() {
    let tmp = extracted_corpus();
    for f in [
        "graph.ttl",
        "graph.nq",
        "graph.trig",
        "graph.jsonld",
        "graph.dot",
        "graph.graphml",
        "entities.ttl",
    ] {
        let fresh = fs::read_to_string(tmp.path().join("output").join(f)).unwrap();
        let committed = fs::read_to_string(root().join("output").join(f)).unwrap_or_default();
        assert!(
            fresh == committed,
            "output/{f} is stale: run `cargo run -- extract` and commit output/"
        );
    }
}

#[test]
fn queries_answer_analyst_questions() {
    let tmp = extracted_corpus();
    let ask = |q: &str| ask_tsv(tmp.path(), q);
    // What did Uzbekistan propose? Seven proposals of the declaration, one of them a 《title》.
    let uzb = ask(
        "PREFIX acc: <https://w3id.org/accord/ontology#> SELECT DISTINCT ?x WHERE { <https://w3id.org/accord/id/state/uzb> acc:proposed ?x }",
    );
    assert_eq!(uzb.lines().count() - 1, 8, "{uzb}");
    assert!(uzb.contains("document/上海合作组织绿色之带纲要"), "{uzb}");
    // Which meetings were held in Moscow?
    let moscow = ask(
        "PREFIX acc: <https://w3id.org/accord/ontology#> SELECT DISTINCT ?e WHERE { ?e acc:heldIn ?c . ?c <http://www.w3.org/2000/01/rdf-schema#label> \"莫斯科\"@zh }",
    );
    for e in [
        "青年委员会例行会议@2020-10-29",
        "科技部长第五次会议@2019-11-21",
        "卫生防疫部门负责人会议@2019-12-16",
        "模拟上海合作组织比赛@2020-07-03",
    ] {
        assert!(moscow.contains(e), "{e} not in\n{moscow}");
    }
    assert_eq!(moscow.lines().count() - 1, 4, "{moscow}");
    // What was signed in Dushanbe, and when?
    let dushanbe = ask(
        "PREFIX acc: <https://w3id.org/accord/ontology#> SELECT DISTINCT ?d ?on WHERE { ?d acc:signedIn <https://w3id.org/accord/id/city/dushanbe> ; acc:signedOn ?on }",
    );
    assert!(
        dushanbe.contains("上海合作组织成员国粮食安全合作纲要") && dushanbe.contains("2018-10-12"),
        "{dushanbe}"
    );
    // ASK works too.
    assert_eq!(ask("ASK { ?s ?p ?o }"), "true\n");
}

const REPRESENTS: &str = "PREFIX acc: <https://w3id.org/accord/ontology#> \
    CONSTRUCT { ?p acc:represents ?s } WHERE { ?p acc:represents ?s }";

#[test]
fn select_prints_plain_tsv_when_piped_and_sparql_tsv_on_request() {
    let tmp = extracted_corpus();
    let bri = root().join("queries/bri-supporters.rq");
    let bri = bri.to_str().unwrap();
    // Piped, no --format: plain values, a header of names.
    let plain = accord(tmp.path(), &["query", "-f", bri]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert_eq!(
        stdout(&plain),
        "state\tname\n哈萨克斯坦\tKazakhstan\n吉尔吉斯斯坦\tKyrgyzstan\n巴基斯坦\tPakistan\n\
         俄罗斯\tRussia\n塔吉克斯坦\tTajikistan\n乌兹别克斯坦\tUzbekistan\n"
    );
    let tsv = accord(tmp.path(), &["query", "-f", bri, "--format", "tsv"]);
    assert_eq!(stdout(&tsv), stdout(&plain));
    let sparql = accord(tmp.path(), &["query", "-f", bri, "--format", "sparql-tsv"]);
    assert!(
        stdout(&sparql).starts_with("?state\t?name\n\"哈萨克斯坦\"@zh\t\"Kazakhstan\"@en\n"),
        "{}",
        stdout(&sparql)
    );
    // IRIs without <>, numbers without their datatype.
    let iri = accord(
        tmp.path(),
        &[
            "query",
            "SELECT ?s (1 AS ?n) WHERE { VALUES ?s { <https://w3id.org/accord/id/state/uzb> } }",
        ],
    );
    assert_eq!(
        stdout(&iri),
        "s\tn\nhttps://w3id.org/accord/id/state/uzb\t1\n"
    );
    // A tab, a line break or a backslash inside a value cannot break the row.
    let escaped = accord(
        tmp.path(),
        &[
            "query",
            r#"SELECT ?x WHERE { BIND("a\tb\nc\\d\re" AS ?x) }"#,
        ],
    );
    assert_eq!(stdout(&escaped), "x\na\\tb\\nc\\\\d\\re\n");
}

#[test]
fn construct_prints_each_triple_once_with_prefixes_in_the_format_asked() {
    let tmp = extracted_corpus();
    // Both copies of the declaration state each of the eight facts: printed once each.
    let turtle = accord(tmp.path(), &["query", REPRESENTS]);
    assert!(turtle.status.success(), "{}", stderr(&turtle));
    let turtle = stdout(&turtle);
    for prefix in [
        "@prefix acc: <https://w3id.org/accord/ontology#> .",
        "@prefix id: <https://w3id.org/accord/id/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
    ] {
        assert!(turtle.contains(prefix), "{prefix} not in\n{turtle}");
    }
    let triples: Vec<&str> = turtle.lines().filter(|l| !l.starts_with('@')).collect();
    assert_eq!(triples.len(), 8, "{turtle}");
    assert!(
        triples.contains(&r"id:person\/xi_jinping acc:represents id:state\/chn ."),
        "{turtle}"
    );
    let asked = |format: &str| {
        let o = accord(tmp.path(), &["query", REPRESENTS, "--format", format]);
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(text.ends_with('\n'), "{format} does not end with a newline");
        text
    };
    let nt = asked("ntriples");
    assert_eq!(nt.lines().count(), 8, "{nt}");
    assert!(nt.contains(
        "<https://w3id.org/accord/id/person/putin> <https://w3id.org/accord/ontology#represents> <https://w3id.org/accord/id/state/rus> .\n"
    ));
    assert_eq!(asked("nquads"), nt);
    assert!(asked("trig").contains("@prefix id: <https://w3id.org/accord/id/> ."));
    let json: serde_json::Value = serde_json::from_str(&asked("jsonld")).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(8), "{json}");
    // An empty answer is empty, a SELECT format is no graph format.
    let o = accord(
        tmp.path(),
        &["query", "CONSTRUCT { ?s ?p ?o } WHERE { FILTER(false) }"],
    );
    assert!(o.status.success());
    assert_eq!(
        stdout(&o).lines().filter(|l| !l.starts_with('@')).count(),
        0
    );
    let o = accord(tmp.path(), &["query", REPRESENTS, "--format", "csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--format csv is for SELECT"),
        "{}",
        stderr(&o)
    );
    // ASK as a results document, ending with a newline.
    let o = accord(tmp.path(), &["query", "ASK {}", "--format", "json"]);
    assert_eq!(stdout(&o), "{\"head\":{},\"boolean\":true}\n");
}

#[test]
fn updates_are_refused_and_syntax_errors_are_one_line_with_their_place() {
    let tmp = extracted_corpus();
    let one_line = |args: &[&str]| {
        let o = accord(tmp.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty());
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        err
    };
    for update in [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "CLEAR ALL",
        "PREFIX acc: <https://w3id.org/accord/ontology#> DELETE WHERE { ?s acc:supports ?o }",
    ] {
        assert_eq!(
            one_line(&["query", update]),
            "accord: the store is read-only: SPARQL updates (INSERT, DELETE, LOAD, CLEAR…) are not run\n"
        );
    }
    assert_eq!(
        one_line(&["query", "SELECT ?x WHERE { ?x acc:supports ?y }"]),
        "accord: query: line 1, column 22: undefined prefix acc: (in acc:supports); declare it with PREFIX acc: <…>\n"
    );
    let err = one_line(&["query", "SELECT ?x WHERE {\n  ?x ?y }"]);
    assert!(err.starts_with("accord: query: line 2, column "), "{err}");
    // Nothing changed.
    assert_eq!(ask_tsv(tmp.path(), "ASK { ?s ?p ?o }"), "true\n");
}

#[test]
fn bad_inputs_are_named_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_in(tmp.path());
    let dir = tmp.path().join("corpus");
    fs::write(dir.join("empty.txt"), "").unwrap();
    fs::write(dir.join("binary.txt"), b"PK\x03\x04\x00\x00binary").unwrap();
    let mut broken = "成员国欢迎".as_bytes().to_vec();
    broken.extend_from_slice(&[0xE6, 0x88]);
    broken.extend_from_slice("联合国大会通过的决议。".as_bytes());
    fs::write(dir.join("broken.txt"), broken).unwrap();
    let out = accord(tmp.path(), &["extract"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("empty.txt: empty file"), "{err}");
    assert!(err.contains("binary.txt: binary data at byte"), "{err}");
    assert!(
        err.contains("broken.txt:1: invalid UTF-8 at byte 15"),
        "{err}"
    );
    // The good files are stored all the same.
    assert!(err.contains("stored 2 documents"), "{err}");
}

#[test]
fn nothing_to_do_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = accord(tmp.path(), &["extract", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nowhere"), "{}", stderr(&out));
    let q = accord(tmp.path(), &["query", "ASK {}"]);
    assert_eq!(q.status.code(), Some(2));
    assert!(stderr(&q).contains("run `accord extract"), "{}", stderr(&q));
    corpus_in(tmp.path());
    assert!(accord(tmp.path(), &["extract"]).status.success());
    let bad = accord(tmp.path(), &["query", "SELECT WHERE {"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).starts_with("accord: query:"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn malformed_rules_are_reported_with_their_place() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_in(tmp.path());
    let rules = tmp.path().join("myrules");
    fs::create_dir_all(&rules).unwrap();
    fs::write(rules.join("a.toml"), "[[entity]]\nid = \"x\"\ntype = \"Planet\"\nlabels = { zh = \"火星\" }\n\n[[relation]]\nid = \"r\"\npattern = '{s:State}支持('\nfacts = [\"s supports o\"]\n").unwrap();
    let out = accord(tmp.path(), &["--rules", "myrules", "extract"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("a.toml:3:8: error: unknown entity type \"Planet\""),
        "{err}"
    );
    assert!(err.contains("a.toml:8:11: error: invalid pattern"), "{err}");
    fs::write(rules.join("a.toml"), "[[entity]\n").unwrap();
    let out = accord(tmp.path(), &["--rules", "myrules", "extract"]);
    assert!(stderr(&out).contains("a.toml:1:"), "{}", stderr(&out));
}

#[test]
fn export_formats() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_in(tmp.path());
    assert!(
        accord(
            tmp.path(),
            &["extract", "corpus/moscow-2020-print.txt", "--out", "print"]
        )
        .status
        .success()
    );
    for (format, needle) in [
        ("turtle", "@prefix acc:"),
        ("ntriples", "<https://w3id.org/accord/id/state/rus>"),
        (
            "nquads",
            "<https://w3id.org/accord/id/graph/moscow-2020-print>",
        ),
        (
            "trig",
            "<https://w3id.org/accord/id/graph/moscow-2020-print> {",
        ),
        ("jsonld", "\"@context\""),
        ("dot", "digraph accord"),
        ("graphml", "<graphml"),
        ("cytoscape", "\"elements\""),
    ] {
        let o = accord(
            tmp.path(),
            &["export", "--out", "print", "--format", format],
        );
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        assert!(stdout(&o).contains(needle), "{format} lacks {needle}");
    }
    let o = accord(
        tmp.path(),
        &[
            "export", "--out", "print", "--format", "turtle", "-o", "x/g.ttl",
        ],
    );
    assert!(o.status.success());
    assert!(
        fs::read_to_string(tmp.path().join("x/g.ttl"))
            .unwrap()
            .contains("acc:proposed")
    );
}

#[test]
fn readme_examples_show_real_output() {
    let tmp = extracted_corpus();
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let mut queries: Vec<_> = fs::read_dir(root().join("queries"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    queries.sort();
    assert!(queries.len() >= 3);
    for q in queries {
        let out = accord(
            tmp.path(),
            &["query", "-f", q.to_str().unwrap(), "--format", "table"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let table = stdout(&out);
        assert!(
            readme.contains(table.trim()),
            "README lacks the output of {}:\n{table}",
            q.display()
        );
    }
}

#[test]
fn the_declaration_is_its_own_document_signed_by_its_eight_leaders() {
    let tmp = extracted_corpus();
    let ask = |q: &str| ask_tsv(tmp.path(), q);
    let declaration = "<https://w3id.org/accord/id/document/上合组织成员国元首理事会莫斯科宣言>";
    // The print copy has the title line: its file is a copy of the Document of that title.
    let typed = ask(&format!(
        "PREFIX acc: <https://w3id.org/accord/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> \
         SELECT ?label WHERE {{ <https://w3id.org/accord/id/doc/moscow-2020-print> acc:copyOf {declaration} . \
         {declaration} a acc:Document ; rdfs:label ?label }}"
    ));
    assert!(
        typed.contains("\"上海合作组织成员国元首理事会莫斯科宣言\"@zh"),
        "{typed}"
    );
    let signers = ask(&format!(
        "PREFIX acc: <https://w3id.org/accord/ontology#> SELECT DISTINCT ?p WHERE {{ {declaration} acc:signedBy ?p }} ORDER BY ?p"
    ));
    let keys: Vec<&str> = signers
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit('/').next())
        .map(|k| k.trim_end_matches('>'))
        .collect();
    assert_eq!(
        keys,
        [
            "imran_khan",
            "japarov",
            "mirziyoyev",
            "modi",
            "putin",
            "rahmon",
            "tokayev",
            "xi_jinping"
        ],
        "{signers}"
    );
    let adopted = ask(&format!(
        "PREFIX acc: <https://w3id.org/accord/ontology#> SELECT ?d WHERE {{ {declaration} acc:adoptedOn ?d }}"
    ));
    assert!(adopted.contains("2020-11-10"), "{adopted}");
    // Every signedBy fact has its statement: the signature line and the rule.
    let rules = ask(&format!(
        "PREFIX acc: <https://w3id.org/accord/ontology#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> \
         SELECT DISTINCT ?rule WHERE {{ ?st rdf:subject {declaration} ; rdf:predicate ?p ; acc:rule ?rule }} ORDER BY ?rule"
    ));
    assert_eq!(
        rules.lines().skip(1).collect::<Vec<_>>(),
        ["\"signature\"", "\"signature-date\""],
        "{rules}"
    );
}

#[test]
fn a_document_graph_holds_the_entities_its_text_names_and_no_other() {
    let tmp = extracted_corpus();
    let ask = |q: &str| {
        ask_tsv(
            tmp.path(),
            &format!(
                "PREFIX acc: <https://w3id.org/accord/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> \
                 PREFIX id: <https://w3id.org/accord/id/> {q}"
            ),
        )
    };
    let web = "<https://w3id.org/accord/id/graph/moscow-2020-web>";
    let doc = "<https://w3id.org/accord/id/doc/moscow-2020-web>";
    // Entities that take part in no fact: a 《》 document and an exercise the declaration
    // names, typed, labelled and mentioned in the document's graph.
    for (entity, kind, label) in [
        ("document/上海合作组织宪章", "Document", "上合组织宪章"),
        (
            // An undated exercise without an ordinal is the document's own.
            "event/moscow-2020-web/和平使命成员国武装力量联合反恐军事演习",
            "Event",
            "“和平使命",
        ),
    ] {
        let iri = format!("<https://w3id.org/accord/id/{entity}>");
        let facts = ask(&format!(
            "SELECT ?p WHERE {{ GRAPH {web} {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} \
             FILTER(STRSTARTS(STR(?p), STR(acc:)) && ?p != acc:mentions) }} }}"
        ));
        assert_eq!(
            facts.lines().count(),
            1,
            "{entity} takes part in a fact:\n{facts}"
        );
        let described = ask(&format!(
            "SELECT ?label WHERE {{ GRAPH {web} {{ {doc} acc:mentions {iri} . {iri} a acc:{kind} ; rdfs:label ?label }} }}"
        ));
        assert!(described.contains(label), "{entity}:\n{described}");
    }
    // A gazetteer entity the text names is described in the graph, as the gazetteer does.
    let moscow = ask(&format!(
        "SELECT ?p ?o WHERE {{ GRAPH {web} {{ {doc} acc:mentions id:city\\/moscow . id:city\\/moscow ?p ?o }} }}"
    ));
    for needle in [
        "\"莫斯科\"@zh",
        "\"Moscow\"@en",
        "acc:country",
        "wikidata.org/entity/",
    ] {
        let needle = needle.replace("acc:", "https://w3id.org/accord/ontology#");
        assert!(moscow.contains(&needle), "{needle} not in\n{moscow}");
    }
    // Brazil is in the gazetteer, not in the text: not in the document's graph…
    let brazil = "<https://w3id.org/accord/id/state/bra>";
    assert_eq!(
        ask(&format!(
            "ASK {{ GRAPH {web} {{ {{ {brazil} ?p ?o }} UNION {{ ?s ?p {brazil} }} }} }}"
        ))
        .trim(),
        "false"
    );
    // …but the full gazetteer is still queryable, once, in its own graph.
    let gazetteer = ask(&format!(
        "SELECT ?label WHERE {{ GRAPH id:graph\\/entities {{ {brazil} a acc:State ; rdfs:label ?label }} }} ORDER BY ?label"
    ));
    assert!(gazetteer.contains("\"Brazil\"@en"), "{gazetteer}");
    // The graph exports hold the documents; entities.ttl the gazetteer.
    let nq = fs::read_to_string(tmp.path().join("output/graph.nq")).unwrap();
    assert!(!nq.contains("<https://w3id.org/accord/id/state/bra>"));
    assert!(!nq.contains("<https://w3id.org/accord/id/graph/entities>"));
    assert!(nq.contains("<https://w3id.org/accord/ontology#mentions>"));
    let entities = fs::read_to_string(tmp.path().join("output/entities.ttl")).unwrap();
    assert!(entities.contains("state/bra"), "entities.ttl lacks Brazil");
    let o = accord(
        tmp.path(),
        &["export", "--format", "ntriples", "--gazetteer"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("<https://w3id.org/accord/id/state/bra>"));
    assert!(!stdout(&o).contains("mentions"));
}

#[test]
fn a_base_is_an_absolute_iri_ending_in_a_slash_and_the_store_keeps_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_in(tmp.path());
    let refused = |base: &str, needle: &str| {
        let o = accord(tmp.path(), &["--base", base, "extract"]);
        assert_eq!(o.status.code(), Some(2), "{base}");
        assert!(stderr(&o).contains(needle), "{base}: {}", stderr(&o));
        assert!(!tmp.path().join("output").exists(), "{base} wrote output");
    };
    refused(
        "http://example.org/ns#",
        "holds '#': accord writes ontology terms as <base>ontology#Term",
    );
    refused("http://example.org/ns", "does not end in '/'");
    refused("example/", "is not an absolute IRI");
    let base = "http://example.org/ns/";
    let o = accord(tmp.path(), &["--base", base, "extract"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest = fs::read_to_string(tmp.path().join("output/store/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"base\": \"http://example.org/ns/\""),
        "{manifest}"
    );
    // Later runs take the store's base; another one is refused, not mixed in.
    let q = accord(
        tmp.path(),
        &[
            "query",
            "SELECT ?s WHERE { ?s a <http://example.org/ns/ontology#State> } LIMIT 1",
        ],
    );
    assert!(
        stdout(&q).starts_with("s\nhttp://example.org/ns/id/state/"),
        "{}",
        stdout(&q)
    );
    for args in [
        &["--base", "https://w3id.org/accord/", "extract"][..],
        &["--base", "https://w3id.org/accord/", "query", "ASK {}"],
    ] {
        let o = accord(tmp.path(), args);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            stderr(&o),
            "accord: output/store was made with --base http://example.org/ns/, not https://w3id.org/accord/: give that base, or another --out\n"
        );
    }
    let ttl = accord(tmp.path(), &["export", "--format", "turtle"]);
    assert!(stdout(&ttl).contains("@prefix acc: <http://example.org/ns/ontology#> ."));
}

#[test]
fn jsonld_types_are_the_terms_of_its_context() {
    let tmp = extracted_corpus();
    let doc: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("output/graph.jsonld")).unwrap()).unwrap();
    let mut types = std::collections::BTreeSet::new();
    for graph in doc["@graph"].as_array().unwrap() {
        for node in graph["@graph"].as_array().unwrap() {
            match &node["type"] {
                serde_json::Value::String(t) => {
                    types.insert(t.clone());
                }
                serde_json::Value::Array(ts) => {
                    types.extend(ts.iter().map(|t| t.as_str().unwrap().to_string()))
                }
                _ => {}
            }
        }
    }
    let context = &doc["@context"];
    for t in &types {
        assert!(
            context.get(t).is_some(),
            "type {t} is not a term of the context"
        );
    }
    assert!(
        types.contains("State") && types.contains("Statement"),
        "{types:?}"
    );
}

#[test]
fn a_text_without_a_title_line_gets_no_title_made_of_its_file_name() {
    let tmp = extracted_corpus();
    let ask = |q: &str| {
        ask_tsv(
            tmp.path(),
            &format!(
                "PREFIX acc: <https://w3id.org/accord/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> \
                 PREFIX dcterms: <http://purl.org/dc/terms/> {q}"
            ),
        )
    };
    // The web copy has no title line: its Document is named by the file key, typed, signed,
    // but neither it nor the file has a title or label made of that key.
    let web = ask(
        "SELECT ?d ?label ?title WHERE { <https://w3id.org/accord/id/doc/moscow-2020-web> acc:copyOf ?d . \
         ?d a acc:Document ; acc:signedBy ?p . \
         OPTIONAL { ?d rdfs:label ?label } OPTIONAL { ?f acc:copyOf ?d ; dcterms:title ?title } } LIMIT 1",
    );
    assert_eq!(
        web,
        "?d\t?label\t?title\n<https://w3id.org/accord/id/document/moscow-2020-web>\t\t\n"
    );
    // The print copy has one: its file's title and its Document's label.
    let print = ask(
        "SELECT ?title WHERE { <https://w3id.org/accord/id/doc/moscow-2020-print> dcterms:title ?title }",
    );
    assert_eq!(
        print,
        "?title\n\"上海合作组织成员国元首理事会莫斯科宣言\"@zh\n"
    );
}

#[test]
fn a_run_ends_with_a_summary_and_draws_no_bar_when_stderr_is_no_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    corpus_in(tmp.path());
    let dir = tmp.path().join("corpus");
    fs::write(dir.join("blank.txt"), "  \n").unwrap();
    fs::write(dir.join("binary.txt"), b"PK\x03\x04\x00\x00binary").unwrap();
    for args in [&["extract"][..], &["extract", "--stdout"]] {
        let out = accord(tmp.path(), args);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        // The empty file was read but not kept; the binary one could not be read.
        let (summary, time) = err.lines().last().unwrap().rsplit_once(" in ").unwrap();
        assert_eq!(
            summary, "summary: 2 documents, 396 facts, 1 skipped, 1 error",
            "{err}"
        );
        let seconds = time.strip_suffix(" s").unwrap();
        assert!(seconds.parse::<f64>().is_ok(), "{time}");
        // Captured, stderr is no terminal: no bar, no cursor movement, only the lines a run
        // always printed.
        assert!(!err.contains('\r') && !err.contains('\u{1b}'), "{err:?}");
        for line in err.lines() {
            assert!(
                [
                    "accord: skipped ",
                    "[",
                    "stored ",
                    "extracted ",
                    "summary: "
                ]
                .iter()
                .any(|start| line.starts_with(start)),
                "{line}"
            );
        }
    }
    // --quiet leaves the inputs skipped, and nothing else.
    let quiet = accord(tmp.path(), &["extract", "--stdout", "--quiet"]);
    assert_eq!(
        stderr(&quiet),
        "accord: skipped corpus/binary.txt: binary data at byte 4 (not a text file)\n\
         accord: skipped corpus/blank.txt: empty file\n"
    );
}
