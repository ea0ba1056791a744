//! `accord serve`: the store over HTTP, read-only.
//!
//! * `/sparql`: the SPARQL 1.1 Protocol (query operation only), results in the format the
//!   client accepts, written by Oxigraph's own serializers;
//! * `/store`: the read side of the Graph Store HTTP Protocol (`?graph=IRI`, `?default`);
//! * `/id/…`: one page per resource accord minted, HTML for browsers and RDF for machines;
//! * `/`: a query page embedded in the binary, with a graph view of an entity's
//!   neighbourhood drawn by Cytoscape.js, vendored and served from the binary at
//!   `/vendor/cytoscape.min.js` (its licence at `/vendor/cytoscape.LICENSE`).
//!
//! Invariant: nothing here writes to the store. Updates, and writes to `/store`, are answered
//! 403. The store is loaded once; a query runs on a blocking thread with a time limit (its
//! cancellation token fires) and a limit on the number of results, and its answer is built in
//! memory before it is sent, so a failure midway still gets an honest status code.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, Quad, Term, Triple};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryResults, QuerySolution};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::rdf::{self, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD};
use crate::store::{QueryDataset, Store, StoreError};

/// The query page, with its script and style inline.
const INDEX_HTML: &str = include_str!("../assets/index.html");
/// Cytoscape.js (MIT), vendored from its npm package; see `assets/vendor/README`.
const CYTOSCAPE_JS: &str = include_str!("../assets/vendor/cytoscape.min.js");
const CYTOSCAPE_LICENSE: &str = include_str!("../assets/vendor/cytoscape.LICENSE");
/// The example queries of `queries/`, as (file name, text).
const EXAMPLES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_queries.rs"));

/// How the server runs; `accord serve` fills it from its flags.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    pub bind: SocketAddr,
    /// Base IRI of the store's identifiers: `/id/REST` is `<BASE>id/REST`.
    pub base: String,
    /// Longest time a query may run.
    pub timeout: Duration,
    /// Most solutions (or triples) a query may return.
    pub max_results: usize,
    /// Largest request body accepted, in bytes.
    pub max_body: usize,
    /// Origins allowed by CORS; empty: CORS off; `*`: any origin.
    pub cors: Vec<String>,
    /// Most queries computing at once. A query that only computes (a cross product of
    /// `VALUES`) does not see its cancellation until it next reads the store, so it keeps its
    /// slot until it really ends: the slots bound the threads such queries can take.
    pub max_queries: usize,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("--cors {0:?} is not an origin")]
    Cors(String),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

struct App {
    store: Store,
    config: Config,
    /// One permit per query slot (`Config::max_queries`).
    slots: Arc<tokio::sync::Semaphore>,
}

/// Serves `store` until SIGINT or SIGTERM; `ready` is called with the bound address once the
/// server accepts connections.
pub fn run(store: Store, config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = runtime.block_on(async move {
        let addr = config.bind;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let router = router(store, config)?;
        ready(listener.local_addr()?);
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        Ok(())
    });
    // A query past its time limit may still be computing: leave it to the process exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    served
}

fn router(store: Store, config: Config) -> Result<Router, ServeError> {
    let max_body = config.max_body;
    let cors = cors_layer(&config.cors)?;
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_queries.max(1)));
    let app = Arc::new(App {
        store,
        config,
        slots,
    });
    let router = Router::new()
        .route("/", get(index))
        .route("/examples.json", get(examples))
        .route(
            "/vendor/cytoscape.min.js",
            get(|| async { asset("text/javascript; charset=utf-8", CYTOSCAPE_JS) }),
        )
        .route(
            "/vendor/cytoscape.LICENSE",
            get(|| async { asset("text/plain; charset=utf-8", CYTOSCAPE_LICENSE) }),
        )
        .route("/sparql", get(sparql_get).post(sparql_post))
        .route(
            "/store",
            get(store_get)
                .post(read_only)
                .put(read_only)
                .delete(read_only)
                .patch(read_only),
        )
        .route("/id/{*rest}", get(entity))
        .fallback(|| async { ApiError::NotFound("no such page".into()) })
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(app);
    let router = match cors {
        Some(layer) => router.layer(layer),
        None => router,
    };
    Ok(router.layer(middleware::from_fn(access_log)))
}

fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>, ServeError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| ServeError::Cors(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(values)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::ACCEPT, header::CONTENT_TYPE]),
    ))
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM; requests in flight are then finished.
async fn shutdown_signal() {
    let ctrl_c = pin!(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    let terminate = pin!(terminate());
    let (mut ctrl_c, mut terminate) = (ctrl_c, terminate);
    std::future::poll_fn(|cx| {
        if ctrl_c.as_mut().poll(cx).is_ready() || terminate.as_mut().poll(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    eprintln!("accord: shutting down");
}

#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending().await
}

/// One line per request on stderr: peer, method, path and query, status, duration.
async fn access_log(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string())
        .unwrap_or_else(|| "-".into());
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    eprintln!(
        "{peer} {method} {uri} {} {}ms",
        response.status().as_u16(),
        start.elapsed().as_millis()
    );
    response
}

/// What goes wrong in a request, and how it is answered: a status and a plain-text reason.
#[derive(Debug)]
enum ApiError {
    BadRequest(String),
    ReadOnly,
    NotFound(String),
    NotAcceptable(&'static str),
    UnsupportedMediaType(String),
    TooManyResults(usize),
    Timeout(Duration),
    /// Every query slot stayed taken for the whole time limit.
    Busy(usize),
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::ReadOnly => (
                StatusCode::FORBIDDEN,
                "this endpoint is read-only: SPARQL updates and writes to the graph store are \
                 not accepted"
                    .into(),
            ),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::NotAcceptable(offered) => (
                StatusCode::NOT_ACCEPTABLE,
                format!("none of the accepted media types can be produced; available: {offered}"),
            ),
            ApiError::UnsupportedMediaType(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, m),
            ApiError::TooManyResults(max) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the query returns more than {max} results; add a LIMIT or start the \
                     server with a larger --max-results"
                ),
            ),
            ApiError::Timeout(t) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the query ran longer than {}s and was stopped; start the server with a \
                     larger --timeout to allow more",
                    t.as_secs_f64()
                ),
            ),
            ApiError::Busy(slots) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "{} stayed busy for the whole time limit; try again later, or start the \
                     server with a larger --max-queries",
                    if slots == 1 {
                        "the only query slot".to_string()
                    } else {
                        format!("all {slots} query slots")
                    }
                ),
            ),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        let mut response = (status, format!("{message}\n")).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Syntax(m) => ApiError::BadRequest(format!("malformed query: {m}")),
            StoreError::Update => ApiError::ReadOnly,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

// --- the query page -------------------------------------------------------------------------

async fn index() -> Response {
    html(INDEX_HTML.to_string())
}

/// A file embedded in the binary, at a fixed route.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// The example queries, named by their first comment line, the base of entity links and the
/// ontology's namespace.
async fn examples(State(app): State<Arc<App>>) -> Response {
    let queries: Vec<serde_json::Value> = EXAMPLES
        .iter()
        .map(|(file, text)| serde_json::json!({"file": file, "name": query_name(file, text), "query": text}))
        .collect();
    let body = serde_json::json!({
        "base": format!("{}id/", app.config.base),
        "ontology": format!("{}ontology#", app.config.base),
        "queries": queries,
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The first comment line of a query, or its file name.
fn query_name(file: &str, text: &str) -> String {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix('#'))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| file.to_string())
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

// --- SPARQL protocol ------------------------------------------------------------------------

/// The parameters of a protocol request, from the URL or a form body.
#[derive(Default)]
struct Params {
    query: Vec<String>,
    update: bool,
    dataset: QueryDataset,
}

fn parse_params(pairs: &[u8], into: &mut Params) -> Result<(), ApiError> {
    for (key, value) in form_urlencoded::parse(pairs) {
        match key.as_ref() {
            "query" => into.query.push(value.into_owned()),
            "update" | "using-graph-uri" | "using-named-graph-uri" => into.update = true,
            "default-graph-uri" => into.dataset.default.push(graph_iri(&value)?),
            "named-graph-uri" => into.dataset.named.push(graph_iri(&value)?),
            _ => {} // other clients' hints (format=, output=): content negotiation decides
        }
    }
    Ok(())
}

fn graph_iri(value: &str) -> Result<NamedNode, ApiError> {
    NamedNode::new(value).map_err(|e| ApiError::BadRequest(format!("bad graph IRI {value:?}: {e}")))
}

/// The one query of a request.
fn single_query(params: Params) -> Result<(String, QueryDataset), ApiError> {
    if params.update {
        return Err(ApiError::ReadOnly);
    }
    let mut queries = params.query.into_iter();
    match (queries.next(), queries.next()) {
        (Some(q), None) => Ok((q, params.dataset)),
        (None, _) => Err(ApiError::BadRequest(
            "no query: give a `query` parameter".into(),
        )),
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "more than one `query` parameter".into(),
        )),
    }
}

async fn sparql_get(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut params = Params::default();
    parse_params(raw.unwrap_or_default().as_bytes(), &mut params)?;
    if params.query.is_empty() && !params.update {
        return service_description(&app, &headers);
    }
    let (query, dataset) = single_query(params)?;
    run_query(app, query, dataset, accept(&headers)).await
}

const SD: &str = "http://www.w3.org/ns/sparql-service-description#";
const FORMATS: &str = "http://www.w3.org/ns/formats/";

