//! Corpus-scale benchmark: `accord extract --stdout --quiet` against the bare floor, measured in
//! the same run, on one thread and on every core; and the store's ingest against Oxigraph's own
//! bulk loader.
//!
//!     python3 bench/make_corpus.py --size 10MB --out bench-corpus/10MB
//!     python3 bench/make_corpus.py --size 100MB --out bench-corpus/100MB
//!     cargo bench --bench corpus -- bench-corpus/10MB bench-corpus/100MB
//!
//! For each corpus (a folder with the generator's `docs/`):
//!
//! - the floor: one leftmost-longest DFA Aho-Corasick pass over the gazetteer surfaces the rules
//!   hold, plus one pass of the date patterns joined into one regex, over the same text; no
//!   extractor can be faster, since every extractor reads the text at least that way;
//! - extraction: the release binary as a child, `accord extract --stdout --quiet --jobs N docs/`
//!   for one job and for every core, timed from start to exit, its N-Quads read from a pipe and
//!   counted (quads, and facts: one `rdf:Statement` per fact), its peak memory read as `VmHWM`
//!   from `/proc/<pid>/status` while it runs;
//! - the store: the one-job run's N-Quads (kept in `<corpus>/extract.nq`) ingested the way
//!   `accord extract` stores documents (the graphs of each document replaced in turn) against
//!   `Store::bulk_loader()` of an in-memory Oxigraph store, both parsing the same file.
//!
//! Facts per MB are asserted against a floor, so an extractor that is faster because it finds
//! less fails here. Speed targets are printed as met or not met; they fail nothing, since the
//! machine's load is not the program's fault.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use accord::read::read_file;
use accord::rules::{Kind, Rules};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphName, NamedNode, Quad};
use rayon::prelude::*;
use regex::Regex;

/// Fact triples per MB of the generated corpora: 58,585 on the 10 MB corpus (5,850 per MB,
/// measured 2026-12-07). A run more than 5 % below is an extractor that lost facts, not a
/// faster one.
const FACTS_PER_MB: f64 = 5_850.0;
const MIN_FACTS_PER_MB: f64 = 0.95 * FACTS_PER_MB;

/// How a fact triple shows in the N-Quads: its provenance record (a fact with a date range is
/// two triples, `startDate` and `endDate`, each with its record).
const STATEMENT: &[u8] =
    b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement>";

fn main() {
    let corpora: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .collect();
    if corpora.is_empty() {
        eprintln!("usage: cargo bench --bench corpus -- CORPUS_DIR… (from bench/make_corpus.py)");
        std::process::exit(2);
    }
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let rules = Rules::embedded().expect("rules compile");
    let floor = Floor::new(&rules);
    println!(
        "floor: {} gazetteer surfaces, date regex of {} patterns; {cores} cores; binary {}",
        rules.surfaces.len(),
        floor.date_patterns,
        env!("CARGO_BIN_EXE_accord")
    );
    let results: Vec<CorpusResult> = corpora
        .iter()
        .map(|dir| bench_corpus(dir, &floor, cores))
        .collect();
    print_summary(&results, cores);
}

/// The bare floor: the gazetteer automaton and the date regex, nothing else.
struct Floor {
    automaton: AhoCorasick,
    dates: Regex,
    date_patterns: usize,
}

impl Floor {
    fn new(rules: &Rules) -> Floor {
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(rules.surfaces.iter().map(|(s, _)| s.as_str()))
            .expect("gazetteer automaton");
        // One regex of every date pattern; names of groups repeat across patterns, so they go.
        let unname = Regex::new(r"\(\?P<[A-Za-z0-9_]+>").unwrap();
        let dates: Vec<String> = rules
            .patterns
            .iter()
            .filter(|p| p.kind == Kind::Date)
            .map(|p| format!("(?:{})", unname.replace_all(p.regex.as_str(), "(?:")))
            .collect();
        Floor {
            automaton,
            date_patterns: dates.len(),
            dates: Regex::new(&dates.join("|")).expect("date regex"),
        }
    }

    /// Matches in one text: gazetteer surfaces plus dates.
    fn scan(&self, text: &str) -> usize {
        self.automaton.find_iter(text).count() + self.dates.find_iter(text).count()
    }
}

