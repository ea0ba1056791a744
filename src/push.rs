//! Sends graphs to another triple store over the SPARQL 1.1 Graph Store HTTP Protocol: one
//! `PUT ENDPOINT?graph=IRI` per graph, whose Turtle body replaces that graph on the server
//! (Oxigraph server, Jena Fuseki, QLever, Virtuoso, GraphDB…).
//!
//! The only module that opens outgoing connections. It is handed quads and never reads the
//! store; it sends nothing but `PUT`s of the graphs it is given, so a push can replace graphs
//! on the server but never removes one it was not given. Plain HTTP only: no TLS stack is
//! compiled in, and an `https://` endpoint is refused before anything is sent.

use std::io;
use std::time::Duration;

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{NamedNode, Quad};

/// What a push is told: where to send and how long to wait.
#[derive(Clone, Debug)]
pub struct Config {
    pub endpoint: Endpoint,
    /// Longest time one graph may take, from connecting to the server's answer.
    pub timeout: Duration,
}

/// A Graph Store endpoint: an `http://` URL without a fragment, such as
/// `http://localhost:7878/store`. Graphs are named by a `graph` query parameter added to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint(String);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The endpoint given is not an `http://` URL this client can send to (the message is the
    /// problem alone: whoever reports it shows the URL).
    #[error("{problem}")]
    Endpoint { url: String, problem: &'static str },
    /// The request could not be made or got no answer: connection refused, no such host,
    /// timed out.
    #[error("cannot send graph <{graph}> to {endpoint}: {message}")]
    Connect {
        graph: String,
        endpoint: String,
        message: String,
    },
    /// The server answered with a status other than 2xx; `body` is the start of its answer.
    #[error("{endpoint} answered {status} for graph <{graph}>{}", body_note(.body))]
    Status {
        graph: String,
        endpoint: String,
        status: String,
        body: String,
    },
}