/// A `GET` of the endpoint with no query describes it (SPARQL 1.1 Service Description): the
/// language, the result and RDF formats, and that the default graph is the union of the
/// named graphs, so a client such as YASGUI or a federating endpoint knows what it may ask.
fn service_description(app: &App, headers: &HeaderMap) -> Result<Response, ApiError> {
    let format = negotiate_rdf(&accept(headers), false)?.unwrap_or(RdfFormat::Turtle);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| app.config.bind.to_string(), str::to_string);
    let node = |iri: String| NamedNode::new(iri).map_err(|e| ApiError::Internal(e.to_string()));
    let endpoint = node(format!("http://{host}/sparql"))?;
    let service = oxigraph::model::BlankNode::default();
    let dataset = oxigraph::model::BlankNode::default();
    let graph = oxigraph::model::BlankNode::default();
    let a = node(format!("{RDF}type"))?;
    let mut triples = vec![
        Triple::new(service.clone(), a.clone(), node(format!("{SD}Service"))?),
        Triple::new(service.clone(), node(format!("{SD}endpoint"))?, endpoint),
        Triple::new(
            service.clone(),
            node(format!("{SD}supportedLanguage"))?,
            node(format!("{SD}SPARQL11Query"))?,
        ),
        Triple::new(
            service.clone(),
            node(format!("{SD}feature"))?,
            node(format!("{SD}UnionDefaultGraph"))?,
        ),
        Triple::new(
            service.clone(),
            node(format!("{SD}defaultDataset"))?,
            dataset.clone(),
        ),
        Triple::new(dataset.clone(), a.clone(), node(format!("{SD}Dataset"))?),
        Triple::new(dataset, node(format!("{SD}defaultGraph"))?, graph.clone()),
        Triple::new(graph, a, node(format!("{SD}Graph"))?),
    ];
    let formats = [
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "N-Quads",
        "TriG",
        "JSON-LD",
        "RDF_XML",
    ];
    for f in formats {
        triples.push(Triple::new(
            service.clone(),
            node(format!("{SD}resultFormat"))?,
            node(format!("{FORMATS}{f}"))?,
        ));
    }
    Ok(rdf_answer(format, &triples, None, &app.config.base)?.into_response())
}

async fn sparql_post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut params = Params::default();
    parse_params(raw.unwrap_or_default().as_bytes(), &mut params)?;
    match content_type(&headers).as_deref() {
        Some("application/sparql-query") => {
            let text = String::from_utf8(body.to_vec())
                .map_err(|_| ApiError::BadRequest("the query is not UTF-8".into()))?;
            params.query.push(text);
        }
        Some("application/x-www-form-urlencoded") => parse_params(&body, &mut params)?,
        Some("application/sparql-update") => return Err(ApiError::ReadOnly),
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "POST a query as application/sparql-query or \
                 application/x-www-form-urlencoded, not {}",
                other.unwrap_or("a body without Content-Type")
            )));
        }
    }
    let (query, dataset) = single_query(params)?;
    run_query(app, query, dataset, accept(&headers)).await
}

/// The media type of the body, lower-cased, without parameters.
fn content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    value
        .parse::<mime::Mime>()
        .ok()
        .map(|m| m.essence_str().to_ascii_lowercase())
}

fn accept(headers: &HeaderMap) -> String {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
}

/// An answer ready to send: its media type and bytes.
struct Answer {
    media_type: String,
    body: Vec<u8>,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = self.body.into_response();
        if let Ok(v) = HeaderValue::from_str(&self.media_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept"));
        response
    }
}

/// Runs a query on a blocking thread. When its time is up the client gets 503 at once and the
/// query's cancellation token fires; Oxigraph checks it whenever it reads the store, so a query
/// that only computes (a large cross product) stops at its next read.
async fn run_query(
    app: Arc<App>,
    query: String,
    dataset: QueryDataset,
    accept: String,
) -> Result<Response, ApiError> {
    let cancel = CancellationToken::new();
    let timeout = app.config.timeout;
    let started = tokio::time::Instant::now();
    // Waiting for a slot counts against the query's time limit.
    let Ok(Ok(slot)) = tokio::time::timeout(timeout, app.slots.clone().acquire_owned()).await
    else {
        return Err(ApiError::Busy(app.config.max_queries));
    };
    let task = tokio::task::spawn_blocking({
        let cancel = cancel.clone();
        move || {
            // Held until the query really ends, past its time limit if it only computes.
            let _slot = slot;
            let results = app.store.query_with(&query, &dataset, cancel)?;
            answer(results, &accept, app.config.max_results, &app.config.base)
        }
    });
    let left = timeout.saturating_sub(started.elapsed());
    let Ok(joined) = tokio::time::timeout(left, task).await else {
        cancel.cancel();
        return Err(ApiError::Timeout(timeout));
    };
    match joined.map_err(|e| ApiError::Internal(format!("the query failed: {e}")))? {
        Ok(a) => Ok(a.into_response()),
        Err(Failure::Store(StoreError::Cancelled)) => Err(ApiError::Timeout(timeout)),
        Err(Failure::Store(e)) => Err(e.into()),
        Err(Failure::Api(e)) => Err(e),
    }
}