struct Run {
    jobs: usize,
    secs: f64,
    /// User and system time of every thread, as last sampled (a lower bound).
    cpu_secs: f64,
    quads: usize,
    facts: usize,
    nquads_bytes: usize,
    peak_kb: u64,
}

struct Load {
    quads: usize,
    nquads_bytes: usize,
    parse_secs: f64,
    accord_secs: f64,
    bulk_secs: f64,
}

struct CorpusResult {
    name: String,
    documents: usize,
    bytes: usize,
    floor1_secs: f64,
    floor_n_secs: f64,
    floor_matches: usize,
    runs: Vec<Run>,
    load: Load,
}

impl CorpusResult {
    fn mb(&self) -> f64 {
        self.bytes as f64 / 1e6
    }
}

fn bench_corpus(dir: &Path, floor: &Floor, cores: usize) -> CorpusResult {
    let docs_dir = dir.join("docs");
    let texts = read_texts(&docs_dir);
    let bytes: usize = texts.iter().map(String::len).sum();
    let documents = texts.len();
    let name = dir
        .file_name()
        .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
    println!(
        "\n== {name}: {} documents, {:.1} MB; load average {}",
        texts.len(),
        bytes as f64 / 1e6,
        load_average()
    );
    let (floor1_secs, floor_matches) = best_of(3, || texts.iter().map(|t| floor.scan(t)).sum());
    let (floor_n_secs, matches_n) =
        best_of(3, || texts.par_iter().map(|t| floor.scan(t)).sum::<usize>());
    assert_eq!(floor_matches, matches_n);
    println!(
        "floor: {floor_matches} matches; 1 thread {:.3} s ({:.0} MB/s), {cores} threads {:.3} s ({:.0} MB/s)",
        floor1_secs,
        bytes as f64 / 1e6 / floor1_secs,
        floor_n_secs,
        bytes as f64 / 1e6 / floor_n_secs
    );
    drop(texts);
    let nq = dir.join("extract.nq");
    let mut runs = vec![extract_run(&docs_dir, 1, Some(&nq))];
    if cores > 1 {
        runs.push(extract_run(&docs_dir, cores, None));
        assert_eq!(
            (runs[0].quads, runs[0].nquads_bytes),
            (runs[1].quads, runs[1].nquads_bytes),
            "--jobs changed the output"
        );
    }
    for r in &runs {
        let per_mb = r.facts as f64 / (bytes as f64 / 1e6);
        println!(
            "extract --jobs {}: {:.2} s ({:.2} s of CPU), {:.2} MB/s, {:.0} documents/s, {} facts ({per_mb:.0} per MB), {} quads, peak {} MB",
            r.jobs,
            r.secs,
            r.cpu_secs,
            bytes as f64 / 1e6 / r.secs,
            documents as f64 / r.secs,
            r.facts,
            r.quads,
            r.peak_kb / 1024
        );
        assert!(
            per_mb >= MIN_FACTS_PER_MB,
            "{name}: {per_mb:.0} facts per MB, more than 5 % below the {FACTS_PER_MB} expected"
        );
    }
    let load = load_run(&nq);
    println!(
        "store: {} quads ({:.0} MB of N-Quads), parsing alone {:.2} s; accord's ingest {:.2} s, bulk loader {:.2} s",
        load.quads,
        load.nquads_bytes as f64 / 1e6,
        load.parse_secs,
        load.accord_secs,
        load.bulk_secs
    );
    CorpusResult {
        name,
        documents,
        bytes,
        floor1_secs,
        floor_n_secs,
        floor_matches,
        runs,
        load,
    }
}

/// The machine's 1-minute load average: a busy machine slows every number here.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn read_texts(dir: &Path) -> Vec<String> {
    doc_paths(dir)
        .iter()
        .map(|p| read_file(p).unwrap_or_else(|e| panic!("{e}")).text)
        .collect()
}

fn doc_paths(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e} (make it with bench/make_corpus.py)", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
}

