//! The `accord` command line: a thin layer over the library. Exit status: 0 all good, 1 some
//! inputs were skipped (named on stderr), 2 nothing could be done.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use accord::export::{self, Format};
use accord::rdf::{self, Vocab};
use accord::read::ReadError;
use accord::rules::Rules;
use accord::store::{
    Changes, DocumentEntry, Manifest, QueryDataset, Settings, Store, StoreError, Verdict,
};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use encoding_rs::Encoding;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{Term, Triple};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryResults};
use rayon::prelude::*;

use crate::progress::Progress;

mod progress;

/// Turns diplomatic texts into a knowledge graph you can query with SPARQL.
#[derive(Parser)]
#[command(name = "accord", version, about, long_about = None)]
struct Cli {
    /// Read rule files from this folder instead of the rules built into accord.
    #[arg(long, global = true, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// Base IRI of identifiers and ontology terms: an absolute IRI ending in '/' (default: the
    /// store's, else https://w3id.org/accord/).
    #[arg(long, global = true, value_name = "IRI")]
    base: Option<String>,
    /// Folder of the store and the exports.
    #[arg(long, global = true, value_name = "DIR", default_value = "output")]
    out: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract facts from text files and web pages (folders are walked for *.txt, *.html and *.htm, any case), JSON Lines files
    /// (*.jsonl: one document per line) or standard input (-) into the store, then write
    /// graph.ttl, graph.nq, graph.trig, graph.jsonld, graph.dot and graph.graphml of the
    /// documents, and entities.ttl of the gazetteer; or, with --stdout, write each document's
    /// N-Quads to standard output. Re-extracting a file replaces its graph; a document whose
    /// input, rules and build are unchanged since the last run is not extracted again, and a
    /// run that changes nothing writes nothing. Inputs that cannot be read are named and
    /// skipped (exit status 1).
    Extract(ExtractArgs),
    /// Drop documents from the store (their fact and provenance graphs), named by their keys
    /// (file stems, record ids), then write the exports again.
    Remove {
        #[arg(value_name = "DOC", required = true)]
        keys: Vec<String>,
        /// Print nothing on standard error but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a SPARQL query over the union of all documents.
    Query {
        /// The query text (or use -f).
        #[arg(value_name = "SPARQL", required_unless_present = "file")]
        sparql: Option<String>,
        /// Read the query from a file.
        #[arg(short, long, value_name = "FILE", conflicts_with = "sparql")]
        file: Option<PathBuf>,
        /// Output format. SELECT: table (default on a terminal), tsv (default otherwise),
        /// sparql-tsv, csv, json, xml; ASK: true/false, or json, xml; CONSTRUCT and DESCRIBE:
        /// turtle (default), ntriples, nquads, trig, jsonld.
        #[arg(long, value_enum)]
        format: Option<ResultFormat>,
    },
    /// Show how accord reads one file, sentence by sentence: its mentions by type, its facts
    /// with their rule and the bytes of their sentence, the mentions and facts that lost a
    /// conflict and to what, the relation rules that nearly matched and the element they failed
    /// at, and what was lost (facts dropped, dates unresolved, anaphors with nothing to point
    /// back to). With --uncovered, list instead the sentences of the files (folders are walked
    /// for *.txt, *.html, *.htm) that name a known entity but give no fact.
    Explain {
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// Show only the paragraph of this number (the number the text view shows).
        #[arg(long, value_name = "N")]
        para: Option<usize>,
        /// Show only what this rule did: its mentions, facts and near misses.
        #[arg(long, value_name = "ID")]
        rule: Option<String>,
        /// text (default) or json: the same report.
        #[arg(long, value_enum, default_value = "text")]
        format: ExplainFormat,
        /// List the sentences that name a known entity but give no fact.
        #[arg(long, conflicts_with_all = ["para", "rule"])]
        uncovered: bool,
        /// Read the file in this encoding instead of detecting it.
        #[arg(long, value_name = "LABEL", value_parser = accord::read::encoding_for_label)]
        encoding: Option<&'static Encoding>,
        /// The document's date (YYYY-MM-DD), for a text that gives days without a year or
        /// relative days (`昨日`); without it, the text's own date line.
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        date: Option<chrono::NaiveDate>,
    },
    /// Compare extraction with hand-written expected facts (`.facts` files) and print
    /// per-predicate precision and recall, the wrong and the missed facts, and the cases whose
    /// text is not in the document. `% document` paths are read from the `.facts` file's
    /// folder (or a folder above it).
    Eval {
        #[arg(value_name = "FACTS", required = true)]
        files: Vec<PathBuf>,
    },
    /// Write the documents of the store (each with the entities its text names) in one
    /// format, or the whole gazetteer with --gazetteer. The graph dumps (dot, graphml,
    /// cytoscape) can draw a part of the graph: --around, --predicate, --type, --document.
    Export {
        #[arg(long, value_enum)]
        format: Format,
        /// Write the gazetteer graph (every known entity) instead of the documents.
        #[arg(long)]
        gazetteer: bool,
        /// Output file (default: standard output).
        #[arg(short, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        selection: SelectionArgs,
    },
    /// Serve the store over HTTP, read-only: SPARQL at /sparql, graphs at /store, a page per
    /// entity at /id/..., a query page at /. Stops on Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Send the store's graphs to a SPARQL 1.1 Graph Store HTTP Protocol endpoint (Oxigraph
    /// server, Jena Fuseki, QLever, Virtuoso…): each document's fact and provenance graphs,
    /// then the gazetteer graph, one HTTP PUT per graph, each replacing the graph of that name
    /// on the server. Stops at the first graph the server does not take.
    Push(PushArgs),
    /// Work on the rule files (the built-in ones, or those of --rules).
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Run every rule's examples (a relation's text gives exactly the facts it lists, a
    /// pattern's exactly the mentions) and counterexamples (the rule gives nothing from the
    /// text); print each failure, and each rule with no example, with the rule's file:line.
    /// Exit status 1 when one fails or a rule has no example.
    Test,
    /// Check the rule files and report every problem at once, each as
    /// `file:line:column: error|warning: message` with a hint, then a count. Exit status 1
    /// when there is an error; warnings alone leave it 0.
    Check,
}

#[derive(clap::Args)]
struct PushArgs {
    /// The Graph Store endpoint, an http:// URL: http://localhost:7878/store for Oxigraph
    /// server, http://localhost:3030/DATASET/data for Fuseki.
    #[arg(long, value_name = "URL", value_parser = accord::push::Endpoint::parse)]
    endpoint: accord::push::Endpoint,
    /// Send only these documents (keys as in the store: file stems, record ids), and the
    /// gazetteer. Default: every document in the store.
    #[arg(long = "document", value_name = "KEY", num_args = 1..)]
    documents: Vec<String>,
    /// Longest time one graph may take, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    timeout: f64,
    /// Print nothing on standard error but errors.
    #[arg(long, short)]
    quiet: bool,
}

/// What a graph dump draws.
#[derive(clap::Args)]
struct SelectionArgs {
    /// Draw only the neighbourhood of this entity: a label or alias, a key (state/…, or its
    /// last part), label@YYYY-MM-DD for an event of that date, or an IRI, as `accord eval`
    /// names entities. A name that fits several entities (a meeting held every year) draws
    /// around each.
    #[arg(long, value_name = "ENTITY", conflicts_with = "gazetteer")]
    around: Option<String>,
    /// How many facts away from the --around entity to draw.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "around")]
    depth: usize,
    /// Draw only facts of this predicate (proposed, supports, heldIn…); repeatable.
    #[arg(long, value_name = "P", conflicts_with = "gazetteer")]
    predicate: Vec<String>,
    /// Draw only entities of this class (State, Organization, Initiative…) and the --around
    /// entity; repeatable.
    #[arg(long = "type", value_name = "T", conflicts_with = "gazetteer")]
    types: Vec<String>,
    /// Draw only the facts of this document: its key (the file's stem), file or title.
    #[arg(long, value_name = "D", conflicts_with = "gazetteer")]
    document: Option<String>,
}

impl SelectionArgs {
    fn is_empty(&self) -> bool {
        self.around.is_none()
            && self.predicate.is_empty()
            && self.types.is_empty()
            && self.document.is_none()
    }