/// A failure while answering: from the store (cancelled, evaluation) or the protocol.
enum Failure {
    Store(StoreError),
    Api(ApiError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<oxigraph::sparql::QueryEvaluationError> for Failure {
    fn from(e: oxigraph::sparql::QueryEvaluationError) -> Self {
        Failure::Store(e.into())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Api(ApiError::Internal(e.to_string()))
    }
}

/// Serialises query results in the negotiated format, at most `max` solutions or triples.
fn answer(
    results: QueryResults<'static>,
    accept: &str,
    max: usize,
    base: &str,
) -> Result<Answer, Failure> {
    match results {
        QueryResults::Boolean(b) => {
            let format = negotiate_results(accept)?;
            let mut body = Vec::new();
            QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(&mut body, b)?;
            Ok(Answer {
                media_type: format.media_type().into(),
                body,
            })
        }
        QueryResults::Solutions(solutions) => {
            let format = negotiate_results(accept)?;
            let mut body = Vec::new();
            let mut ser = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(&mut body, solutions.variables().to_vec())?;
            for (n, solution) in solutions.enumerate() {
                if n == max {
                    return Err(ApiError::TooManyResults(max).into());
                }
                let solution: QuerySolution = solution?;
                ser.serialize(&solution)?;
            }
            ser.finish()?;
            Ok(Answer {
                media_type: format.media_type().into(),
                body,
            })
        }
        QueryResults::Graph(triples) => {
            let format = negotiate_rdf(accept, false)?.ok_or(ApiError::NotAcceptable(RDF_TYPES))?;
            let mut list = Vec::new();
            for (n, t) in triples.enumerate() {
                if n == max {
                    return Err(ApiError::TooManyResults(max).into());
                }
                list.push(t?);
            }
            Ok(rdf_answer(format, &list, None, base)?)
        }
    }
}

const RESULT_TYPES: &str = "application/sparql-results+json, application/sparql-results+xml, \
                            text/csv, text/tab-separated-values";
const RDF_TYPES: &str = "text/turtle, application/n-triples, application/n-quads, application/ld+json, \
     application/rdf+xml, application/trig";

const RESULT_FORMATS: [QueryResultsFormat; 4] = [
    QueryResultsFormat::Json,
    QueryResultsFormat::Xml,
    QueryResultsFormat::Csv,
    QueryResultsFormat::Tsv,
];

fn rdf_formats() -> [RdfFormat; 6] {
    [
        RdfFormat::Turtle,
        RdfFormat::NTriples,
        RdfFormat::NQuads,
        RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        },
        RdfFormat::RdfXml,
        RdfFormat::TriG,
    ]
}

fn negotiate_results(accept: &str) -> Result<QueryResultsFormat, ApiError> {
    let offers: Vec<(&str, QueryResultsFormat)> = RESULT_FORMATS
        .iter()
        .map(|f| (f.media_type(), *f))
        .chain([
            ("application/json", QueryResultsFormat::Json),
            ("application/xml", QueryResultsFormat::Xml),
            ("text/xml", QueryResultsFormat::Xml),
        ])
        .collect();
    negotiate(accept, &offers).ok_or(ApiError::NotAcceptable(RESULT_TYPES))
}

/// The RDF format to answer in, or `None` for HTML when `html` is offered and preferred.
fn negotiate_rdf(accept: &str, html: bool) -> Result<Option<RdfFormat>, ApiError> {
    let mut offers: Vec<(&str, Option<RdfFormat>)> = Vec::new();
    if html {
        offers.push(("text/html", None));
    }
    offers.extend(rdf_formats().into_iter().map(|f| (f.media_type(), Some(f))));
    offers.extend([
        ("application/json", Some(rdf_formats()[3])),
        ("text/plain", Some(RdfFormat::NTriples)),
        ("application/x-turtle", Some(RdfFormat::Turtle)),
    ]);
    negotiate(accept, &offers).ok_or(ApiError::NotAcceptable(RDF_TYPES))
}

/// Picks the offer the `Accept` header prefers: highest q first, then the more specific range,
/// then the order of `offers`. No header means `*/*`.
fn negotiate<T: Copy>(accept: &str, offers: &[(&str, T)]) -> Option<T> {
    let mut ranges: Vec<(f32, u8, mime::Mime)> = accept
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .filter_map(|r| r.parse::<mime::Mime>().ok())
        .map(|m| {
            let q = m
                .get_param("q")
                .and_then(|q| q.as_str().parse::<f32>().ok())
                .unwrap_or(1.0);
            let specificity = match (m.type_() == mime::STAR, m.subtype() == mime::STAR) {
                (true, _) => 0,
                (false, true) => 1,
                (false, false) => 2,
            };
            (q, specificity, m)
        })
        .filter(|(q, _, _)| *q > 0.0)
        .collect();
    if accept.trim().is_empty() {
        ranges.push((1.0, 0, mime::STAR_STAR));
    }
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    ranges.iter().find_map(|(_, _, range)| {
        offers
            .iter()
            .find(|(offer, _)| matches_range(range, offer))
            .map(|(_, t)| *t)
    })
}

fn matches_range(range: &mime::Mime, offer: &str) -> bool {
    let essence = |m: &str| {
        m.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    let (range, offer) = (essence(range.essence_str()), essence(offer));
    let (Some((rt, rs)), Some((ot, os))) = (range.split_once('/'), offer.split_once('/')) else {
        return false;
    };
    (rt == "*" || rt == ot) && (rs == "*" || rs == os)
}

/// Triples (or the quads of `graph`) in an RDF format, with the usual prefixes where the
/// format has them.
fn rdf_answer(
    format: RdfFormat,
    triples: &[Triple],
    graph: Option<&NamedNode>,
    base: &str,
) -> Result<Answer, ApiError> {
    let internal = |e: std::io::Error| ApiError::Internal(e.to_string());
    let mut serializer = RdfSerializer::from_format(format);
    if matches!(format, RdfFormat::Turtle | RdfFormat::TriG) {
        for (prefix, iri) in prefixes(base) {
            serializer = serializer
                .with_prefix(prefix, iri)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
        }
    }
    let mut writer = serializer.for_writer(Vec::new());
    for t in triples {
        match graph {
            Some(g) if format.supports_datasets() => writer
                .serialize_quad(&Quad::new(
                    t.subject.clone(),
                    t.predicate.clone(),
                    t.object.clone(),
                    g.clone(),
                ))
                .map_err(internal)?,
            _ => writer.serialize_triple(t).map_err(internal)?,
        }
    }
    Ok(Answer {
        media_type: format.media_type().into(),
        body: writer.finish().map_err(internal)?,
    })
}

fn prefixes(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("acc", format!("{base}ontology#")),
        ("rdf", RDF.into()),
        ("rdfs", RDFS.into()),
        ("skos", SKOS.into()),
        ("owl", OWL.into()),
        ("prov", PROV.into()),
        ("dcterms", DCTERMS.into()),
        ("xsd", XSD.into()),
    ]
}

// --- Graph Store Protocol, read side --------------------------------------------------------

async fn read_only() -> ApiError {
    ApiError::ReadOnly
}

async fn store_get(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let raw = raw.unwrap_or_default();
    let mut graph = None;
    let mut default = false;
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        match key.as_ref() {
            "graph" if graph.is_none() => graph = Some(graph_iri(&value)?),
            "default" => default = true,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "unexpected parameter {key:?}: use ?graph=IRI or ?default"
                )));
            }
        }
    }
    if graph.is_some() == default {
        return Err(ApiError::BadRequest(
            "name one graph: ?graph=IRI or ?default".into(),
        ));
    }
    let format =
        negotiate_rdf(&accept(&headers), false)?.ok_or(ApiError::NotAcceptable(RDF_TYPES))?;
    let answer = tokio::task::spawn_blocking(move || {
        if let Some(g) = &graph
            && !app.store.has_graph(g)?
        {
            return Err(ApiError::NotFound(format!("no graph {g} in the store")));
        }
        let triples: Vec<Triple> = app
            .store
            .graph_quads(graph.as_ref())?
            .into_iter()
            .map(Triple::from)
            .collect();
        rdf_answer(format, &triples, graph.as_ref(), &app.config.base)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(answer.into_response())
}

// --- entity pages ---------------------------------------------------------------------------

/// `/id/REST`: the resource `<BASE>id/REST`, as HTML or RDF. `REST` arrives percent-decoded and
/// is encoded again the way accord mints IRIs, so both spellings of an ideograph find it.
async fn entity(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(rest): Path<String>,
) -> Result<Response, ApiError> {
    let iri = NamedNode::new(format!("{}id/{}", app.config.base, rdf::encode_path(&rest)))
        .map_err(|e| ApiError::BadRequest(format!("not an identifier: {e}")))?;
    let format = negotiate_rdf(&accept(&headers), true)?;
    let answer = tokio::task::spawn_blocking(move || -> Result<Response, Failure> {
        let triples = describe(&app.store, &iri)?;
        if triples.is_empty() {
            return Err(ApiError::NotFound(format!("nothing is known about {iri}")).into());
        }
        Ok(match format {
            Some(RdfFormat::JsonLd { .. }) => entity_jsonld(&triples, &app.config.base)?,
            Some(f) => rdf_answer(f, &triples, None, &app.config.base)?.into_response(),
            None => html(entity_page(&app.store, &iri, &app.config.base)?),
        })
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    match answer {
        Ok(mut r) => {
            r.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("accept"));
            Ok(r)
        }
        Err(Failure::Store(e)) => Err(e.into()),
        Err(Failure::Api(e)) => Err(e),
    }
}

/// An entity as compact JSON-LD with accord's own `@context`, as `graph.jsonld` writes it:
/// terms (`label`, `proposed`, `State`) rather than full IRIs, so the page a machine gets reads
/// like the export.
fn entity_jsonld(triples: &[Triple], base: &str) -> Result<Response, Failure> {
    let vocab = rdf::Vocab::new(base).map_err(|e| ApiError::Internal(e.to_string()))?;
    let quads: Vec<Quad> = triples
        .iter()
        .map(|t| {
            Quad::new(
                t.subject.clone(),
                t.predicate.clone(),
                t.object.clone(),
                GraphName::DefaultGraph,
            )
        })
        .collect();
    let mut doc = crate::export::jsonld(&quads, &vocab);
    // One default graph: its nodes are the document's, with no named-graph wrapper.
    let nodes = doc["@graph"][0]["@graph"].take();
    doc["@graph"] = nodes;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/ld+json")], body).into_response())
}

/// A query the server itself runs (no time limit: it is small and bounded by one resource).
fn select(store: &Store, sparql: &str) -> Result<Vec<QuerySolution>, Failure> {
    match store.query_with(sparql, &QueryDataset::default(), CancellationToken::new())? {
        QueryResults::Solutions(s) => Ok(s.collect::<Result<_, _>>()?),
        _ => Err(ApiError::Internal("not a SELECT query".into()).into()),
    }
}

/// Triples of which `iri` is subject or object, in any graph.
fn describe(store: &Store, iri: &NamedNode) -> Result<Vec<Triple>, Failure> {
    let q = format!(
        "CONSTRUCT {{ {iri} ?p ?o . ?s ?q {iri} }} WHERE {{ {{ {iri} ?p ?o }} UNION {{ ?s ?q {iri} }} }}"
    );
    match store.query_with(&q, &QueryDataset::default(), CancellationToken::new())? {
        QueryResults::Graph(t) => Ok(t.collect::<Result<_, _>>()?),
        _ => Err(ApiError::Internal("not a CONSTRUCT query".into()).into()),
    }
}

/// One fact about the page's resource: the other end, and the sentences that state it.
struct Fact {
    predicate: NamedNode,
    other: Term,
    other_label: Option<String>,
    sources: Vec<Source>,
}

struct Source {
    text: String,
    sentence: String,
    document: String,
    rule: String,
}

const LABEL: &str =
    "OPTIONAL { ?o <http://www.w3.org/2000/01/rdf-schema#label> ?zh FILTER(lang(?zh) = \"zh\") }
  OPTIONAL { ?o <http://www.w3.org/2000/01/rdf-schema#label> ?en FILTER(lang(?en) = \"en\") }
  OPTIONAL { ?o <http://purl.org/dc/terms/title> ?title }
  OPTIONAL { ?o ?textp ?text FILTER(?textp = ACC_TEXT) }";

/// Facts from (`outgoing`) or to the resource, with labels of the other end and sources.
fn facts(store: &Store, iri: &NamedNode, outgoing: bool, base: &str) -> Result<Vec<Fact>, Failure> {
    let acc = format!("{base}ontology#");
    let pattern = if outgoing {
        format!("{iri} ?p ?o")
    } else {
        format!("?o ?p {iri} FILTER(?p NOT IN (<{RDF}subject>, <{RDF}object>))")
    };
    let labels = LABEL.replace("ACC_TEXT", &format!("<{acc}text>"));
    let q = format!(
        "SELECT DISTINCT ?p ?o ?zh ?en ?title ?text WHERE {{ {pattern} {labels} }} ORDER BY ?p ?o"
    );
    let mut out: Vec<Fact> = Vec::new();
    for row in select(store, &q)? {
        let (Some(Term::NamedNode(p)), Some(o)) = (row.get("p"), row.get("o")) else {
            continue;
        };
        if out
            .last()
            .is_some_and(|f| &f.predicate == p && &f.other == o)
        {
            continue;
        }
        let label = ["zh", "en", "title", "text"]
            .iter()
            .filter_map(|v| match row.get(*v) {
                Some(Term::Literal(l)) => Some(l.value().to_string()),
                _ => None,
            })
            .collect::<Vec<_>>();
        let label = match label.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [zh, en, ..] if row.get("en").is_some() && row.get("zh").is_some() => {
                Some(format!("{zh} ({en})"))
            }
            [first, ..] => Some(first.clone()),
        };
        out.push(Fact {
            predicate: p.clone(),
            other: o.clone(),
            other_label: label,
            sources: Vec::new(),
        });
    }
    attach_sources(store, iri, outgoing, &acc, &mut out)?;
    Ok(out)
}

/// The sentences (and rules) each fact comes from: its `rdf:Statement`s.
fn attach_sources(
    store: &Store,
    iri: &NamedNode,
    outgoing: bool,
    acc: &str,
    facts: &mut [Fact],
) -> Result<(), Failure> {
    let (this, other) = if outgoing {
        ("subject", "object")
    } else {
        ("object", "subject")
    };
    let q = format!(
        "SELECT DISTINCT ?p ?o ?s ?text ?doc ?rule WHERE {{
           ?st <{RDF}{this}> {iri} ; <{RDF}predicate> ?p ; <{RDF}{other}> ?o ;
               <{PROV}wasDerivedFrom> ?s ; <{acc}rule> ?rule .
           ?s <{acc}text> ?text ; <{acc}inDocument> ?doc .
         }} ORDER BY ?doc ?s"
    );
    for row in select(store, &q)? {
        let (Some(Term::NamedNode(p)), Some(o)) = (row.get("p"), row.get("o")) else {
            continue;
        };
        let text = |v: &str| match row.get(v) {
            Some(Term::Literal(l)) => l.value().to_string(),
            Some(Term::NamedNode(n)) => n.as_str().to_string(),
            _ => String::new(),
        };
        if let Some(f) = facts
            .iter_mut()
            .find(|f| &f.predicate == p && &f.other == o)
        {
            f.sources.push(Source {
                text: text("text"),
                sentence: text("s"),
                document: text("doc"),
                rule: text("rule"),
            });
        }
    }
    Ok(())
}

/// The HTML page of a resource: labels, types, facts both ways with their sentences.
fn entity_page(store: &Store, iri: &NamedNode, base: &str) -> Result<String, Failure> {
    let out = facts(store, iri, true, base)?;
    let incoming = facts(store, iri, false, base)?;
    let values = |p: &str| -> Vec<String> {
        out.iter()
            .filter(|f| f.predicate.as_str() == p)
            .map(|f| match &f.other {
                Term::Literal(l) => l.value().to_string(),
                other => other.to_string(),
            })
            .collect()
    };
    let labels = values(&format!("{RDFS}label"));
    let title = labels
        .first()
        .cloned()
        .or_else(|| values(&format!("{DCTERMS}title")).first().cloned())
        .unwrap_or_else(|| iri.as_str().to_string());
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>{css}</style></head><body>\n<p><a href=\"/\">accord</a></p>\n<h1>{t}</h1>\n\
         <p class=\"iri\">{i}</p>\n",
        t = escape(&title),
        i = escape(iri.as_str()),
        css = PAGE_CSS,
    );
    if labels.len() > 1 {
        let _ = writeln!(page, "<p>{}</p>", escape(&labels[1..].join(" · ")));
    }
    fact_table(&mut page, "Facts", &out, base, true);
    sentence_list(&mut page, &sentences(store, iri, base)?);
    fact_table(&mut page, "Facts about it", &incoming, base, false);
    page.push_str("</body></html>\n");
    Ok(page)
}