/// The fastest of `n` runs of `f`, with its result.
fn best_of<T>(n: usize, f: impl Fn() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..n {
        let t = Instant::now();
        let x = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(x);
    }
    (best, out.expect("at least one run"))
}

/// Runs `accord extract --stdout --quiet --jobs N` on the folder, counting its output and
/// sampling its peak memory; keeps the N-Quads in `keep` when given.
fn extract_run(docs: &Path, jobs: usize, keep: Option<&Path>) -> Run {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["--out"])
        .arg(out_dir.path())
        .args([
            "extract",
            "--stdout",
            "--quiet",
            "--jobs",
            &jobs.to_string(),
        ])
        .arg(docs)
        .stdout(Stdio::piped())
        .spawn()
        .expect("run accord");
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let (mut peak, mut cpu) = (0, 0.0f64);
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(vm_hwm_kb(pid).unwrap_or(0));
                cpu = cpu.max(cpu_secs(pid).unwrap_or(0.0));
                thread::sleep(Duration::from_millis(5));
            }
            (peak, cpu)
        })
    };
    let stdout = child.stdout.take().expect("piped");
    let mut keep = keep.map(|p| BufWriter::new(File::create(p).expect("keep N-Quads")));
    let (quads, facts, nquads_bytes) = count_nquads(stdout, keep.as_mut());
    let status = child.wait().expect("wait for accord");
    let secs = t.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let (peak_kb, cpu_secs) = sampler.join().expect("sampler");
    assert!(status.success(), "accord extract failed: {status}");
    if let Some(mut w) = keep {
        w.flush().expect("keep N-Quads");
    }
    Run {
        jobs,
        secs,
        cpu_secs,
        quads,
        facts,
        nquads_bytes,
        peak_kb,
    }
}

/// Lines (quads), `rdf:Statement` lines (facts) and bytes of an N-Quads stream.
fn count_nquads(out: impl Read, mut keep: Option<&mut BufWriter<File>>) -> (usize, usize, usize) {
    let mut reader = BufReader::with_capacity(1 << 20, out);
    let finder = memchr::memmem::Finder::new(STATEMENT);
    let (mut quads, mut facts, mut bytes) = (0, 0, 0);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).expect("read N-Quads");
        if n == 0 {
            break;
        }
        bytes += n;
        quads += 1;
        if finder.find(&line).is_some() {
            facts += 1;
        }
        if let Some(w) = keep.as_mut() {
            w.write_all(&line).expect("keep N-Quads");
        }
    }
    (quads, facts, bytes)
}

