//! `accord serve` over a store of the bundled corpus, asked by a real HTTP client (ureq).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::support::{accord, root};

/// A running `accord serve`, stopped when dropped.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Extracts the bundled corpus into a new folder and serves it on a free loopback port.
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let corpus = root().join("corpus");
        let extracted = accord(dir.path(), &["extract", corpus.to_str().unwrap()]);
        assert!(extracted.status.success());
        let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .current_dir(dir.path())
            .stderr(Stdio::piped())
            .spawn()
            .expect("accord serve starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().expect("a first line").unwrap();
        let addr = first
            .split("on http://")
            .nth(1)
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .trim_end_matches('/')
            .to_string();
        // Keep reading stderr (the access log) so the server never blocks on a full pipe.
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Server {
            child,
            base: format!("http://{addr}"),
            log,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Status, content type and body of a response.
fn read(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, String, String) {
    let mut r = r.expect("the server answers");
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = r.body_mut().read_to_string().unwrap();
    (status, ctype, body)
}

fn get_query(s: &Server, query: &str, accept: &str) -> (u16, String, String) {
    read(
        agent()
            .get(s.url("/sparql"))
            .query("query", query)
            .header("Accept", accept)
            .call(),
    )
}

fn bri_query() -> String {
    std::fs::read_to_string(root().join("queries/bri-supporters.rq")).unwrap()
}

const BRI_SUPPORTERS: [&str; 6] = [
    "Kazakhstan",
    "Kyrgyzstan",
    "Pakistan",
    "Russia",
    "Tajikistan",
    "Uzbekistan",
];

#[test]
fn sparql_protocol_answers_in_every_negotiated_format() {
    let s = Server::start(&[]);
    let (status, ctype, body) = get_query(&s, &bri_query(), "application/sparql-results+json");
    assert_eq!(
        (status, ctype.as_str()),
        (200, "application/sparql-results+json")
    );
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = json["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(names, BRI_SUPPORTERS);

    // The same query POSTed both ways, in the other result formats.
    for (accept, expected) in [
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
        ),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
    ] {
        let direct = read(
            agent()
                .post(s.url("/sparql"))
                .header("Content-Type", "application/sparql-query")
                .header("Accept", accept)
                .send(bri_query()),
        );
        let form = read(
            agent()
                .post(s.url("/sparql"))
                .header("Accept", accept)
                .send_form([("query", bri_query().as_str())]),
        );
        for (status, ctype, body) in [direct, form] {
            assert_eq!(status, 200, "{accept}: {body}");
            assert!(ctype.starts_with(expected), "{accept}: {ctype}");
            assert!(
                body.contains("Uzbekistan") && body.contains("Pakistan"),
                "{body}"
            );
        }
    }

    let construct = "PREFIX acc: <https://w3id.org/accord/ontology#>
        CONSTRUCT { ?s acc:supports ?o } WHERE { ?s acc:supports ?o }";
    let (status, ctype, body) = get_query(&s, construct, "text/turtle");
    assert_eq!((status, ctype.as_str()), (200, "text/turtle"), "{body}");
    assert!(body.contains("acc:supports"), "{body}");
    let (_, ctype, body) = get_query(&s, construct, "application/n-triples");
    assert_eq!(ctype, "application/n-triples");
    assert!(body.contains("<https://w3id.org/accord/ontology#supports>"));
    let (_, ctype, body) = get_query(&s, construct, "application/ld+json");
    assert_eq!(ctype, "application/ld+json");
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok());

    // The dataset of the protocol: one document's graph as the default graph.
    let count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }";
    let one = read(
        agent()
            .get(s.url("/sparql"))
            .query("query", count)
            .query(
                "default-graph-uri",
                "https://w3id.org/accord/id/graph/moscow-2020-web",
            )
            .header("Accept", "text/csv")
            .call(),
    );
    let all = get_query(&s, count, "text/csv");
    let n = |b: &str| b.lines().nth(1).unwrap().trim().parse::<usize>().unwrap();
    assert!(
        0 < n(&one.2) && n(&one.2) < n(&all.2),
        "{} / {}",
        one.2,
        all.2
    );

    assert!(s.log.lock().unwrap().contains("GET /sparql?query="));
}