/// A sentence of a text, as its page lists it.
struct Sentence {
    /// The fragment of its IRI (`s12` of `…/doc/moscow-2020-web#s12`).
    anchor: String,
    paragraph: String,
    section: Option<String>,
    text: String,
}

/// The sentences facts were read from in the text `iri` (none for other resources), in text
/// order. Sentence IRIs are `<text IRI>#sN`: listed under those anchors on the text's page,
/// they dereference to the place in the page that shows them.
fn sentences(store: &Store, iri: &NamedNode, base: &str) -> Result<Vec<Sentence>, Failure> {
    let acc = format!("{base}ontology#");
    let q = format!(
        "SELECT DISTINCT ?s ?paragraph ?section ?text ?start WHERE {{ ?s <{acc}inDocument> {iri} ; \
         <{acc}paragraph> ?paragraph ; <{acc}text> ?text ; <{acc}charStart> ?start . \
         OPTIONAL {{ ?s <{acc}section> ?section }} }} ORDER BY ?start"
    );
    let prefix = format!("{}#", iri.as_str());
    let value = |row: &QuerySolution, name: &str| match row.get(name) {
        Some(Term::Literal(l)) => Some(l.value().to_string()),
        _ => None,
    };
    Ok(select(store, &q)?
        .iter()
        .filter_map(|row| {
            let Some(Term::NamedNode(s)) = row.get("s") else {
                return None;
            };
            Some(Sentence {
                anchor: s.as_str().strip_prefix(&prefix)?.to_string(),
                paragraph: value(row, "paragraph")?,
                section: value(row, "section"),
                text: value(row, "text")?,
            })
        })
        .collect())
}

