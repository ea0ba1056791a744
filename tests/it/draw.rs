//! Graph dumps for people: `accord export --format dot|graphml` with `--around`, `--depth`,
//! `--predicate`, `--type` and `--document` over the bundled corpus, and the drawings
//! committed in `output/`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::{accord, root, stderr, stdout};

/// A folder with the bundled corpus extracted, made once per test run.
fn store() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("draw");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("corpus")).unwrap();
        for f in ["moscow-2020-web.txt", "moscow-2020-print.txt"] {
            fs::copy(root().join("corpus").join(f), dir.join("corpus").join(f)).unwrap();
        }
        let o = accord(&dir, &["extract", "--quiet"]);
        assert!(o.status.success(), "{}", stderr(&o));
        dir
    })
}

/// `accord export --format FORMAT ARGS…` over the bundled corpus: its standard output.
fn export(format: &str, args: &[&str]) -> String {
    let mut all = vec!["export", "--format", format];
    all.extend(args);
    let o = accord(store(), &all);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

/// A node of a DOT dump: its label (lines joined by `|`), class, IRI, and whether it is drawn
/// as a centre.
#[derive(Debug)]
struct Node {
    id: String,
    label: String,
    class: String,
    iri: String,
    centre: bool,
}

/// An edge of a DOT dump: source label, predicate, target label, documents.
#[derive(Debug)]
struct Edge {
    from: String,
    predicate: String,
    to: String,
    documents: String,
}

/// Reads the lines accord writes for nodes and edges (one per line).
fn parse_dot(dot: &str) -> (Vec<Node>, Vec<Edge>) {
    let attr = |line: &str, name: &str| -> String {
        let start = line
            .find(&format!(" {name}=\""))
            .or_else(|| line.find(&format!("[{name}=\"")))
            .unwrap_or_else(|| panic!("no {name} in {line}"))
            + name.len()
            + 3;
        let rest = &line[start..];
        let end = rest.find("\", ").or_else(|| rest.find("\"]")).unwrap();
        rest[..end].replace("\\n", "|")
    };
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for line in dot.lines().map(str::trim) {
        if !(line.starts_with('n') && line[1..].starts_with(|c: char| c.is_ascii_digit())) {
            continue;
        }
        let (head, _) = line.split_once(" [").unwrap();
        match head.split_once(" -> ") {
            Some((a, b)) => edges.push(Edge {
                from: a.to_string(),
                predicate: attr(line, "label"),
                to: b.to_string(),
                documents: attr(line, "document"),
            }),
            None => nodes.push(Node {
                id: head.to_string(),
                label: attr(line, "label"),
                class: attr(line, "class"),
                iri: attr(line, "tooltip"),
                centre: line.contains("penwidth=3"),
            }),
        }
    }
    for e in &mut edges {
        let label = |id: &str| nodes.iter().find(|n| n.id == id).unwrap().label.clone();
        e.from = label(&e.from);
        e.to = label(&e.to);
    }
    (nodes, edges)
}

fn labels(nodes: &[Node]) -> BTreeSet<String> {
    nodes.iter().map(|n| n.label.clone()).collect()
}

#[test]
fn around_an_entity_draws_the_facts_it_takes_part_in_and_those_between_its_neighbours() {
    let dot = export("dot", &["--around", "乌兹别克斯坦", "--depth", "1"]);
    let (nodes, edges) = parse_dot(&dot);
    let names = labels(&nodes);
    // What Uzbekistan proposed, with the Green Belt programme among it; who it is linked to.
    for want in [
        "乌兹别克斯坦|Uzbekistan",
        "上合组织绿色之带纲要",
        "制定青年权利公约",
        "米尔济约耶夫|Shavkat Mirziyoyev",
        "“一带一路”倡议|Belt and Road Initiative",
    ] {
        assert!(names.contains(want), "{want} not drawn: {names:#?}");
    }
    // Nothing two facts away: not Sochi, not the meetings, not Russia.
    for unrelated in ["索契", "俄罗斯", "最高法院院长会议"] {
        assert!(
            !names.iter().any(|n| n.contains(unrelated)),
            "{unrelated} drawn around Uzbekistan"
        );
    }
    let centres: Vec<&str> = nodes
        .iter()
        .filter(|n| n.centre)
        .map(|n| n.label.as_str())
        .collect();
    assert_eq!(centres, ["乌兹别克斯坦|Uzbekistan"]);
    let proposed: BTreeSet<&str> = edges
        .iter()
        .filter(|e| e.predicate == "proposed")
        .map(|e| {
            assert_eq!(e.from, "乌兹别克斯坦|Uzbekistan");
            e.to.as_str()
        })
        .collect();
    assert_eq!(proposed.len(), 8, "{proposed:#?}");
    assert!(dot.contains("accord: around 乌兹别克斯坦 (Uzbekistan), depth 1"));
    // Depth 2 reaches further: the group's other members.
    let wider = labels(
        &parse_dot(&export(
            "dot",
            &["--around", "乌兹别克斯坦", "--depth", "2"],
        ))
        .0,
    );
    assert!(wider.contains("俄罗斯|Russia") && wider.len() > names.len());
}

#[test]
fn an_entity_is_named_as_accord_eval_names_it() {
    let by_label = export("dot", &["--around", "乌兹别克斯坦"]);
    for name in [
        "乌兹别克斯坦共和国",
        "Uzbekistan",
        "uzb",
        "state/uzb",
        "https://w3id.org/accord/id/state/uzb",
    ] {
        assert_eq!(
            export("dot", &["--around", name]),
            by_label,
            "--around {name}"
        );
    }
    // A meeting by its label and date, or by its label alone: every meeting of that name.
    let centres = |name: &str| -> Vec<String> {
        parse_dot(&export("dot", &["--around", name]))
            .0
            .into_iter()
            .filter(|n| n.centre)
            .map(|n| n.label)
            .collect()
    };
    assert_eq!(
        centres("上合组织成员国最高法院院长会议@2020-10-30"),
        ["上合组织成员国最高法院院长会议|2020-10-30"]
    );
    assert_eq!(
        centres("上海合作组织成员国最高法院院长会议"),
        [
            "上合组织成员国最高法院院长会议|2019-06-17 – 2019-06-19",
            "上合组织成员国最高法院院长会议|2020-10-30"
        ]
    );
}

#[test]
fn two_meetings_of_one_name_are_two_nodes_labelled_with_their_dates() {
    let (nodes, edges) = parse_dot(&export("dot", &[]));
    let meetings: Vec<(&str, &str)> = nodes
        .iter()
        .filter(|n| n.label.starts_with("上合组织成员国最高法院院长会议"))
        .map(|n| (n.label.as_str(), n.class.as_str()))
        .collect();
    assert_eq!(
        meetings,
        [
            (
                "上合组织成员国最高法院院长会议|2019-06-17 – 2019-06-19",
                "Event"
            ),
            ("上合组织成员国最高法院院长会议|2020-10-30", "Event"),
        ]
    );
    let held: BTreeSet<(&str, &str)> = edges
        .iter()
        .filter(|e| e.predicate == "heldIn" && e.from.contains("最高法院院长会议"))
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    assert_eq!(
        held,
        BTreeSet::from([
            (
                "上合组织成员国最高法院院长会议|2019-06-17 – 2019-06-19",
                "索契|Sochi"
            ),
            (
                "上合组织成员国最高法院院长会议|2020-10-30",
                "阿斯塔纳|Astana"
            ),
        ])
    );
}

#[test]
fn groups_are_labelled_with_their_document_and_the_dot_has_a_legend() {
    let graphml = export("graphml", &[]);
    for label in [
        "成员国 (上海合作组织成员国元首理事会莫斯科宣言)",
        // The web copy has no title line: its group is named by the file's key.
        "成员国 (moscow-2020-web)",
    ] {
        assert!(
            graphml.contains(&format!(r#"<data key="node_label">{label}</data>"#)),
            "no group labelled {label}"
        );
    }
    let dot = export("dot", &["--type", "State", "--type", "Initiative"]);
    let legend = dot
        .lines()
        .find(|l| l.trim().starts_with("label=<"))
        .unwrap();
    for part in [
        "accord: types Initiative, State",
        r##"<td bgcolor="#8dd3c7" border="1">State</td>"##,
        r##"<td bgcolor="#fdb462" border="1">Initiative</td>"##,
        "→ proposed",
    ] {
        assert!(legend.contains(part), "legend lacks {part}: {legend}");
    }
    // Only the classes drawn are in the legend.
    assert!(!legend.contains(">Event<"), "{legend}");
}

#[test]
fn predicate_type_and_document_filters() {
    let (nodes, edges) = parse_dot(&export("dot", &["--predicate", "proposed"]));
    assert!(edges.len() >= 20, "{} proposals", edges.len());
    assert!(
        edges.iter().all(|e| e.predicate == "proposed"),
        "{edges:#?}"
    );
    assert!(
        nodes.iter().any(|n| n.label == "上合组织绿色之带纲要")
            && nodes.iter().all(|n| n.class != "Group"),
    );

    let (nodes, edges) = parse_dot(&export(
        "dot",
        &["--predicate", "proposed", "--predicate", "supports"],
    ));
    let predicates: BTreeSet<&str> = edges.iter().map(|e| e.predicate.as_str()).collect();
    assert_eq!(predicates, BTreeSet::from(["proposed", "supports"]));
    assert!(!nodes.is_empty());

    let (nodes, edges) = parse_dot(&export("dot", &["--type", "State", "--type", "Initiative"]));
    let classes: BTreeSet<&str> = nodes.iter().map(|n| n.class.as_str()).collect();
    assert_eq!(classes, BTreeSet::from(["Initiative", "State"]));
    assert!(edges.iter().any(|e| e.from == "俄罗斯|Russia"
        && e.predicate == "supports"
        && e.to == "“一带一路”倡议|Belt and Road Initiative"));

    // Around an entity, the type filter keeps the entity itself.
    let (nodes, _) = parse_dot(&export(
        "dot",
        &["--around", "乌兹别克斯坦", "--type", "Initiative"],
    ));
    assert!(nodes.iter().all(|n| n.class == "Initiative" || n.centre));
    assert_eq!(nodes.len(), 7, "{:#?}", labels(&nodes));

    // One document, by its key, file or title: its facts only.
    let print = export("dot", &["--document", "moscow-2020-print"]);
    for other in [
        "corpus/moscow-2020-print.txt",
        "moscow-2020-print.txt",
        "上海合作组织成员国元首理事会莫斯科宣言",
    ] {
        assert_eq!(
            export("dot", &["--document", other]),
            print,
            "--document {other}"
        );
    }
    let (nodes, edges) = parse_dot(&print);
    assert!(edges.iter().all(|e| e.documents == "moscow-2020-print"));
    assert!(!nodes.iter().any(|n| n.iri.contains("moscow-2020-web")));
    assert!(print.contains("accord: document 上海合作组织成员国元首理事会莫斯科宣言"));
}

#[test]
fn a_selection_that_names_nothing_or_draws_nothing_is_an_error_that_says_so() {
    let fails = |args: &[&str], message: &str| {
        let mut all = vec!["export", "--format", "dot", "-o", "none.dot"];
        all.extend(args);
        let o = accord(store(), &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains(message),
            "{args:?}: {}, expected {message}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty());
        assert!(!store().join("none.dot").exists(), "{args:?} wrote a file");
    };
    fails(
        &["--around", "亚特兰蒂斯"],
        r#"accord: no entity is named "亚特兰蒂斯""#,
    );
    // Known to the gazetteer, but in no fact of the documents.
    fails(
        &["--around", "梵蒂冈"],
        "accord: nothing to draw: 梵蒂冈 (https://w3id.org/accord/id/state/vat) takes part in no fact of the documents",
    );
    fails(
        &["--around", "乌兹别克斯坦", "--predicate", "heldIn"],
        "accord: nothing to draw: no fact matches around 乌兹别克斯坦 (Uzbekistan), depth 1; predicates heldIn",
    );
    fails(
        &["--predicate", "propose"],
        r#"accord: unknown predicate "propose": one of proposed, supports"#,
    );
    fails(
        &["--type", "Country"],
        r#"accord: unknown type "Country": one of State"#,
    );
    fails(
        &["--document", "moscow"],
        r#"accord: no document "moscow" in the store: one of moscow-2020-print, moscow-2020-web"#,
    );
    let o = accord(
        store(),
        &["export", "--format", "turtle", "--around", "uzb"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("use them with --format dot, graphml or cytoscape"));
    let o = accord(store(), &["export", "--format", "dot", "--depth", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--around"), "{}", stderr(&o));
}

#[test]
fn graphml_attributes_are_typed() {
    let graphml = export("graphml", &["--around", "乌兹别克斯坦"]);
    for key in [
        r#"<key id="node_label_zh" for="node" attr.name="label_zh" attr.type="string"/>"#,
        r#"<key id="node_wikidata" for="node" attr.name="wikidata" attr.type="string"/>"#,
        r#"<key id="node_start_date" for="node" attr.name="start_date" attr.type="string"/>"#,
        r#"<key id="edge_documents" for="edge" attr.name="documents" attr.type="int"/>"#,
        r#"<key id="edge_sentence" for="edge" attr.name="sentence" attr.type="string"/>"#,
    ] {
        assert!(graphml.contains(key), "lacks {key}");
    }
    for data in [
        r#"<data key="node_wikidata">Q265</data>"#,
        r#"<data key="node_label_en">Uzbekistan</data>"#,
        r#"<data key="edge_documents">2</data>"#,
        r#"<data key="edge_rule">proposal-guanyu</data>"#,
        "<data key=\"edge_sentence\">成员国注意到乌兹别克斯坦共和国关于制定旨在推广使用节能环保清洁技术的《上合组织绿色之带纲要》的倡议",
    ] {
        assert!(graphml.contains(data), "lacks {data}");
    }
}

/// The drawings in `output/` are rendered from the current exports: every node and every fact
/// of the fresh DOT is in the SVG, with its Chinese label, in a CJK font
/// (`scripts/render-graphs` renders them again).
#[test]
fn committed_drawings_are_current_and_name_a_cjk_font() {
    for (svg, args) in [
        ("graph.svg", vec![]),
        (
            "uzbekistan.svg",
            vec!["--around", "乌兹别克斯坦", "--depth", "1"],
        ),
    ] {
        let stale = format!("output/{svg} is stale: run scripts/render-graphs and commit it");
        let drawing = fs::read_to_string(root().join("output").join(svg))
            .unwrap_or_else(|e| panic!("output/{svg}: {e}"));
        assert!(
            drawing.contains(r#"font-family="Noto Sans CJK SC""#),
            "output/{svg} does not name the CJK font"
        );
        let texts: BTreeSet<String> = drawing
            .split("<text ")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.to_string()))
            .map(|t| unescape(&t))
            .collect();
        let dot = export("dot", &args);
        let (nodes, edges) = parse_dot(&dot);
        for n in &nodes {
            for line in n.label.split('|') {
                assert!(texts.contains(line), "{stale}: no label {line:?}");
            }
        }
        assert_eq!(
            drawing.matches(r#"<g id="node"#).count(),
            nodes.len(),
            "{stale}"
        );
        assert_eq!(
            drawing.matches(r#"<g id="edge"#).count(),
            edges.len(),
            "{stale}"
        );
        let caption = dot
            .split("accord: ")
            .nth(1)
            .unwrap()
            .split("</td>")
            .next()
            .unwrap();
        assert!(
            texts.contains(&format!("accord: {caption}")),
            "{stale}: no caption {caption}"
        );
    }
}

/// Text of an SVG element as written: character references and the XML entities resolved.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let (entity, after) = rest[at + 1..].split_once(';').unwrap();
        out.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = entity.strip_prefix('#').unwrap();
                let code = match n.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => n.parse(),
                };
                char::from_u32(code.unwrap()).unwrap()
            }
        });
        rest = after;
    }
    out.push_str(rest);
    out
}
