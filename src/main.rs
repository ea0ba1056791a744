//! The `accord` command line: a thin layer over the library. Exit status: 0 all good, 1 some
//! inputs were skipped (named on stderr), 2 nothing could be done.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accord::export::{self, Format};
use accord::rdf::{self, Vocab};
use accord::rules::Rules;
use accord::store::{DocumentEntry, QueryDataset, Store, StoreError};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use encoding_rs::Encoding;
use oxigraph::io::RdfFormat;
use oxigraph::model::{Term, Triple};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryResults};
use rayon::prelude::*;

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
    /// Extract facts from text files (folders are walked for *.txt, any case) into the store,
    /// then write graph.ttl, graph.nq, graph.trig, graph.jsonld, graph.dot and graph.graphml
    /// of the documents, and entities.ttl of the gazetteer. Re-extracting a file replaces its
    /// graph. Files that cannot be read are named and skipped (exit status 1).
    Extract {
        /// Files or folders; default: the bundled corpus/.
        #[arg(value_name = "PATH", default_values = ["corpus"])]
        paths: Vec<PathBuf>,
        /// Read every file in this encoding instead of detecting it (gb18030, big5,
        /// utf-16le, utf-16be, utf-8, …).
        #[arg(long, value_name = "LABEL", value_parser = accord::read::encoding_for_label)]
        encoding: Option<&'static Encoding>,
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
    /// Show how accord reads one file: each sentence with its mentions and facts, and the
    /// rule behind each fact.
    Explain {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Read the file in this encoding instead of detecting it.
        #[arg(long, value_name = "LABEL", value_parser = accord::read::encoding_for_label)]
        encoding: Option<&'static Encoding>,
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
    /// format, or the whole gazetteer with --gazetteer.
    Export {
        #[arg(long, value_enum)]
        format: Format,
        /// Write the gazetteer graph (every known entity) instead of the documents.
        #[arg(long)]
        gazetteer: bool,
        /// Output file (default: standard output).
        #[arg(short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Serve the store over HTTP, read-only: SPARQL at /sparql, graphs at /store, a page per
    /// entity at /id/..., a query page at /. Stops on Ctrl-C or SIGTERM.
    Serve(ServeArgs),
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
        Command::Extract { paths, encoding } => {
            let rules = load_rules(cli.rules.as_deref())?;
            extract(&rules, &vocab, &paths, encoding, &cli.out)
        }
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
        Command::Explain { file, encoding } => {
            let rules = load_rules(cli.rules.as_deref())?;
            explain(&rules, &file, encoding)
        }
        Command::Eval { files } => {
            let rules = load_rules(cli.rules.as_deref())?;
            eval(&rules, &files)
        }
        Command::Export {
            format,
            gazetteer,
            output,
        } => {
            let store = open_store(&cli.out)?;
            let (documents, entities) = export::split_gazetteer(store.sorted_quads()?, &vocab);
            let quads = if gazetteer { entities } else { documents };
            match output {
                Some(path) => {
                    write_atomically(&path, |w| export::write(format, &quads, &vocab, w))?
                }
                None => {
                    let mut out = io::BufWriter::new(io::stdout().lock());
                    export::write(format, &quads, &vocab, &mut out)?;
                    out.flush()?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => serve(open_store(&cli.out)?, &cli.out, vocab.base, args),
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

fn explain(rules: &Rules, path: &Path, encoding: Option<&'static Encoding>) -> Result<ExitCode> {
    let doc = accord::read::read_file_as(path, encoding)?;
    let (x, found) = accord::eval::run_document(rules, doc);
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(
        out,
        "# {} ({}, {}, date {})",
        x.title,
        x.document.source,
        x.document.encoding,
        x.date.map_or("unknown".into(), |d| d.to_string())
    )?;
    for (i, p) in x.segmented.paragraphs.iter().enumerate() {
        let chars: Vec<char> = p.text.chars().collect();
        for (si, range) in p.sentences.iter().enumerate() {
            let sentence: String = chars[range.clone()].iter().collect();
            writeln!(
                out,
                "\n[{}.{}] {:?} {}{}",
                p.number,
                si + 1,
                p.kind,
                p.section
                    .as_deref()
                    .map(|s| format!("§{s} "))
                    .unwrap_or_default(),
                sentence
            )?;
            for m in x.mentions[i]
                .iter()
                .filter(|m| m.start >= range.start && m.end <= range.end)
            {
                let text: String = chars[m.start..m.end].iter().collect();
                writeln!(out, "  mention {text} : {} ({})", m.kind, m.rule)?;
            }
            for f in found.iter().filter(|f| f.sentence == sentence) {
                writeln!(
                    out,
                    "  fact    {} {} {}    [{}]",
                    f.subject.display, f.predicate, f.object.display, f.rule
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
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
    Ok(match dir {
        Some(d) => Rules::from_dir(d).map_err(flat)?,
        None => Rules::embedded().map_err(flat)?,
    })
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

/// Files extracted in parallel before they are stored.
const EXTRACT_CHUNK: usize = 64;

fn extract(
    rules: &Rules,
    vocab: &Vocab,
    paths: &[PathBuf],
    encoding: Option<&'static Encoding>,
    out: &Path,
) -> Result<ExitCode> {
    let inputs = Inputs::gather(paths);
    let mut skipped = inputs.skipped;
    if inputs.files.is_empty() {
        if skipped > 0 {
            bail!("nothing stored: {} (named above)", inputs_skipped(skipped));
        }
        bail!(
            "no input files (*.txt) in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let files = inputs.files;
    let mut store = Store::open(out)?;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let total = files.len();
    let mut stored = 0usize;
    // Documents are independent: each chunk is read and extracted in parallel, then stored in
    // file order, so the store and the exports do not depend on scheduling and memory stays
    // bounded by the chunk.
    for (c, chunk) in files.chunks(EXTRACT_CHUNK).enumerate() {
        let done: Vec<_> = chunk
            .par_iter()
            .map(|path| {
                accord::read::read_file_as(path, encoding).map(|doc| {
                    let x = accord::extract(rules, doc);
                    let quads = accord::to_quads(rules, vocab, &x);
                    (x, quads)
                })
            })
            .collect();
        for (i, result) in done.into_iter().enumerate() {
            let n = c * EXTRACT_CHUNK + i + 1;
            let (x, quads) = match result {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("accord: skipped {e}");
                    skipped += 1;
                    continue;
                }
            };
            let doc = &x.document;
            if let Some(other) = seen.insert(doc.key.clone(), doc.source.clone()) {
                eprintln!(
                    "accord: skipped {}: its key {:?} is already used by {other}",
                    doc.source, doc.key
                );
                skipped += 1;
                continue;
            }
            store_document(&mut store, vocab, &x, &quads)?;
            stored += 1;
            eprintln!(
                "[{n}/{total}] {}: {} paragraphs, {} mentions, {} facts",
                doc.source,
                x.segmented.paragraphs.len(),
                x.mentions.iter().map(Vec::len).sum::<usize>(),
                x.facts.len()
            );
        }
    }
    if stored == 0 {
        bail!("nothing stored: {} (named above)", inputs_skipped(skipped));
    }
    let stale: Vec<&String> = store
        .manifest
        .documents
        .keys()
        .filter(|k| !seen.contains_key(*k))
        .collect();
    if !stale.is_empty() && store.manifest.rules_hash != rules.hash {
        eprintln!(
            "accord: note: {} documents in the store were extracted with other rules: {}",
            stale.len(),
            join(&stale)
        );
    }
    store.manifest.rules_hash = rules.hash.clone();
    store.manifest.base = vocab.base.clone();
    store.replace_graphs(&[vocab.entities_graph()], &rdf::entity_quads(rules, vocab))?;
    store.save()?;
    let quads = store.sorted_quads()?;
    let quad_count = quads.len();
    let (documents, entities) = export::split_gazetteer(quads, vocab);
    for &format in export::EXTRACT_FORMATS {
        let path = out.join(format.file_name());
        write_atomically(&path, |w| export::write(format, &documents, vocab, w))?;
    }
    write_atomically(&out.join(export::GAZETTEER_FILE), |w| {
        export::write(Format::Turtle, &entities, vocab, w)
    })?;
    let skipped_note = if skipped > 0 {
        format!("; {} (named above)", inputs_skipped(skipped))
    } else {
        String::new()
    };
    eprintln!(
        "stored {stored} documents ({} in the store, {} quads) in {}; exports written to {}{skipped_note}",
        store.manifest.documents.len(),
        quad_count,
        out.join("store").display(),
        out.display()
    );
    Ok(if skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `skipped 1 input`, `skipped 3 inputs`.
fn inputs_skipped(n: usize) -> String {
    format!("skipped {n} input{}", if n == 1 { "" } else { "s" })
}

/// Replaces the graphs of a document in the store and its manifest entry.
fn store_document(
    store: &mut Store,
    vocab: &Vocab,
    x: &accord::Extraction,
    quads: &[oxigraph::model::Quad],
) -> Result<()> {
    let doc = &x.document;
    store.replace_graphs(
        &[vocab.doc_graph(&doc.key), vocab.provenance_graph(&doc.key)],
        quads,
    )?;
    store.manifest.documents.insert(
        doc.key.clone(),
        DocumentEntry {
            source: doc.source.clone(),
            content_hash: doc.content_hash.clone(),
            quads: quads.len(),
        },
    );
    Ok(())
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The files of the command line's paths: a file as given (whatever its extension), and under
/// a folder every `*.txt` file, the extension in any case (`.TXT`, `.Txt`), in name order.
/// Hidden entries (`.git`, editors' `._x.txt` copies) are not walked. A path that cannot be
/// read is named on stderr once and counted; the others are still read.
#[derive(Default)]
struct Inputs {
    files: Vec<PathBuf>,
    skipped: usize,
    /// Folders walked, by canonical path: a link back up is walked once.
    walked: std::collections::HashSet<PathBuf>,
}

impl Inputs {
    fn gather(paths: &[PathBuf]) -> Inputs {
        let mut inputs = Inputs::default();
        for p in paths {
            match fs::metadata(p) {
                Ok(m) if m.is_dir() => inputs.walk(p),
                Ok(_) => inputs.files.push(p.clone()),
                Err(e) => inputs.skip(p, &e),
            }
        }
        inputs
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
                Ok(_) if is_text_file(&p) => self.files.push(p),
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

/// `*.txt`, the extension in any case.
fn is_text_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
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