fn sentence_list(page: &mut String, sentences: &[Sentence]) {
    if sentences.is_empty() {
        return;
    }
    page.push_str("<h2>Sentences facts were read from</h2>\n");
    for s in sentences {
        let section = s
            .section
            .as_deref()
            .map(|x| format!(" §{}", escape(x)))
            .unwrap_or_default();
        let _ = writeln!(
            page,
            "<p id=\"{a}\"><a class=\"rule\" href=\"#{a}\">¶{p}{section}</a> {t}</p>",
            a = escape(&s.anchor),
            p = escape(&s.paragraph),
            t = escape(&s.text),
        );
    }
}

const PAGE_CSS: &str = "body{font-family:sans-serif;max-width:72em;margin:1em auto;padding:0 1em}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3em;\
text-align:left;vertical-align:top}.iri{color:#555;font-family:monospace}\
.src{color:#444;font-size:.9em}.rule{color:#888;font-family:monospace}";

fn fact_table(page: &mut String, heading: &str, facts: &[Fact], base: &str, outgoing: bool) {
    if facts.is_empty() {
        return;
    }
    let other = if outgoing { "Value" } else { "Subject" };
    let _ = writeln!(
        page,
        "<h2>{heading}</h2>\n<table><tr><th>Property</th><th>{other}</th><th>From</th></tr>"
    );
    for f in facts {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>",
            escape(&compact(f.predicate.as_str(), base)),
            term_html(&f.other, f.other_label.as_deref(), base)
        );
        for s in &f.sources {
            let _ = write!(
                page,
                "<div class=\"src\">{} — <a href=\"{}\">{}</a> <span class=\"rule\">{}</span></div>",
                escape(&s.text),
                escape(&local_href(&s.sentence, base)),
                escape(&compact(&s.document, base)),
                escape(&s.rule)
            );
        }
        page.push_str("</td></tr>\n");
    }
    page.push_str("</table>\n");
}