#[test]
fn errors_have_their_status_and_a_readable_reason() {
    let s = Server::start(&["--max-results", "3"]);
    let (status, ctype, body) = get_query(&s, "SELECT ?x WHERE { ?x", "*/*");
    assert_eq!(status, 400);
    assert!(ctype.starts_with("text/plain"));
    assert!(body.starts_with("malformed query"), "{body}");

    let (status, _, body) = get_query(&s, "ASK { ?s ?p ?o }", "image/png");
    assert_eq!(status, 406);
    assert!(body.contains("application/sparql-results+json"), "{body}");

    let (status, _, body) = get_query(&s, "SELECT * WHERE { ?s ?p ?o }", "*/*");
    assert_eq!(status, 422);
    assert!(body.contains("more than 3 results"), "{body}");

    // Updates, however they come, and writes to the graph store are refused.
    let update = "DELETE WHERE { ?s ?p ?o }";
    let attempts = [
        get_query(&s, update, "*/*"),
        read(
            agent()
                .post(s.url("/sparql"))
                .header("Content-Type", "application/sparql-update")
                .send(update),
        ),
        read(
            agent()
                .post(s.url("/sparql"))
                .send_form([("update", update)]),
        ),
        read(agent().put(s.url("/store?default")).send("")),
        read(agent().delete(s.url("/store?default")).call()),
    ];
    for (status, _, body) in attempts {
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("read-only"), "{body}");
    }
    let (_, _, body) = get_query(&s, "ASK { ?s ?p ?o }", "*/*");
    assert!(body.contains("true"), "the store is intact: {body}");

    // Not HTTP at all: the HTTP library answers 400, the server lives on.
    let mut raw = TcpStream::connect(s.base.trim_start_matches("http://")).unwrap();
    raw.write_all(b"NOT HTTP AT ALL\r\n\r\n").unwrap();
    let mut reply = String::new();
    let _ = raw.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply:?}");
    assert_eq!(get_query(&s, "ASK { ?s ?p ?o }", "*/*").0, 200);
}

#[test]
fn graph_store_and_entity_pages() {
    let s = Server::start(&[]);
    let graph = "https://w3id.org/accord/id/graph/moscow-2020-web";
    let (status, ctype, body) = read(
        agent()
            .get(s.url("/store"))
            .query("graph", graph)
            .header("Accept", "application/n-quads")
            .call(),
    );
    assert_eq!((status, ctype.as_str()), (200, "application/n-quads"));
    assert!(body.lines().all(|l| l.ends_with(&format!("<{graph}> ."))));
    assert!(body.contains("<https://w3id.org/accord/id/state/uzb>"));
    let (status, ctype, _) = read(
        agent()
            .get(s.url("/store?default"))
            .header("Accept", "text/turtle")
            .call(),
    );
    assert_eq!((status, ctype.as_str()), (200, "text/turtle"));
    let (status, _, _) = read(
        agent()
            .get(s.url("/store"))
            .query("graph", "https://example.org/none")
            .call(),
    );
    assert_eq!(status, 404);

    let (status, ctype, page) = read(
        agent()
            .get(s.url("/id/state/uzb"))
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .call(),
    );
    assert_eq!((status, ctype.as_str()), (200, "text/html; charset=utf-8"));
    assert!(page.contains("<h1>Uzbekistan</h1>"), "{page}");
    assert!(page.contains("acc:proposed"));
    // A fact with the sentence it comes from, linked to its document.
    assert!(page.contains("成员国注意到乌兹别克斯坦共和国"), "{page}");
    assert!(page.contains("href=\"/id/doc/moscow-2020-web#s"));
    let (status, ctype, ttl) = read(
        agent()
            .get(s.url("/id/state/uzb"))
            .header("Accept", "text/turtle")
            .call(),
    );
    assert_eq!((status, ctype.as_str()), (200, "text/turtle"));
    assert!(ttl.contains("\"Uzbekistan\"@en"), "{ttl}");
    assert_eq!(read(agent().get(s.url("/id/state/nowhere")).call()).0, 404);

    let (status, ctype, index) = read(agent().get(s.url("/")).call());
    assert_eq!((status, ctype.as_str()), (200, "text/html; charset=utf-8"));
    assert!(index.contains("<textarea"));
    let (_, _, examples) = read(agent().get(s.url("/examples.json")).call());
    assert!(examples.contains("Which states support the Belt and Road Initiative?"));
    assert!(examples.contains("/ontology#"), "{examples}");
    assert!(index.contains("/vendor/cytoscape.min.js"));
    let (status, ctype, js) = read(agent().get(s.url("/vendor/cytoscape.min.js")).call());
    assert_eq!(
        (status, ctype.as_str()),
        (200, "text/javascript; charset=utf-8")
    );
    assert!(js.contains("cytoscape"), "the vendored script");
    let (status, _, license) = read(agent().get(s.url("/vendor/cytoscape.LICENSE")).call());
    assert_eq!(status, 200);
    assert!(license.contains("Permission is hereby granted"));
    for path in [
        "/vendor/",
        "/vendor/../Cargo.toml",
        "/vendor/%2e%2e/Cargo.toml",
    ] {
        assert_eq!(read(agent().get(s.url(path)).call()).0, 404, "{path}");
    }
}