/// What one `PUT` sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sent {
    pub triples: usize,
    pub bytes: usize,
    /// The server's status code: 201 for a graph it did not hold, 200 or 204 for one replaced.
    pub status: u16,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, PushError> {
        let problem = |problem| PushError::Endpoint {
            url: url.to_string(),
            problem,
        };
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") {
            return Err(problem(
                "https is not supported: accord speaks plain HTTP; reach the server through a TLS tunnel or proxy on this machine",
            ));
        }
        let Some(rest) = lower.strip_prefix("http://") else {
            return Err(problem("not an http:// URL"));
        };
        if rest.is_empty() || rest.starts_with(['/', '?', '#']) {
            return Err(problem("no host"));
        }
        if url.contains('#') {
            return Err(problem("a fragment (#…) is never sent to a server"));
        }
        if !url.is_ascii()
            || url
                .chars()
                .any(|c| c.is_ascii_whitespace() || c.is_control())
        {
            return Err(problem(
                "holds a space or a character that is not ASCII: percent-encode it",
            ));
        }
        Ok(Endpoint(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of one graph: `ENDPOINT?graph=IRI`, the IRI percent-encoded (a query the
    /// endpoint already has is kept, `&graph=` added to it).
    pub fn graph_url(&self, graph: &NamedNode) -> String {
        let encoded: String = form_urlencoded::byte_serialize(graph.as_str().as_bytes()).collect();
        let join = if self.0.contains('?') { '&' } else { '?' };
        format!("{}{join}graph={encoded}", self.0)
    }
}

/// A connection to one endpoint, kept open from graph to graph.
pub struct Client {
    agent: ureq::Agent,
    config: Config,
}

impl Client {
    pub fn new(config: Config) -> Client {
        let agent = ureq::Agent::config_builder()
            // A 4xx or 5xx is an answer to report with its body, not a transport error.
            .http_status_as_error(false)
            // A redirected PUT would not carry its body along: report the 3xx instead.
            .max_redirects(0)
            .timeout_global(Some(config.timeout))
            .user_agent(concat!("accord/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Client { agent, config }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.config.endpoint
    }

    /// Replaces `graph` on the server by the triples of `quads` (their graph names are not
    /// sent: the URL names the graph). An empty `quads` leaves the graph empty there.
    pub fn put_graph(&self, graph: &NamedNode, quads: &[Quad]) -> Result<Sent, PushError> {
        let body = turtle(quads);
        let endpoint = self.config.endpoint.as_str().to_string();
        let response = self
            .agent
            .put(&self.config.endpoint.graph_url(graph))
            .header("Content-Type", "text/turtle; charset=utf-8")
            .send(&body[..]);
        let mut response = response.map_err(|e| PushError::Connect {
            graph: graph.as_str().to_string(),
            endpoint: endpoint.clone(),
            message: connect_message(&e, self.config.timeout),
        })?;
        let status = response.status();
        if !status.is_success() {
            let answer = response
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_vec()
                .unwrap_or_default();
            return Err(PushError::Status {
                graph: graph.as_str().to_string(),
                endpoint,
                status: status.to_string(),
                body: abridged(&String::from_utf8_lossy(&answer), 500),
            });
        }
        Ok(Sent {
            triples: quads.len(),
            bytes: body.len(),
            status: status.as_u16(),
        })
    }
}

/// The triples of `quads` as Turtle, in their order.
fn turtle(quads: &[Quad]) -> Vec<u8> {
    let mut ser = RdfSerializer::from_format(RdfFormat::Turtle).for_writer(Vec::new());
    for q in quads {
        ser.serialize_triple(q.as_ref())
            .expect("writing to memory cannot fail");
    }
    ser.finish().expect("writing to memory cannot fail")
}

/// Why a request got no answer, in a few words.
fn connect_message(e: &ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running, on that port?)".to_string()
        }
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::Timeout(_) => format!("no answer within {} s", timeout.as_secs_f64()),
        e => e.to_string(),
    }
}

/// White space collapsed, cut to `max` characters.
fn abridged(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

fn body_note(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{GraphName, Literal};
    use std::sync::{Arc, Mutex};

    fn graph() -> NamedNode {
        NamedNode::new("https://w3id.org/accord/id/graph/莫斯科宣言").unwrap()
    }

    fn quad(o: &str) -> Quad {
        Quad::new(
            NamedNode::new("https://w3id.org/accord/id/state/uzb").unwrap(),
            NamedNode::new("http://www.w3.org/2000/01/rdf-schema#label").unwrap(),
            Literal::new_language_tagged_literal(o, "zh").unwrap(),
            GraphName::NamedNode(graph()),
        )
    }

    fn client(endpoint: &str) -> Client {
        Client::new(Config {
            endpoint: Endpoint::parse(endpoint).unwrap(),
            timeout: Duration::from_secs(10),
        })
    }

    /// What the fake server was sent: the raw query, the content type, the body.
    type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

    /// A Graph Store stand-in on a free loopback port (axum, as `accord serve` uses): records
    /// each request and answers with `status` and `body`.
    fn fake_server(status: u16, body: &'static str) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let record = seen.clone();
        let app = axum::Router::new().route(
            "/store",
            axum::routing::put(
                move |q: axum::extract::RawQuery, h: axum::http::HeaderMap, b: String| async move {
                    let ct = h
                        .get("content-type")
                        .map(|v| v.to_str().unwrap().to_string());
                    record.lock().unwrap().push((
                        q.0.unwrap_or_default(),
                        ct.unwrap_or_default(),
                        b,
                    ));
                    (axum::http::StatusCode::from_u16(status).unwrap(), body)
                },
            ),
        );
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        (format!("http://{addr}/store"), seen)
    }

    #[test]
    fn endpoints() {
        let ok = |u: &str| Endpoint::parse(u).map(|e| e.as_str().to_string());
        assert_eq!(
            ok("http://localhost:7878/store").unwrap(),
            "http://localhost:7878/store"
        );
        assert!(ok("HTTP://h/x?a=b").is_ok());
        let problem = |u: &str| ok(u).unwrap_err().to_string();
        assert!(problem("https://example.org/store").contains("https is not supported"));
        assert_eq!(problem("ftp://h/x"), "not an http:// URL");
        assert_eq!(problem("http:///store"), "no host");
        assert!(problem("http://h/store#x").contains("fragment"));
        assert!(problem("http://h/仓库").contains("percent-encode"));
        let g = graph();
        assert_eq!(
            Endpoint::parse("http://h/store").unwrap().graph_url(&g),
            "http://h/store?graph=https%3A%2F%2Fw3id.org%2Faccord%2Fid%2Fgraph%2F%E8%8E%AB%E6%96%AF%E7%A7%91%E5%AE%A3%E8%A8%80"
        );
        assert!(
            Endpoint::parse("http://h/ds/data?x=1")
                .unwrap()
                .graph_url(&g)
                .starts_with("http://h/ds/data?x=1&graph=https%3A")
        );
    }

    #[test]
    fn puts_turtle_to_the_graph_url() {
        let (endpoint, seen) = fake_server(201, "");
        let quads = [quad("乌兹别克斯坦"), quad("乌兹别克")];
        let sent = client(&endpoint).put_graph(&graph(), &quads).unwrap();
        assert_eq!((sent.triples, sent.status), (2, 201));
        let seen = seen.lock().unwrap();
        let (query, content_type, body) = &seen[0];
        assert_eq!(
            form_urlencoded::parse(query.as_bytes()).collect::<Vec<_>>(),
            [("graph".into(), graph().as_str().into())]
        );
        assert_eq!(content_type, "text/turtle; charset=utf-8");
        assert_eq!(sent.bytes, body.len());
        assert!(body.contains("\"乌兹别克斯坦\"@zh"), "{body}");
        assert!(
            !body.contains("graph/"),
            "the graph is named by the URL only: {body}"
        );
    }

    #[test]
    fn a_refusal_names_the_graph_and_quotes_the_server() {
        let (endpoint, _) = fake_server(400, "Parser error at line 1:\n   bad   Turtle");
        let err = client(&endpoint)
            .put_graph(&graph(), &[quad("x")])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{endpoint} answered 400 Bad Request for graph <{}>: Parser error at line 1: bad Turtle",
                graph().as_str()
            )
        );
    }

    #[test]
    fn a_closed_port_is_connection_refused() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let endpoint = format!("http://127.0.0.1:{port}/store");
        let err = client(&endpoint).put_graph(&graph(), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot send graph <{}> to {endpoint}: connection refused (is the server running, on that port?)",
                graph().as_str()
            )
        );
    }
}