/// A term as HTML: a link (to its page when accord minted it) labelled by `label`, or the
/// literal's text with its language or datatype.
fn term_html(term: &Term, label: Option<&str>, base: &str) -> String {
    match term {
        Term::NamedNode(n) => {
            let text = label.map_or_else(|| compact(n.as_str(), base), str::to_string);
            format!(
                "<a href=\"{}\">{}</a>",
                escape(&local_href(n.as_str(), base)),
                escape(&text)
            )
        }
        Term::Literal(l) => {
            let note = match l.language() {
                Some(lang) => format!("@{lang}"),
                None if l.datatype().as_str() == format!("{XSD}string") => String::new(),
                None => format!(" ({})", compact(l.datatype().as_str(), base)),
            };
            format!(
                "{}<span class=\"rule\">{}</span>",
                escape(l.value()),
                escape(&note)
            )
        }
        other => escape(&other.to_string()),
    }
}

/// The link to an IRI: its page here when it lies under `<base>id/`, else the IRI itself.
fn local_href(iri: &str, base: &str) -> String {
    match iri.strip_prefix(&format!("{base}id/")) {
        Some(rest) => format!("/id/{rest}"),
        None => iri.to_string(),
    }
}

/// An IRI with a known prefix written as `prefix:local`.
fn compact(iri: &str, base: &str) -> String {
    prefixes(base)
        .into_iter()
        .chain([("id", format!("{base}id/"))])
        .find_map(|(p, ns)| iri.strip_prefix(ns.as_str()).map(|l| format!("{p}:{l}")))
        .unwrap_or_else(|| iri.to_string())
}