/// The process's peak resident memory so far, in kB.
fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User plus system time of the process so far, from `/proc/<pid>/stat` (in ticks of
/// `USER_HZ`, 100 on Linux).
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// The same N-Quads into an empty store twice: document by document as `accord extract` stores
/// them, and through Oxigraph's bulk loader. Both times include parsing the file.
fn load_run(nq: &Path) -> Load {
    let nquads_bytes = std::fs::metadata(nq).expect("N-Quads kept").len() as usize;
    let t = Instant::now();
    let quads = parse(nq).count();
    let parse_secs = t.elapsed().as_secs_f64();

    let out_dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let mut store = accord::store::Store::open(out_dir.path()).expect("empty store");
    let mut batch: Vec<Quad> = Vec::new();
    let mut key = String::new();
    for q in parse(nq) {
        let k = document_of(&q);
        if k != key && !batch.is_empty() {
            store_batch(&mut store, &key, &batch);
            batch.clear();
        }
        key = k;
        batch.push(q);
    }
    store_batch(&mut store, &key, &batch);
    let accord_secs = t.elapsed().as_secs_f64();
    assert_eq!(store.len().expect("store"), quads);
    drop(store);

    let t = Instant::now();
    let db = oxigraph::store::Store::new().expect("store");
    let mut loader = db.bulk_loader();
    loader
        .load_from_reader(RdfFormat::NQuads, BufReader::new(File::open(nq).unwrap()))
        .expect("bulk load");
    loader.commit().expect("bulk commit");
    let bulk_secs = t.elapsed().as_secs_f64();
    assert_eq!(db.len().expect("store"), quads);
    Load {
        quads,
        nquads_bytes,
        parse_secs,
        accord_secs,
        bulk_secs,
    }
}

fn parse(nq: &Path) -> impl Iterator<Item = Quad> {
    RdfParser::from_format(RdfFormat::NQuads)
        .for_reader(BufReader::new(File::open(nq).expect("N-Quads kept")))
        .map(|q| q.expect("valid N-Quads"))
}

/// The document graph a quad is in: its provenance graph counts as the document's.
fn document_of(q: &Quad) -> String {
    match &q.graph_name {
        GraphName::NamedNode(g) => g
            .as_str()
            .strip_suffix("/provenance")
            .unwrap_or(g.as_str())
            .to_string(),
        _ => String::new(),
    }
}

fn store_batch(store: &mut accord::store::Store, graph: &str, quads: &[Quad]) {
    let graphs = [
        NamedNode::new_unchecked(graph),
        NamedNode::new_unchecked(format!("{graph}/provenance")),
    ];
    store.replace_graphs(&graphs, quads).expect("store ingest");
}

fn print_summary(results: &[CorpusResult], cores: usize) {
    println!(
        "\n| corpus | docs | jobs | wall s | CPU s | MB/s | docs/s | floor MB/s | × floor | facts/MB | quads | peak MB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for c in results {
        for r in &c.runs {
            let floor_secs = if r.jobs == 1 {
                c.floor1_secs
            } else {
                c.floor_n_secs
            };
            let rate = c.mb() / r.secs;
            let floor_rate = c.mb() / floor_secs;
            println!(
                "| {} | {} | {} | {:.1} | {:.1} | {:.2} | {:.0} | {:.0} | {:.4} | {:.0} | {} | {} |",
                c.name,
                c.documents,
                r.jobs,
                r.secs,
                r.cpu_secs,
                rate,
                c.documents as f64 / r.secs,
                floor_rate,
                rate / floor_rate,
                r.facts as f64 / c.mb(),
                r.quads,
                r.peak_kb / 1024
            );
        }
    }
    println!(
        "\n| corpus | quads | N-Quads MB | parse alone s | accord ingest s | bulk loader s | accord quads/s | bulk quads/s | × bulk |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for c in results {
        let l = &c.load;
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} | {:.2} |",
            c.name,
            l.quads,
            l.nquads_bytes as f64 / 1e6,
            l.parse_secs,
            l.accord_secs,
            l.bulk_secs,
            l.quads as f64 / l.accord_secs,
            l.quads as f64 / l.bulk_secs,
            l.bulk_secs / l.accord_secs
        );
    }
    println!("\ntargets (item 2 of issue 13):");
    for c in results {
        let one = &c.runs[0];
        let ratio = (c.mb() / one.secs) / (c.mb() / c.floor1_secs);
        verdict(&c.name, "--jobs 1 at ≥ 0.5× the floor", ratio, 0.5, "×");
        if let Some(all) = c.runs.get(1) {
            verdict(
                &c.name,
                &format!("--jobs {cores} at ≥ 1.7× --jobs 1"),
                one.secs / all.secs,
                1.7,
                "×",
            );
        }
        verdict(
            &c.name,
            "store ingest at ≥ 0.8× the bulk loader",
            c.load.bulk_secs / c.load.accord_secs,
            0.8,
            "×",
        );
        println!("  {}: floor matches {}", c.name, c.floor_matches);
    }
    if let [small, .., big] = results {
        let (a, b) = (
            small.runs.iter().map(|r| r.peak_kb).max().unwrap_or(0),
            big.runs.iter().map(|r| r.peak_kb).max().unwrap_or(0),
        );
        println!(
            "  peak memory with --stdout: {} MB on {}, {} MB on {} ({:.2}×; flat is ≤ 1.2×): {}",
            a / 1024,
            small.name,
            b / 1024,
            big.name,
            b as f64 / a as f64,
            if (b as f64) <= 1.2 * a as f64 {
                "met"
            } else {
                "not met"
            }
        );
    }
}

fn verdict(corpus: &str, target: &str, value: f64, needed: f64, unit: &str) {
    let met = if value >= needed { "met" } else { "not met" };
    println!("  {corpus}: {target}: {value:.3}{unit}: {met}");
}