/// A query that only computes (a cross product of `VALUES`, no read of the store) runs on past
/// its time limit; it keeps its query slot until it ends, so with one slot the next query
/// waits its own time limit and is told the server is busy, while the slow one is told it ran
/// too long.
#[test]
fn query_slots_bound_the_queries_that_compute_at_once() {
    let s = Server::start(&["--max-queries", "1", "--timeout", "1"]);
    let values = (0..200)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let heavy = format!(
        "SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} \
         VALUES ?c {{ {values} }} VALUES ?d {{ {values} }} }}"
    );
    let url = s.url("/sparql");
    let slow = std::thread::spawn(move || {
        read(
            agent()
                .post(url)
                .content_type("application/sparql-query")
                .send(heavy),
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, _, body) = get_query(&s, "ASK {}", "application/sparql-results+json");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("--max-queries"), "{body}");
    let (status, _, body) = slow.join().unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("--timeout"), "{body}");
}

/// `GET /sparql` with no query describes the endpoint (SPARQL 1.1 Service Description), in
/// Turtle by default and in any negotiated RDF format.
#[test]
fn the_endpoint_describes_itself() {
    let s = Server::start(&[]);
    let (status, ctype, body) = read(agent().get(s.url("/sparql")).call());
    assert_eq!(status, 200, "{body}");
    assert!(ctype.starts_with("text/turtle"), "{ctype}");
    let sd = "http://www.w3.org/ns/sparql-service-description#";
    let graph = oxigraph::store::Store::new().unwrap();
    graph
        .load_from_reader(oxigraph::io::RdfFormat::Turtle, body.as_bytes())
        .unwrap();
    let ask = |q: &str| match oxigraph::sparql::SparqlEvaluator::new()
        .parse_query(q)
        .unwrap()
        .on_store(&graph)
        .execute()
        .unwrap()
    {
        oxigraph::sparql::QueryResults::Boolean(b) => b,
        _ => unreachable!(),
    };
    let endpoint = s.url("/sparql");
    assert!(ask(&format!(
        "ASK {{ ?s a <{sd}Service> ; <{sd}endpoint> <{endpoint}> ; \
         <{sd}supportedLanguage> <{sd}SPARQL11Query> ; <{sd}feature> <{sd}UnionDefaultGraph> ; \
         <{sd}resultFormat> <http://www.w3.org/ns/formats/SPARQL_Results_JSON> }}"
    )));
    let (status, ctype, _) = read(
        agent()
            .get(s.url("/sparql"))
            .header("Accept", "application/n-triples")
            .call(),
    );
    assert_eq!((status, ctype.as_str()), (200, "application/n-triples"));
}

/// The sentence links of an entity page (`/id/doc/moscow-2020-web#s19`) land on the text's page
/// at that sentence, which shows its paragraph, section and text.
#[test]
fn sentence_links_land_on_their_sentence() {
    let s = Server::start(&[]);
    let (_, _, page) = read(
        agent()
            .get(s.url("/id/state/uzb"))
            .header("Accept", "text/html")
            .call(),
    );
    let href = page
        .split("href=\"")
        .skip(1)
        .map(|h| &h[..h.find('"').unwrap()])
        .find(|h| h.starts_with("/id/doc/moscow-2020-web#s"))
        .unwrap_or_else(|| panic!("no sentence link in {page}"));
    let (path, anchor) = href.split_once('#').unwrap();
    let (status, _, doc) = read(
        agent()
            .get(s.url(path))
            .header("Accept", "text/html")
            .call(),
    );
    assert_eq!(status, 200);
    let at = doc
        .find(&format!("<p id=\"{anchor}\">"))
        .unwrap_or_else(|| panic!("no anchor {anchor} on {path}"));
    let line = &doc[at..at + doc[at..].find("</p>").unwrap()];
    assert!(
        line.contains('¶') && line.contains("乌兹别克斯坦"),
        "{line}"
    );
}