/// Text made safe for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_q_values_and_specificity() {
        let offers = [("text/turtle", 1), ("application/n-triples", 2)];
        assert_eq!(negotiate("", &offers), Some(1));
        assert_eq!(negotiate("*/*", &offers), Some(1));
        assert_eq!(negotiate("application/n-triples", &offers), Some(2));
        assert_eq!(
            negotiate("text/turtle;q=0.5, application/*;q=0.9", &offers),
            Some(2)
        );
        assert_eq!(
            negotiate("*/*;q=0.1, application/n-triples", &offers),
            Some(2)
        );
        assert_eq!(negotiate("image/png", &offers), None);
        assert_eq!(negotiate("text/turtle;q=0", &offers), None);
        let with_params = [("text/csv; charset=utf-8", 3), ("application/ld+json", 4)];
        assert_eq!(negotiate("text/csv", &with_params), Some(3));
        assert_eq!(negotiate("application/ld+json", &with_params), Some(4));
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn links_stay_on_the_server_only_for_minted_iris() {
        let base = rdf::DEFAULT_BASE;
        assert_eq!(
            local_href("https://w3id.org/accord/id/state/uzb", base),
            "/id/state/uzb"
        );
        assert_eq!(
            local_href("http://www.wikidata.org/entity/Q265", base),
            "http://www.wikidata.org/entity/Q265"
        );
    }

    #[test]
    fn example_queries_are_named_by_their_first_comment() {
        assert!(!EXAMPLES.is_empty());
        for (file, text) in EXAMPLES {
            assert_ne!(query_name(file, text), *file, "{file} has no comment line");
        }
    }
}