    fn selection(self) -> export::Selection {
        export::Selection {
            around: self.around,
            depth: self.depth,
            predicates: self.predicate,
            types: self.types,
            document: self.document,
        }
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7878")]
    bind: std::net::SocketAddr,
    /// Longest time a query may run, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    /// Most solutions or triples a query may return.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_results: usize,
    /// Largest request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_body: usize,
    /// Allow cross-origin requests from this origin (repeatable; `*` for any). Default: none.
    #[arg(long, value_name = "ORIGIN")]
    cors: Vec<String>,
    /// Most queries computing at once; others wait for a slot within their time limit, then
    /// get 503. Default: twice the number of cores.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_queries: Option<u32>,
}

/// What `accord query` prints.
#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum ResultFormat {
    /// Aligned columns of plain values (SELECT).
    Table,
    /// SPARQL 1.1 CSV: plain values (SELECT).
    Csv,
    /// Plain values, tab-separated, `\t` `\n` `\r` `\\` escaped (SELECT).
    Tsv,
    /// SPARQL 1.1 TSV: terms in SPARQL syntax, `"…"@en`, `<iri>` (SELECT).
    SparqlTsv,
    /// SPARQL 1.1 JSON results (SELECT, ASK).
    Json,
    /// SPARQL 1.1 XML results (SELECT, ASK).
    Xml,
    /// Turtle with prefixes (CONSTRUCT, DESCRIBE).
    Turtle,
    /// N-Triples (CONSTRUCT, DESCRIBE).
    Ntriples,
    /// N-Quads, all in the default graph (CONSTRUCT, DESCRIBE).
    Nquads,
    /// TriG with prefixes, all in the default graph (CONSTRUCT, DESCRIBE).
    Trig,
    /// JSON-LD, expanded (CONSTRUCT, DESCRIBE).
    Jsonld,
}

impl ResultFormat {
    /// The SPARQL results format of this choice, if it is one.
    fn results(self) -> Option<QueryResultsFormat> {
        match self {
            ResultFormat::Csv => Some(QueryResultsFormat::Csv),
            ResultFormat::SparqlTsv => Some(QueryResultsFormat::Tsv),
            ResultFormat::Json => Some(QueryResultsFormat::Json),
            ResultFormat::Xml => Some(QueryResultsFormat::Xml),
            _ => None,
        }
    }

    /// The RDF format of this choice, if it is one.
    fn rdf(self) -> Option<RdfFormat> {
        match self {
            ResultFormat::Turtle => Some(RdfFormat::Turtle),
            ResultFormat::Ntriples => Some(RdfFormat::NTriples),
            ResultFormat::Nquads => Some(RdfFormat::NQuads),
            ResultFormat::Trig => Some(RdfFormat::TriG),
            ResultFormat::Jsonld => Some(RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            }),
            _ => None,
        }
    }

    fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("accord: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<ExitCode> {
    let vocab = run_vocab(cli.base.as_deref(), &cli.out)?;
    match cli.command {
        Command::Extract(args) => {
            let rules = load_rules(cli.rules.as_deref())?;
            extract(&rules, &vocab, &args, &cli.out)
        }
        Command::Remove { keys, quiet } => remove(&vocab, &keys, &cli.out, quiet),
        Command::Query {
            sparql,
            file,
            format,
        } => {
            let text = match (sparql, file) {
                (Some(q), _) => q,
                (None, Some(f)) => {
                    fs::read_to_string(&f).with_context(|| format!("{}", f.display()))?
                }
                (None, None) => bail!("give a query or -f FILE"),
            };
            query(&open_store(&cli.out)?, &vocab, &text, format)
        }
        Command::Rules {
            command: RulesCommand::Test,
        } => rules_test(&load_rules(cli.rules.as_deref())?),
        Command::Rules {
            command: RulesCommand::Check,
        } => rules_check(cli.rules.as_deref()),
        Command::Explain {
            files,
            para,
            rule,
            format,
            uncovered,
            encoding,
            date,
        } => {
            let rules = load_rules(cli.rules.as_deref())?;
            let read = ExplainRead { encoding, date };
            if uncovered {
                explain_uncovered(&rules, &files, &read, format)
            } else {
                let filter = accord::explain::Filter {
                    paragraph: para,
                    rule,
                };
                explain(&rules, &files, &read, &filter, format)
            }
        }
        Command::Eval { files } => {
            let rules = load_rules(cli.rules.as_deref())?;
            eval(&rules, &files)
        }
        Command::Export {
            format,
            gazetteer,
            output,
            selection,
        } => {
            let store = open_store(&cli.out)?;
            let (documents, entities) = export::split_gazetteer(store.sorted_quads()?, &vocab);
            if !selection.is_empty() {
                if !export::is_graph_dump(format) {
                    bail!(
                        "--around, --predicate, --type and --document select what a graph \
                         dump draws: use them with --format dot, graphml or cytoscape"
                    );
                }
                let rules = load_rules(cli.rules.as_deref())?;
                let sel = selection.selection();
                let drawing = export::select(&documents, &entities, &vocab, &rules, &sel)?;
                return write_export(output.as_deref(), |w| {
                    export::write_drawing(format, &drawing, w)
                });
            }
            let quads = if gazetteer { entities } else { documents };
            write_export(output.as_deref(), |w| {
                export::write(format, &quads, &vocab, w)
            })
        }
        Command::Serve(args) => serve(open_store(&cli.out)?, &cli.out, vocab.base, args),
        Command::Push(args) => push(&open_store(&cli.out)?, &vocab, args),
    }
}

/// The IRIs of this run: `--base` if given, else the base the store records, else the
/// default. A store made with another base is refused, since its IRIs and this run's would
/// never meet.
fn run_vocab(given: Option<&str>, out: &Path) -> Result<Vocab> {
    if let Some(given) = given {
        Vocab::new(given)?;
    }
    let recorded = accord::store::recorded_base(out)?;
    let base = match (given, recorded.as_deref()) {
        (Some(given), Some(recorded)) if given != recorded => bail!(
            "{} was made with --base {recorded}, not {given}: give that base, or another --out",
            out.join("store").display()
        ),
        (Some(base), _) | (None, Some(base)) => base,
        (None, None) => rdf::DEFAULT_BASE,
    };
    Ok(Vocab::new(base)?)
}

fn serve(store: Store, out: &Path, base: String, args: ServeArgs) -> Result<ExitCode> {
    let timeout = std::time::Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .context("--timeout must be a positive number of seconds")?;
    let config = accord::serve::Config {
        bind: args.bind,
        base,
        timeout,
        max_results: args.max_results,
        max_body: args.max_body,
        cors: args.cors,
        max_queries: args.max_queries.map_or_else(
            || std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            |n| n as usize,
        ),
    };
    let quads = store.len()?;
    accord::serve::run(store, config, |addr| {
        eprintln!(
            "accord: serving {} ({quads} quads, read-only) on http://{addr}/",
            out.join("store").display()
        );
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Sends the graphs of the documents asked for (default: all) and the gazetteer's, one PUT
/// each, in the store's order; the first failure stops the push.
fn push(store: &Store, vocab: &Vocab, args: PushArgs) -> Result<ExitCode> {
    let keys = documents_to_push(store, &args.documents)?;
    let mut graphs: Vec<_> = keys
        .iter()
        .flat_map(|k| [vocab.doc_graph(k), vocab.provenance_graph(k)])
        .collect();
    graphs.push(vocab.entities_graph());
    let timeout = std::time::Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .context("--timeout must be a positive number of seconds")?;
    let client = accord::push::Client::new(accord::push::Config {
        endpoint: args.endpoint,
        timeout,
    });
    let say = |line: String| {
        if !args.quiet {
            eprintln!("{line}");
        }
    };
    let (mut triples, mut bytes) = (0, 0);
    for (i, graph) in graphs.iter().enumerate() {
        let quads = store.graph_quads(Some(graph))?;
        let sent = client.put_graph(graph, &quads).with_context(|| match i {
            0 => "nothing pushed".to_string(),
            i => format!("push stopped after {i} of {} graphs", graphs.len()),
        })?;
        triples += sent.triples;
        bytes += sent.bytes;
        let done = if sent.status == 201 {
            "created"
        } else {
            "replaced"
        };
        say(format!(
            "[{}/{}] <{}>: {} triples, {} {done}",
            i + 1,
            graphs.len(),
            graph.as_str(),
            sent.triples,
            sent.status,
        ));
    }
    say(format!(
        "pushed {} graphs of {} and the gazetteer ({triples} triples, {} KB of Turtle) to {}",
        graphs.len(),
        count_documents(keys.len()),
        bytes.div_ceil(1024),
        client.endpoint().as_str()
    ));
    Ok(ExitCode::SUCCESS)
}

/// The keys of the documents to push, in the store's order: those named, each once, or every
/// document of the store. A key the store does not hold is an error before anything is sent.
fn documents_to_push<'a>(store: &'a Store, named: &'a [String]) -> Result<Vec<&'a String>> {
    let held = &store.manifest.documents;
    if named.is_empty() {
        return Ok(held.keys().collect());
    }
    let unknown: Vec<&String> = named.iter().filter(|k| !held.contains_key(*k)).collect();
    if !unknown.is_empty() {
        bail!("no document {} in the store", join(&unknown));
    }
    let mut keys: Vec<&String> = named.iter().collect();
    keys.sort();
    keys.dedup();
    Ok(keys)
}

fn rules_test(rules: &Rules) -> Result<ExitCode> {
    let report = accord::eval::test_rules(rules).map_err(|e| anyhow::anyhow!(e))?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    for f in &report.failures {
        writeln!(
            out,
            "{}: rule {}: {} fails: {}",
            f.place, f.rule, f.kind, f.text
        )?;
        if !f.wrong.is_empty() {
            let what = if f.kind == "example" {
                "not listed"
            } else {
                "gave"
            };
            writeln!(out, "  {what}: {}", f.wrong.join("; "))?;
        }
        if !f.missed.is_empty() {
            writeln!(out, "  missing: {}", f.missed.join("; "))?;
        }
    }
    for (place, rule) in &report.without_example {
        writeln!(out, "{place}: rule {rule} has no example")?;
    }
    for (place, rule) in &report.never_fire {
        writeln!(out, "{place}: rule {rule} matches none of its own examples")?;
    }
    writeln!(
        out,
        "{} examples, {} counterexamples of {} relation and {} pattern rules ({} without an \
         example): {} failed",
        report.examples,
        report.counterexamples,
        rules.relations.len(),
        rules.patterns.len(),
        report.without_example.len(),
        report.failures.len()
    )?;
    out.flush()?;
    Ok(
        if report.failures.is_empty() && report.without_example.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

fn rules_check(dir: Option<&Path>) -> Result<ExitCode> {
    let report = match dir {
        Some(d) => accord::check::check_dir(d).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => accord::check::check_embedded(),
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    for d in &report.diagnostics {
        writeln!(out, "{}", d.with_hint())?;
    }
    writeln!(out, "{}", report.summary())?;
    out.flush()?;
    Ok(if report.errors() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A day as `YYYY-MM-DD`.
fn parse_day(s: &str) -> std::result::Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a day written YYYY-MM-DD"))
}

/// How `explain` reads its files.
struct ExplainRead {
    encoding: Option<&'static Encoding>,
    date: Option<chrono::NaiveDate>,
}

impl ExplainRead {
    fn extract(&self, rules: &Rules, path: &Path) -> Result<accord::Extraction> {
        let mut doc = accord::read::read_file_as(path, self.encoding)?;
        if self.date.is_some() {
            doc.date = self.date;
        }
        Ok(accord::extract_traced(rules, doc))
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
}

fn explain(
    rules: &Rules,
    files: &[PathBuf],
    read: &ExplainRead,
    filter: &accord::explain::Filter,
    format: ExplainFormat,
) -> Result<ExitCode> {
    let misses = accord::explain::NearMisses::new(rules);
    let mut reports = Vec::new();
    for f in files {
        let x = read.extract(rules, f)?;
        reports.push(accord::explain::explain(rules, &misses, &x, filter)?);
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        ExplainFormat::Text => {
            for r in &reports {
                write!(out, "{}", accord::explain::render(r))?;
            }
        }
        ExplainFormat::Json if reports.len() == 1 => {
            serde_json::to_writer_pretty(&mut out, &reports[0])?;
            writeln!(out)?;
        }
        ExplainFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &reports)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `explain --uncovered`: the files named, and the text files and web pages under folders.
fn explain_uncovered(
    rules: &Rules,
    paths: &[PathBuf],
    read: &ExplainRead,
    format: ExplainFormat,
) -> Result<ExitCode> {
    let inputs = Inputs::gather(paths);
    let mut skipped = inputs.skipped;
    let mut list = Vec::new();
    for source in &inputs.sources {
        let Source::Text(f) = source else {
            bail!("explain reads text files and web pages, not JSON Lines or standard input");
        };
        // A file that cannot be read is named, and the others are still read.
        match read.extract(rules, f) {
            Ok(x) => list.extend(accord::explain::uncovered(rules, &x)),
            Err(e) => {
                eprintln!("accord: skipped {e:#}");
                skipped += 1;
            }
        }
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        ExplainFormat::Text => write!(out, "{}", accord::explain::render_uncovered(&list))?,
        ExplainFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(if skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Evaluates `.facts` files and prints the report. A case whose text is in none of its file's
/// documents is named on stderr and makes the exit status 1: its facts and traps count for
/// nothing, which is most likely a mistyped case.
fn eval(rules: &Rules, files: &[PathBuf]) -> Result<ExitCode> {
    let mut sections = Vec::new();
    let mut unused = 0usize;
    for f in &facts_files(files)? {
        let text = fs::read_to_string(f).with_context(|| format!("{}", f.display()))?;
        let name = f.display().to_string();
        let parsed = accord::eval::parse(&text, &name)?;
        let folder = std::path::absolute(f)
            .with_context(|| name.clone())?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let outcomes = accord::eval::evaluate(rules, &parsed, &folder)?;
        unused += warn_unused_cases(&parsed, &outcomes);
        for (doc, outcome) in outcomes {
            let title = if doc.is_empty() {
                name.clone()
            } else {
                format!("{name} on {doc}")
            };
            let set = f
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            sections.push((set, title, outcome));
        }
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(out, "# accord accuracy report\n")?;
    writeln!(
        out,
        "Made by `accord eval`; a fact is correct when a hand-written case expects it from the same sentence.\n"
    )?;
    write!(out, "{}", accord::eval::summary(&sections))?;
    for (_, title, outcome) in &sections {
        writeln!(out, "{}", accord::eval::report(title, outcome))?;
    }
    out.flush()?;
    if unused > 0 {
        eprintln!("accord: {unused} cases found in none of their documents (named above)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Names on stderr the cases absent from every document they were compared with, and counts
/// them. (A case absent from one copy of a text but present in another is only listed in the
/// report.)
fn warn_unused_cases(
    parsed: &accord::eval::FactsFile,
    outcomes: &[(String, accord::eval::Outcome)],
) -> usize {
    let absent_everywhere = |line: usize| {
        outcomes
            .iter()
            .all(|(_, o)| o.absent.iter().any(|c| c.line == line))
    };
    let unused: Vec<_> = parsed
        .cases
        .iter()
        .filter(|c| absent_everywhere(c.line))
        .collect();
    for c in &unused {
        eprintln!(
            "accord: {}:{}: case text found in no document: {}",
            parsed.name,
            c.line,
            accord::eval::abridged(&c.text, 40)
        );
    }
    unused.len()
}

/// The `.facts` files named, a folder standing for the `.facts` files in it (sorted).
fn facts_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = fs::read_dir(p)
                .with_context(|| format!("{}", p.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|e| e == "facts"))
                .collect();
            inside.sort();
            if inside.is_empty() {
                anyhow::bail!("{}: no .facts file in this folder", p.display());
            }
            out.extend(inside);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn load_rules(dir: Option<&Path>) -> Result<Rules> {
    // A rules error's message already holds its cause (the OS error of a missing folder):
    // kept as one message, so the report of the chain of causes does not say it twice.
    let flat = |e: accord::rules::RulesError| anyhow::anyhow!("{e}");
    let rules = match dir {
        Some(d) => Rules::from_dir(d).map_err(flat)?,
        None => Rules::embedded().map_err(flat)?,
    };
    // The warnings of the built-in rules are for `accord rules check`; those of a user's own
    // rules are theirs to see on every run.
    if dir.is_some() {
        for w in &rules.warnings {
            eprintln!("accord: {}", w.with_hint());
        }
    }
    Ok(rules)
}

fn open_store(out: &Path) -> Result<Store> {
    let store = Store::open(out)?;
    if store.manifest.documents.is_empty() {
        bail!(
            "{}: no store here; run `accord extract --out {}` first",
            out.join("store").display(),
            out.display()
        );
    }
    Ok(store)
}

#[derive(clap::Args)]
struct ExtractArgs {
    /// Files or folders, `-` for standard input; default: the bundled corpus/.
    #[arg(value_name = "PATH", default_values = ["corpus"])]
    paths: Vec<PathBuf>,
    /// Read every file (and standard input) in this encoding instead of detecting it
    /// (gb18030, big5, utf-16le, utf-16be, utf-8, …). JSON Lines are always UTF-8.
    #[arg(long, value_name = "LABEL", value_parser = accord::read::encoding_for_label)]
    encoding: Option<&'static Encoding>,
    /// Key of the document read from standard input (default: stdin).
    #[arg(long, value_name = "ID", conflicts_with = "jsonl")]
    id: Option<String>,
    /// Standard input is JSON Lines: one document per line, {"id": …, "text": …, "date": …}.
    #[arg(long)]
    jsonl: bool,
    /// Write the N-Quads of each document to standard output as it is extracted, in input
    /// order, instead of storing it: no store, no exports.
    #[arg(long)]
    stdout: bool,
    /// Print nothing on standard error but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Documents extracted at once (default: the number of cores).
    #[arg(long, short, value_name = "N")]
    jobs: Option<std::num::NonZeroUsize>,
    /// Drop from the store the documents no input of this run names (nothing is dropped when
    /// an input cannot be read).
    #[arg(long, conflicts_with = "stdout")]
    prune: bool,
}

/// Documents extracted in parallel before they are stored or written, at least; a chunk holds
/// four documents per thread when there are more threads.
const EXTRACT_CHUNK: usize = 64;

/// The key of the document read from standard input when `--id` names none.
const STDIN_KEY: &str = "stdin";

/// Reads, extracts and stores (or writes out) every input. Documents are independent: each
/// chunk is read in parallel, judged against the store in input order (unchanged, duplicate,
/// to extract), then extracted in parallel and stored or written in input order, so the output
/// does not depend on scheduling and memory stays bounded by the chunk.
fn extract(rules: &Rules, vocab: &Vocab, args: &ExtractArgs, out: &Path) -> Result<ExitCode> {
    let started = Instant::now();
    check_stdin_args(args)?;
    let inputs = Inputs::gather(&args.paths);
    let shown = progress::shown(args.quiet);
    let mut tally = Tally {
        skipped: inputs.skipped,
        unreadable: inputs.skipped,
        total: inputs.file_count(),
        quiet: args.quiet,
        ..Tally::default()
    };
    if inputs.sources.is_empty() {
        if tally.skipped > 0 {
            bail!(
                "nothing stored: {} (named above)",
                inputs_skipped(tally.skipped)
            );
        }
        bail!("no input files (*.txt) in {}", paths_list(&args.paths));
    }
    let jobs = args.jobs.map_or_else(available_cores, |n| n.get());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start the extraction threads")?;
    let mut sink = if args.stdout {
        Sink::Stdout(io::BufWriter::new(io::stdout().lock()))
    } else {
        Sink::Store(Box::new(Stored::new(out, settings(rules, vocab), shown)?))
    };
    let work = Work {
        pool: &pool,
        rules,
        vocab,
    };
    tally.progress = Progress::extraction(inputs.total_bytes(), shown);
    let mut units = units(inputs.sources, args);
    loop {
        let chunk: Vec<Unit> = units.by_ref().take(EXTRACT_CHUNK.max(4 * jobs)).collect();
        if chunk.is_empty() {
            break;
        }
        let read: Vec<_> = pool.install(|| {
            chunk
                .into_par_iter()
                .map(|unit| read_unit(args.encoding, unit))
                .collect()
        });
        let mut steps = Vec::new();
        for result in read {
            steps.extend(match tally.admit(result) {
                Ok(input) => sink.judge(input, &mut tally),
                Err(line) => Some(Step::Skip(line)),
            });
        }
        work.run(steps, &mut sink, &mut tally)?;
    }
    if let Sink::Store(stored) = &mut sink {
        let prune = args.prune && tally.unreadable == 0;
        if args.prune && !prune {
            tally.say(
                "accord: note: nothing pruned: an input could not be read, and its document \
                 may be one of those the store holds",
            );
        }
        let steps = stored.settle(prune, &mut tally);
        work.run(steps, &mut sink, &mut tally)?;
    }
    tally.progress.finish();
    if tally.kept == 0 {
        if tally.skipped > 0 {
            bail!(
                "nothing stored: {} (named above)",
                inputs_skipped(tally.skipped)
            );
        }
        bail!("no documents in {}", paths_list(&args.paths));
    }
    match sink {
        Sink::Store(stored) => finish_store(rules, vocab, *stored, &tally, out, shown)?,
        Sink::Stdout(_) => tally.say(&format!(
            "extracted {} ({} quads) to standard output{}",
            count_documents(tally.kept),
            tally.quads,
            tally.skipped_note()
        )),
    }
    tally.say(&tally.summary(started));
    Ok(tally.exit_code())
}

/// What decides the quads of a document besides its input, for this run.
fn settings(rules: &Rules, vocab: &Vocab) -> Settings {
    Settings {
        rules_hash: rules.hash.clone(),
        base: vocab.base.clone(),
        build: BUILD.to_string(),
    }
}

/// The build of accord, as a store records it: its version and a hash of its source.
const BUILD: &str = concat!(env!("CARGO_PKG_VERSION"), " ", env!("ACCORD_SOURCE_HASH"));

/// `--id` and `--jsonl` say how to read standard input: without `-` they are a mistake, and
/// standard input can be read once.
fn check_stdin_args(args: &ExtractArgs) -> Result<()> {
    let dashes = args.paths.iter().filter(|p| is_stdin(p)).count();
    if dashes > 1 {
        bail!("standard input (-) can be read only once");
    }
    if dashes == 0 && (args.id.is_some() || args.jsonl) {
        bail!("--id and --jsonl are about standard input: name it as a path, -");
    }
    Ok(())
}

fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn paths_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One document to read and extract, met in input order.
enum Unit {
    File(PathBuf),
    Stdin {
        key: String,
    },
    Record(accord::read::Record),
    /// An input that failed before it was a document: a JSON Lines file that cannot be
    /// opened, a line that is not UTF-8.
    Failed(ReadError),
}

/// The documents of the inputs, lazily: a JSON Lines file is read a chunk of lines at a time,
/// never whole.
fn units(sources: Vec<Source>, args: &ExtractArgs) -> impl Iterator<Item = Unit> + use<> {
    let key = args.id.clone().unwrap_or_else(|| STDIN_KEY.to_string());
    let jsonl = args.jsonl;
    sources
        .into_iter()
        .flat_map(move |source| -> Box<dyn Iterator<Item = Unit>> {
            let record = |r: Result<accord::read::Record, ReadError>| match r {
                Ok(r) => Unit::Record(r),
                Err(e) => Unit::Failed(e),
            };
            match source {
                Source::Text(p) => Box::new(std::iter::once(Unit::File(p))),
                Source::Lines(p) => match accord::read::json_lines(&p) {
                    Ok(lines) => Box::new(lines.map(record)),
                    Err(e) => Box::new(std::iter::once(Unit::Failed(e))),
                },
                Source::Stdin if jsonl => Box::new(
                    accord::read::JsonLines::new(io::stdin().lock(), STDIN_KEY).map(record),
                ),
                Source::Stdin => Box::new(std::iter::once(Unit::Stdin { key: key.clone() })),
            }
        })
}

/// A document read, numbered in input order, not yet extracted.
struct Input {
    number: usize,
    /// Bytes of input read for it: the file, or the JSON Lines record.
    bytes: u64,
    /// Read from a text file, whose name shows its key.
    file: bool,
    doc: accord::read::Document,
}

fn read_unit(encoding: Option<&'static Encoding>, unit: Unit) -> Result<Input, ReadError> {
    let file = matches!(unit, Unit::File(_));
    let mut record_bytes = None;
    let doc = match unit {
        Unit::File(path) => accord::read::read_file_as(&path, encoding)?,
        Unit::Stdin { key } => {
            accord::read::read_stream(&key, STDIN_KEY, io::stdin().lock(), encoding)?
        }
        Unit::Record(r) => {
            // The line and its line end.
            record_bytes = Some(r.text.len() as u64 + 1);
            r.document()?
        }
        Unit::Failed(e) => return Err(e),
    };
    let bytes =
        record_bytes.unwrap_or_else(|| doc.byte_offsets.last().map_or(0, |&n| u64::from(n)));
    Ok(Input {
        number: 0,
        bytes,
        file,
        doc,
    })
}

/// What the store records of a document's input (its counts still zero).
fn entry_of(doc: &accord::read::Document) -> DocumentEntry {
    DocumentEntry {
        source: doc.source.clone(),
        content_hash: doc.content_hash.clone(),
        encoding: doc.encoding.to_string(),
        date: doc.date.map(|d| d.format("%Y-%m-%d").to_string()),
        quads: 0,
        facts: 0,
    }
}

/// What storing or writing a document needs of its extraction: the extraction itself is
/// dropped on its thread, so a chunk holds only quads.
struct Extracted {
    number: usize,
    key: String,
    file: bool,
    paragraphs: usize,
    mentions: usize,
    /// What was lost on the way (facts no node could take, dates unresolved, …).
    losses: accord::LossCounts,
    /// What the store records of it.
    entry: DocumentEntry,
    /// Sorted, without duplicates.
    quads: Vec<oxigraph::model::Quad>,
}

fn extract_input(rules: &Rules, vocab: &Vocab, input: Input) -> Extracted {
    let entry = entry_of(&input.doc);
    let x = accord::extract(rules, input.doc);
    let (mut quads, losses) = accord::to_quads_and_losses(rules, vocab, &x);
    rdf::sort_quads(&mut quads);
    quads.dedup();
    Extracted {
        number: input.number,
        file: input.file,
        paragraphs: x.segmented.paragraphs.len(),
        mentions: x.mentions.iter().map(Vec::len).sum(),
        losses: accord::LossCounts::of(&losses),
        key: x.document.key,
        entry: DocumentEntry {
            quads: quads.len(),
            facts: x.facts.len(),
            ..entry
        },
        quads,
    }
}

/// What a run does next with an input, in input order.
enum Step {
    /// Name it on stderr as skipped (the line).
    Skip(String),
    Extract(Input),
}

/// The extraction threads and what they extract with.
struct Work<'a> {
    pool: &'a rayon::ThreadPool,
    rules: &'a Rules,
    vocab: &'a Vocab,
}

impl Work<'_> {
    /// Extracts the documents of `steps` in parallel, then stores or writes them and names
    /// the skipped inputs, in input order.
    fn run(&self, steps: Vec<Step>, sink: &mut Sink, tally: &mut Tally) -> Result<()> {
        let done: Vec<Result<Extracted, String>> = self.pool.install(|| {
            steps
                .into_par_iter()
                .map(|step| match step {
                    Step::Extract(input) => Ok(extract_input(self.rules, self.vocab, input)),
                    Step::Skip(line) => Err(line),
                })
                .collect()
        });
        for d in done {
            match d {
                Ok(x) => {
                    sink.put(self.vocab, &x, &tally.progress)?;
                    tally.report(&x);
                }
                Err(line) => tally.progress.println(&line),
            }
        }
        sink.flush()
    }
}

/// Where documents go, in input order.
enum Sink<'a> {
    Store(Box<Stored<'a>>),
    Stdout(io::BufWriter<io::StdoutLock<'a>>),
}

impl Sink<'_> {
    /// What to do with a document read: extract it, or not (unchanged in the store, the
    /// duplicate of another).
    fn judge(&mut self, input: Input, tally: &mut Tally) -> Option<Step> {
        match self {
            Sink::Store(stored) => stored.judge(input, tally),
            Sink::Stdout(_) => {
                tally.kept += 1;
                Some(Step::Extract(input))
            }
        }
    }

    fn put(&mut self, vocab: &Vocab, x: &Extracted, bar: &Progress) -> Result<()> {
        match self {
            Sink::Store(stored) => store_document(stored.store(bar)?, vocab, x),
            Sink::Stdout(out) => {
                let mut ser = RdfSerializer::from_format(RdfFormat::NQuads).for_writer(out);
                for q in &x.quads {
                    ser.serialize_quad(q)?;
                }
                ser.finish()?;
                Ok(())
            }
        }
    }

    /// Hands a chunk's N-Quads on, so a reader downstream gets them as they are made.
    fn flush(&mut self) -> Result<()> {
        if let Sink::Stdout(out) = self {
            out.flush()?;
        }
        Ok(())
    }
}

/// The store of an `extract` run: its manifest is read first, and its quads loaded only
/// when a document is to be stored or dropped, so a run where nothing changed loads nothing.
struct Stored<'a> {
    out: &'a Path,
    shown: bool,
    settings: Settings,
    manifest: Manifest,
    store: Option<Store>,
    changes: Changes,
    /// Documents whose content a stored document not read yet holds, in input order.
    deferred: Vec<Input>,
    /// Documents dropped because no input names them.
    pruned: Vec<String>,
}

impl<'a> Stored<'a> {
    fn new(out: &'a Path, settings: Settings, shown: bool) -> Result<Stored<'a>> {
        let manifest = accord::store::read_manifest(out)?.unwrap_or_else(Manifest::empty);
        let changes = Changes::new(&manifest, &settings);
        Ok(Stored {
            out,
            shown,
            settings,
            manifest,
            store: None,
            changes,
            deferred: Vec::new(),
            pruned: Vec::new(),
        })
    }

    fn judge(&mut self, input: Input, tally: &mut Tally) -> Option<Step> {
        match self.changes.judge(&input.doc.key, &entry_of(&input.doc)) {
            Verdict::Deferred => {
                self.deferred.push(input);
                None
            }
            verdict => tally.follow(verdict, input),
        }
    }

    /// Prunes if asked, then judges the deferred documents: the steps they take.
    fn settle(&mut self, prune: bool, tally: &mut Tally) -> Vec<Step> {
        if prune {
            self.pruned = self.changes.prune();
        }
        std::mem::take(&mut self.deferred)
            .into_iter()
            .filter_map(|input| {
                let verdict = self.changes.settle(&input.doc.key, &entry_of(&input.doc));
                tally.follow(verdict, input)
            })
            .collect()
    }

    /// The store, loaded on first use, with `bar` (the run's progress) hidden meanwhile.
    fn store(&mut self, bar: &Progress) -> Result<&mut Store> {
        let store = match self.store.take() {
            Some(store) => store,
            None => bar.suspend(|| {
                let path = self.out.join("store");
                let loading = Progress::spinner(format!("loading {}", path.display()), self.shown);
                let store = Store::load(self.out, self.manifest.clone());
                loading.finish();
                store
            })?,
        };
        Ok(self.store.insert(store))
    }

    /// Whether this run leaves the store and the exports as they were: no document stored
    /// or dropped, the same settings, and every file there.
    fn untouched(&self) -> bool {
        self.store.is_none()
            && self.changes.fresh()
            && self.changes.dropped().is_empty()
            && accord::store::snapshot_present(self.out, &self.manifest)
            && export_files().iter().all(|f| self.out.join(f).is_file())
    }
}

/// What a run has done so far, and what it says about it on stderr.
#[derive(Default)]
struct Tally {
    /// Inputs met, good or bad.
    seen_inputs: usize,
    /// The number of inputs when known beforehand (files only, no streams).
    total: Option<usize>,
    /// Documents of this run in the store or written out: extracted, or unchanged.
    kept: usize,
    /// Documents left as the store held them, unchanged since an earlier run.
    unchanged: usize,
    /// Inputs left out, each named on stderr; `unreadable` of them could not be read (missing,
    /// binary, undecodable, a malformed JSON Lines record), the others were read but not kept
    /// (empty, a key that cannot name a document or is already used, the content of another).
    skipped: usize,
    unreadable: usize,
    facts: usize,
    losses: accord::LossCounts,
    quads: usize,
    quiet: bool,
    progress: Progress,
    /// Keys used in this run, with the source that used them first.
    keys: BTreeMap<String, String>,
}

impl Tally {
    /// Counts and numbers one input; the document, unless it is to be skipped (unreadable, a
    /// key that cannot name a document or is already used in this run): then the line naming
    /// it on stderr.
    fn admit(&mut self, result: Result<Input, ReadError>) -> Result<Input, String> {
        self.seen_inputs += 1;
        let mut input = match result {
            Ok(input) => input,
            Err(e) => {
                if !matches!(e, ReadError::Empty { .. }) {
                    self.unreadable += 1;
                }
                return Err(self.skip(&e.to_string()));
            }
        };
        input.number = self.seen_inputs;
        self.progress.advance(input.bytes);
        let (key, source) = (&input.doc.key, &input.doc.source);
        if let Some(problem) = rdf::key_problem(key) {
            return Err(self.skip(&format!("{source}: its key {key:?} {problem}")));
        }
        if let Some(other) = self.keys.get(key) {
            let why = format!("{source}: its key {key:?} is already used by {other}");
            return Err(self.skip(&why));
        }
        self.keys.insert(key.clone(), source.clone());
        Ok(input)
    }

    /// Counts one more input skipped; the line that names it.
    fn skip(&mut self, why: &str) -> String {
        self.skipped += 1;
        format!("accord: skipped {why}")
    }

    /// Counts what the store's verdict on a document makes of it; the step it takes next.
    fn follow(&mut self, verdict: Verdict, input: Input) -> Option<Step> {
        match verdict {
            Verdict::Unchanged(entry) => {
                self.kept += 1;
                self.unchanged += 1;
                self.facts += entry.facts;
                self.quads += entry.quads;
                self.progress.documents(self.kept);
                None
            }
            Verdict::Duplicate { of } => {
                self.skipped += 1;
                Some(Step::Skip(format!(
                    "accord: {} has the same content as {of}: not stored again",
                    input.doc.source
                )))
            }
            Verdict::Extract | Verdict::Deferred => {
                self.kept += 1;
                self.progress.documents(self.kept);
                Some(Step::Extract(input))
            }
        }
    }

    /// Counts an extracted document and prints its line: `[3/6] in/web.txt: 133 paragraphs,
    /// …`; the key too where the source does not show it (`docs.jsonl:2 (web)`, `stdin (web)`
    /// with --id).
    fn report(&mut self, x: &Extracted) {
        self.facts += x.entry.facts;
        self.losses.add(x.losses);
        self.quads += x.quads.len();
        let n = match self.total {
            Some(total) => format!("{}/{total}", x.number),
            None => x.number.to_string(),
        };
        let source = &x.entry.source;
        let name = if x.file || *source == x.key {
            source.clone()
        } else {
            format!("{source} ({})", x.key)
        };
        self.say(&format!(
            "[{n}] {name}: {} paragraphs, {} mentions, {} facts",
            x.paragraphs, x.mentions, x.entry.facts
        ));
    }

    /// A line on stderr that is not an error: left out with --quiet.
    fn say(&self, line: &str) {
        if !self.quiet {
            self.progress.println(line);
        }
    }

    /// The last line of a run: `summary: 2 documents (1 unchanged), 396 facts, 0 skipped, 0
    /// errors in 0.42 s`; the skipped and the errors are the inputs named above, read but not
    /// kept and unreadable. What the texts extracted in this run said that gave no fact follows
    /// the errors when there is any (`, 3 facts dropped, 1 date unresolved`; `accord explain`
    /// lists them).
    fn summary(&self, started: Instant) -> String {
        let unchanged = match self.unchanged {
            0 => String::new(),
            n => format!(" ({n} unchanged)"),
        };
        let losses = self.losses.describe();
        format!(
            "summary: {}{unchanged}, {} facts, {} skipped, {} error{}{}{losses} in {:.2} s",
            count_documents(self.kept),
            self.facts,
            self.skipped - self.unreadable,
            self.unreadable,
            if self.unreadable == 1 { "" } else { "s" },
            if losses.is_empty() { "" } else { ", " },
            started.elapsed().as_secs_f64()
        )
    }

    fn skipped_note(&self) -> String {
        if self.skipped > 0 {
            format!("; {} (named above)", inputs_skipped(self.skipped))
        } else {
            String::new()
        }
    }

    fn exit_code(&self) -> ExitCode {
        if self.skipped > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Saves the store with the gazetteer's graph and writes the exports of its documents, unless
/// the run changed nothing: then neither the store nor the exports are touched.
fn finish_store(
    rules: &Rules,
    vocab: &Vocab,
    mut stored: Stored,
    tally: &Tally,
    out: &Path,
    shown: bool,
) -> Result<()> {
    let dropped: Vec<String> = stored.changes.dropped().iter().cloned().collect();
    let unread: Vec<String> = stored
        .changes
        .unread()
        .into_iter()
        .filter(|k| !dropped.contains(k))
        .collect();
    if !unread.is_empty() && !stored.changes.fresh() {
        tally.say(&format!(
            "accord: note: {} documents in the store were extracted with other rules: {}",
            unread.len(),
            unread.join(", ")
        ));
    }
    let store_dir = out.join("store");
    if stored.untouched() {
        tally.say(&format!(
            "nothing changed: {} unchanged in {}; exports in {} left as they were{}",
            count_documents(tally.unchanged),
            store_dir.display(),
            out.display(),
            tally.skipped_note()
        ));
        return Ok(());
    }
    if !stored.pruned.is_empty() {
        tally.say(&format!(
            "pruned {} no input names: {}",
            count_documents(stored.pruned.len()),
            stored.pruned.join(", ")
        ));
    }
    let settings = stored.settings.clone();
    let store = stored.store(&Progress::default())?;
    for key in &dropped {
        store.remove_document(key, &document_graphs(vocab, key))?;
    }
    store.manifest.set_settings(&settings);
    store.replace_graphs(&[vocab.entities_graph()], &rdf::entity_quads(rules, vocab))?;
    let quads = save_and_export(store, vocab, out, shown)?;
    let unchanged = match tally.unchanged {
        0 => String::new(),
        n => format!("{n} unchanged, "),
    };
    tally.say(&format!(
        "stored {} ({unchanged}{} in the store, {quads} quads) in {}; exports written to {}{}",
        count_documents(tally.kept - tally.unchanged),
        store.manifest.documents.len(),
        store_dir.display(),
        out.display(),
        tally.skipped_note()
    ));
    Ok(())
}

/// Saves the store, then writes every export of its documents and the gazetteer; the number
/// of quads in the store.
fn save_and_export(store: &mut Store, vocab: &Vocab, out: &Path, shown: bool) -> Result<usize> {
    // Saving the snapshot, then each export and the gazetteer.
    let steps = Progress::steps(export::EXTRACT_FORMATS.len() as u64 + 2, shown);
    steps.part(format!("saving {}", out.join("store").display()));
    let quads = store.save()?;
    steps.inc();
    let quad_count = quads.len();
    let (documents, entities) = export::split_gazetteer(quads, vocab);
    for &format in export::EXTRACT_FORMATS {
        let path = out.join(format.file_name());
        steps.part(format!("writing {}", path.display()));
        write_atomically(&path, |w| export::write(format, &documents, vocab, w))?;
        steps.inc();
    }
    let path = out.join(export::GAZETTEER_FILE);
    steps.part(format!("writing {}", path.display()));
    write_atomically(&path, |w| {
        export::write(Format::Turtle, &entities, vocab, w)
    })?;
    steps.finish();
    Ok(quad_count)
}

/// The files `extract` writes into its folder besides the store.
fn export_files() -> Vec<String> {
    let mut files: Vec<String> = export::EXTRACT_FORMATS
        .iter()
        .map(|f| f.file_name().to_string())
        .collect();
    files.push(export::GAZETTEER_FILE.to_string());
    files
}

/// A document's fact graph and provenance graph.
fn document_graphs(vocab: &Vocab, key: &str) -> [oxigraph::model::NamedNode; 2] {
    [vocab.doc_graph(key), vocab.provenance_graph(key)]
}

/// `1 document`, `2 documents`.
fn count_documents(n: usize) -> String {
    format!("{n} document{}", if n == 1 { "" } else { "s" })
}

/// `skipped 1 input`, `skipped 3 inputs`.
fn inputs_skipped(n: usize) -> String {
    format!("skipped {n} input{}", if n == 1 { "" } else { "s" })
}

/// Replaces the graphs of a document in the store and its manifest entry.
fn store_document(store: &mut Store, vocab: &Vocab, x: &Extracted) -> Result<()> {
    store.replace_graphs(&document_graphs(vocab, &x.key), &x.quads)?;
    store
        .manifest
        .documents
        .insert(x.key.clone(), x.entry.clone());
    Ok(())
}

/// Drops documents from the store by key, then saves it and writes the exports again. An
/// unknown key is an error, and then nothing is dropped.
fn remove(vocab: &Vocab, keys: &[String], out: &Path, quiet: bool) -> Result<ExitCode> {
    let mut store = open_store(out)?;
    let keys: std::collections::BTreeSet<&String> = keys.iter().collect();
    let held = &store.manifest.documents;
    if let Some(unknown) = keys.iter().find(|k| !held.contains_key(**k)) {
        let names: Vec<&String> = held.keys().take(5).collect();
        let more = match held.len().saturating_sub(names.len()) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        bail!(
            "{} holds no document {unknown:?} (its keys are file stems and record ids: {}{more})",
            out.join("store").display(),
            join(&names)
        );
    }
    for key in &keys {
        store.remove_document(key, &document_graphs(vocab, key))?;
    }
    let quads = save_and_export(&mut store, vocab, out, progress::shown(quiet))?;
    if !quiet {
        eprintln!(
            "removed {} ({}) from {} ({} in the store, {quads} quads); exports written to {}",
            count_documents(keys.len()),
            join(&keys.into_iter().collect::<Vec<_>>()),
            out.join("store").display(),
            store.manifest.documents.len(),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where documents come from, in command-line order.
enum Source {
    /// A text file: one document.
    Text(PathBuf),
    /// A JSON Lines file (`*.jsonl`): one document per line.
    Lines(PathBuf),
    /// Standard input (`-`): one document, or JSON Lines with `--jsonl`.
    Stdin,
}

/// The inputs of the command line's paths: `-` is standard input, a `*.jsonl` file (any case)
/// JSON Lines, another file a text file whatever its extension, and under a folder every
/// `*.txt` file, the extension in any case (`.TXT`, `.Txt`), in name order. Hidden entries
/// (`.git`, editors' `._x.txt` copies) are not walked. A path that cannot be read is named on
/// stderr once and counted; the others are still read.
#[derive(Default)]
struct Inputs {
    sources: Vec<Source>,
    skipped: usize,
    /// Folders walked, by canonical path: a link back up is walked once.
    walked: std::collections::HashSet<PathBuf>,
}

impl Inputs {
    fn gather(paths: &[PathBuf]) -> Inputs {
        let mut inputs = Inputs::default();
        for p in paths {
            if is_stdin(p) {
                inputs.sources.push(Source::Stdin);
                continue;
            }
            match fs::metadata(p) {
                Ok(m) if m.is_dir() => inputs.walk(p),
                Ok(_) if is_json_lines(p) => inputs.sources.push(Source::Lines(p.clone())),
                Ok(_) => inputs.sources.push(Source::Text(p.clone())),
                Err(e) => inputs.skip(p, &e),
            }
        }
        inputs
    }

    /// The bytes of every input, when every input is a file: standard input is not measured
    /// beforehand.
    fn total_bytes(&self) -> Option<u64> {
        self.sources
            .iter()
            .map(|s| match s {
                Source::Text(p) | Source::Lines(p) => Some(fs::metadata(p).map_or(0, |m| m.len())),
                Source::Stdin => None,
            })
            .sum()
    }

    /// The number of documents, when every input is a text file: streams are not counted
    /// beforehand.
    fn file_count(&self) -> Option<usize> {
        let files = self.sources.iter().all(|s| matches!(s, Source::Text(_)));
        files.then_some(self.sources.len())
    }

    fn walk(&mut self, dir: &Path) {
        let canonical = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.walked.insert(canonical) {
            return;
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.skip(dir, &e),
        };
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => paths.push(e.path()),
                Err(e) => self.skip(dir, &e),
            }
        }
        paths.retain(|p| !is_hidden(p));
        paths.sort();
        for p in paths {
            match fs::metadata(&p) {
                Ok(m) if m.is_dir() => self.walk(&p),
                Ok(_) if is_text_file(&p) => self.sources.push(Source::Text(p)),
                // A dangling link is skipped like any unreadable file, if it would be read.
                Err(e) if is_text_file(&p) => self.skip(&p, &e),
                _ => {}
            }
        }
    }

    fn skip(&mut self, path: &Path, e: &io::Error) {
        eprintln!("accord: skipped {}: {e}", path.display());
        self.skipped += 1;
    }
}

/// `-`, standard input.
fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// `*.jsonl`, the extension in any case.
fn is_json_lines(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"))
}

/// `*.txt`, the extension in any case.
fn is_text_file(path: &Path) -> bool {
    accord::html::is_html(path)
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
/// Writes an export to a file, atomically, or to standard output.
fn write_export(
    path: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<ExitCode> {
    match path {
        Some(path) => write_atomically(path, f)?,
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            f(&mut out)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_atomically(path: &Path, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp~");
    let file = fs::File::create(&tmp).with_context(|| format!("{}", tmp.display()))?;
    let mut w = io::BufWriter::new(file);
    f(&mut w).with_context(|| format!("{}", tmp.display()))?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("{}", path.display()))?;
    Ok(())
}

/// Runs a query read-only (an update is refused before anything runs) and prints its answer
/// in the format asked, or the one that suits the kind of query and where stdout goes.
fn query(
    store: &Store,
    vocab: &Vocab,
    text: &str,
    format: Option<ResultFormat>,
) -> Result<ExitCode> {
    let results = match store.query_with(text, &QueryDataset::default(), CancellationToken::new()) {
        Ok(r) => r,
        Err(StoreError::Syntax(m)) => bail!("query: {}", syntax_message(text, &m)),
        Err(e) => return Err(e.into()),
    };
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = io::BufWriter::new(stdout.lock());
    match results {
        QueryResults::Boolean(b) => write_boolean(&mut out, b, format)?,
        QueryResults::Graph(triples) => {
            let triples: Vec<Triple> = triples.collect::<Result<_, _>>()?;
            write_graph(
                &mut out,
                triples,
                vocab,
                format.unwrap_or(ResultFormat::Turtle),
            )?
        }
        QueryResults::Solutions(solutions) => {
            let format = format.unwrap_or(if terminal {
                ResultFormat::Table
            } else {
                ResultFormat::Tsv
            });
            let variables = solutions.variables().to_vec();
            let rows: Vec<_> = solutions.collect::<Result<_, _>>()?;
            write_solutions(&mut out, &variables, &rows, format)?
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The parser's error in one line with its place: `line 2, column 9: unexpected "?y";
/// expected LATERAL, SERVICE`, or `undefined prefix foo: (in foo:bar)`. The parser lists
/// the character classes it expected too, over several lines: those are left out.
fn syntax_message(query: &str, message: &str) -> String {
    let flat = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some((line, column, rest)) = flat.strip_prefix("error at ").and_then(|r| {
        let (place, rest) = r.split_once(": ")?;
        let (line, column) = place.split_once(':')?;
        Some((
            line.parse::<usize>().ok()?,
            column.parse::<usize>().ok()?,
            rest,
        ))
    }) else {
        return flat;
    };
    let at = format!("line {line}, column {column}");
    let text_line = query.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let (before, after): (String, String) = {
        let chars: Vec<char> = text_line.chars().collect();
        let cut = column.saturating_sub(1).min(chars.len());
        (chars[..cut].iter().collect(), chars[cut..].iter().collect())
    };
    if rest.contains("Prefix not found") {
        let name: String = before
            .rsplit(|c: char| c.is_whitespace() || "{}().;,^/|<>".contains(c))
            .next()
            .unwrap_or("")
            .to_string();
        let prefix = name.split(':').next().unwrap_or("");
        let start = column.saturating_sub(name.chars().count()).max(1);
        let at = format!("line {line}, column {start}");
        return format!(
            "{at}: undefined prefix {prefix}: (in {name}); declare it with PREFIX {prefix}: <…>"
        );
    }
    let found = after.split_whitespace().next().unwrap_or("");
    let found = if found.is_empty() {
        "end of query".to_string()
    } else {
        format!("{found:?}")
    };
    let listed: Vec<&str> = rest
        .trim_start_matches("expected one of ")
        .trim_start_matches("expected ")
        .split(", ")
        .collect();
    let mut expected: Vec<&str> = listed
        .iter()
        .copied()
        .filter(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "\"_{}()".contains(c))
        })
        .collect();
    if expected.len() < listed.len() && !expected.is_empty() {
        expected.push("…");
    }
    if expected.is_empty() {
        format!("{at}: unexpected {found}")
    } else {
        format!("{at}: unexpected {found}; expected {}", expected.join(", "))
    }
}

/// ASK: `true`/`false` on a line, or a SPARQL results document.
fn write_boolean(out: &mut dyn Write, b: bool, format: Option<ResultFormat>) -> Result<()> {
    match format.and_then(ResultFormat::results) {
        Some(f @ (QueryResultsFormat::Json | QueryResultsFormat::Xml)) => {
            QueryResultsSerializer::from_format(f).serialize_boolean_to_writer(&mut *out, b)?;
            writeln!(out)?;
        }
        _ if format.is_some_and(|f| f.rdf().is_some()) => bail!(
            "--format {} is for CONSTRUCT and DESCRIBE; ASK gives true/false, json or xml",
            format.map(ResultFormat::name).unwrap_or_default()
        ),
        _ => writeln!(out, "{b}")?,
    }
    Ok(())
}

/// CONSTRUCT/DESCRIBE: each triple once (the union default graph repeats a triple once per
/// graph that holds it), sorted, through Oxigraph's serialisers with accord's prefixes.
fn write_graph(
    out: &mut dyn Write,
    mut triples: Vec<Triple>,
    vocab: &Vocab,
    format: ResultFormat,
) -> Result<()> {
    let Some(rdf_format) = format.rdf() else {
        bail!(
            "--format {} is for SELECT; CONSTRUCT and DESCRIBE give turtle, ntriples, nquads, trig or jsonld",
            format.name()
        );
    };
    triples.sort_by_cached_key(|t| t.to_string());
    triples.dedup();
    let mut bytes = Vec::new();
    let mut ser = export::answer_serializer(rdf_format, vocab).for_writer(&mut bytes);
    for t in &triples {
        ser.serialize_triple(t)?;
    }
    ser.finish()?;
    out.write_all(&bytes)?;
    // Every format ends with a newline (an empty graph may be no bytes at all).
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        writeln!(out)?;
    }
    Ok(())
}

/// SELECT: a table, plain TSV, or a SPARQL results document.
fn write_solutions(
    out: &mut dyn Write,
    variables: &[oxigraph::sparql::Variable],
    rows: &[oxigraph::sparql::QuerySolution],
    format: ResultFormat,
) -> Result<()> {
    match format {
        ResultFormat::Table => write_table(out, variables, rows)?,
        ResultFormat::Tsv => write_plain_tsv(out, variables, rows)?,
        f => {
            let Some(results) = f.results() else {
                bail!(
                    "--format {} is for CONSTRUCT and DESCRIBE; SELECT gives table, tsv, sparql-tsv, csv, json or xml",
                    f.name()
                );
            };
            let mut ser = QueryResultsSerializer::from_format(results)
                .serialize_solutions_to_writer(&mut *out, variables.to_vec())?;
            for row in rows {
                ser.serialize(row)?;
            }
            ser.finish()?;
            if results == QueryResultsFormat::Json || results == QueryResultsFormat::Xml {
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

/// Plain TSV for `cut`, `sort` and spreadsheets: a header of variable names, then values as
/// the table shows them, with the characters that would break a row escaped.
fn write_plain_tsv(
    out: &mut dyn Write,
    variables: &[oxigraph::sparql::Variable],
    rows: &[oxigraph::sparql::QuerySolution],
) -> io::Result<()> {
    let header: Vec<&str> = variables.iter().map(|v| v.as_str()).collect();
    writeln!(out, "{}", header.join("\t"))?;
    for r in rows {
        let cells: Vec<String> = variables
            .iter()
            .map(|v| tsv_escape(&show(r.get(v))))
            .collect();
        writeln!(out, "{}", cells.join("\t"))?;
    }
    Ok(())
}

/// `\t`, `\n`, `\r` and `\\` as two characters, so every row is one line of cells.
fn tsv_escape(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c => s.push(c),
        }
    }
    s
}

fn show(term: Option<&Term>) -> String {
    match term {
        None => String::new(),
        Some(Term::Literal(l)) => l.value().to_string(),
        Some(Term::NamedNode(n)) => n.as_str().to_string(),
        Some(other) => other.to_string(),
    }
}

/// Display width: ideographs and full-width forms take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if ('\u{1100}'..='\u{FFEF}').contains(&c) && !('\u{FE00}'..='\u{FE0F}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum()
}

fn write_table(
    out: &mut dyn Write,
    variables: &[oxigraph::sparql::Variable],
    rows: &[oxigraph::sparql::QuerySolution],
) -> io::Result<()> {
    let header: Vec<String> = variables.iter().map(|v| v.as_str().to_string()).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| variables.iter().map(|v| show(r.get(v))).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| width(&r[i]))
                .chain([width(&header[i])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut dyn Write, row: &[String]| -> io::Result<()> {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - width(c))))
            .collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    line(out, &header)?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    )?;
    for r in &cells {
        line(out, r)?;
    }
    let plural = if rows.len() == 1 { "" } else { "s" };
    writeln!(out, "({} row{plural})", rows.len())
}
