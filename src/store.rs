//! The embedded store: Oxigraph in memory, persisted as a snapshot under `DIR/store/` (sorted
//! N-Quads plus a JSON manifest of documents and the rules hash).
//!
//! A snapshot is written atomically: the quads go to a new file named by their hash, then the
//! manifest that points to it replaces the old manifest with a rename. A run killed at any
//! moment leaves the previous snapshot readable. Only this module knows Oxigraph's store API,
//! so another backend can be added behind it.
//!
//! The manifest is read on its own ([`read_manifest`]) before any quad is loaded: it says, for
//! each document, what it was extracted from (content hash, source, encoding, date) and with
//! what (rules hash, base, build of accord), so a run can tell which documents are unchanged
//! ([`Changes`]) and leave the snapshot alone when none changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, GraphNameRef, NamedNode, Quad};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MANIFEST: &str = "manifest.json";
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: unreadable store snapshot: {message}")]
    Corrupt { path: String, message: String },
    #[error("store: {0}")]
    Backend(String),
    #[error("query: {0}")]
    Query(String),
    /// The text is not a SPARQL query (see [`Store::query_with`]).
    #[error("{0}")]
    Syntax(String),
    /// The text is a SPARQL update, which [`Store::query_with`] never runs.
    #[error("the store is read-only: SPARQL updates (INSERT, DELETE, LOAD, CLEAR…) are not run")]
    Update,
    /// The query's cancellation token fired (it ran past its time limit).
    #[error("the query was cancelled")]
    Cancelled,
}

impl From<QueryEvaluationError> for StoreError {
    fn from(e: QueryEvaluationError) -> Self {
        match e {
            QueryEvaluationError::Cancelled => StoreError::Cancelled,
            e => StoreError::Query(e.to_string()),
        }
    }
}

/// The graphs a query reads, as the SPARQL protocol's `default-graph-uri` and
/// `named-graph-uri` name them. Both empty: the query's own `FROM`, or else the union of all
/// graphs as its default graph.
#[derive(Clone, Debug, Default)]
pub struct QueryDataset {
    pub default: Vec<NamedNode>,
    pub named: Vec<NamedNode>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What the store holds of one document: what it was read from, and how much it gave.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DocumentEntry {
    pub source: String,
    pub content_hash: String,
    /// The encoding its bytes were read in. Empty in snapshots made before it was recorded.
    #[serde(default)]
    pub encoding: String,
    /// The date given with it (a JSON Lines record's `date`), `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub quads: usize,
    #[serde(default)]
    pub facts: usize,
}

impl DocumentEntry {
    /// What makes two documents the same content: the same bytes with the same date (a text
    /// given another date is another document).
    fn content(&self) -> String {
        match &self.date {
            Some(date) => format!("{}@{date}", self.content_hash),
            None => self.content_hash.clone(),
        }
    }

    /// Whether both were read from the same input: the same bytes, from the same source, in
    /// the same encoding, with the same date. With the same settings, such a document gives
    /// the same quads.
    pub fn same_input(&self, other: &DocumentEntry) -> bool {
        (&self.content_hash, &self.source, &self.encoding, &self.date)
            == (
                &other.content_hash,
                &other.source,
                &other.encoding,
                &other.date,
            )
    }
}

/// What, besides its input, decides the quads of a document: the rules, the base of the
/// IRIs and the build of accord.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub rules_hash: String,
    pub base: String,
    pub build: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub rules_hash: String,
    /// The `--base` the store's IRIs were minted with: a run with another base would add IRIs
    /// that never meet these. Empty in snapshots made before it was recorded.
    #[serde(default)]
    pub base: String,
    /// The build of accord that extracted the documents (its version and a hash of its
    /// source): another build may read the same text differently. Empty in snapshots made
    /// before it was recorded.
    #[serde(default)]
    pub build: String,
    pub quads_file: String,
    pub documents: BTreeMap<String, DocumentEntry>,
}

impl Manifest {
    /// The manifest of a store with nothing in it yet.
    pub fn empty() -> Manifest {
        Manifest {
            format: FORMAT,
            ..Manifest::default()
        }
    }

    pub fn settings(&self) -> Settings {
        Settings {
            rules_hash: self.rules_hash.clone(),
            base: self.base.clone(),
            build: self.build.clone(),
        }
    }

    pub fn set_settings(&mut self, settings: &Settings) {
        self.rules_hash.clone_from(&settings.rules_hash);
        self.base.clone_from(&settings.base);
        self.build.clone_from(&settings.build);
    }
}

/// The manifest of the store in `out/store/`, without loading its quads; `None` when there is
/// no store there yet.
pub fn read_manifest(out: &Path) -> Result<Option<Manifest>, StoreError> {
    let path = out.join("store").join(MANIFEST);
    if !path.exists() {
        return Ok(None);
    }
    let corrupt = |message: String| StoreError::Corrupt {
        path: path.display().to_string(),
        message,
    };
    let text = fs::read_to_string(&path).map_err(io_err(&path))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(corrupt(format!(
            "format {} (this accord reads {FORMAT})",
            manifest.format
        )));
    }
    Ok(Some(manifest))
}

/// The base recorded in the manifest of the store in `out/store/`, without loading its quads;
/// `None` when there is no store yet or it was made before bases were recorded.
pub fn recorded_base(out: &Path) -> Result<Option<String>, StoreError> {
    Ok(read_manifest(out)?
        .map(|m| m.base)
        .filter(|b| !b.is_empty()))
}

/// Whether the snapshot's quads file is there, so the snapshot can be loaded as it is.
pub fn snapshot_present(out: &Path, manifest: &Manifest) -> bool {
    manifest.quads_file.is_empty() || out.join("store").join(&manifest.quads_file).is_file()
}

pub struct Store {
    db: oxigraph::store::Store,
    dir: PathBuf,
    pub manifest: Manifest,
}

impl Store {
    /// Opens the snapshot in `out/store/`, or an empty store when there is none yet.
    pub fn open(out: &Path) -> Result<Store, StoreError> {
        let manifest = read_manifest(out)?.unwrap_or_else(Manifest::empty);
        Store::load(out, manifest)
    }

    /// Loads the quads of the snapshot `manifest` (read by [`read_manifest`]) describes.
    pub fn load(out: &Path, manifest: Manifest) -> Result<Store, StoreError> {
        let dir = out.join("store");
        let db = oxigraph::store::Store::new().map_err(|e| StoreError::Backend(e.to_string()))?;
        if !manifest.quads_file.is_empty() {
            load(&db, &dir.join(&manifest.quads_file))?;
        }
        Ok(Store { db, dir, manifest })
    }

    /// Replaces everything in the given named graphs by `quads` (which must lie in them).
    pub fn replace_graphs(
        &mut self,
        graphs: &[NamedNode],
        quads: &[Quad],
    ) -> Result<(), StoreError> {
        for g in graphs {
            self.db
                .remove_named_graph(g)
                .map_err(|e| StoreError::Backend(e.to_string()))?;
        }
        self.db
            .extend(quads.iter().cloned())
            .map_err(|e| StoreError::Backend(e.to_string()))
    }

    /// Drops a document: its graphs and its manifest entry.
    pub fn remove_document(&mut self, key: &str, graphs: &[NamedNode]) -> Result<(), StoreError> {
        self.replace_graphs(graphs, &[])?;
        self.manifest.documents.remove(key);
        Ok(())
    }

    /// Every quad, sorted, so dumps are byte-identical run to run.
    pub fn sorted_quads(&self) -> Result<Vec<Quad>, StoreError> {
        let mut quads: Vec<Quad> = self
            .db
            .iter()
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        crate::rdf::sort_quads(&mut quads);
        Ok(quads)
    }

    pub fn len(&self) -> Result<usize, StoreError> {
        self.db
            .len()
            .map_err(|e| StoreError::Backend(e.to_string()))
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// Runs a SPARQL query with the union of all named graphs as the default graph.
    pub fn query(&self, sparql: &str) -> Result<QueryResults<'static>, StoreError> {
        let mut prepared = SparqlEvaluator::new()
            .parse_query(sparql)
            .map_err(|e| StoreError::Query(e.to_string()))?;
        prepared.dataset_mut().set_default_graph_as_union();
        prepared
            .on_store(&self.db)
            .execute()
            .map_err(|e| StoreError::Query(e.to_string()))
    }

    /// Runs a SPARQL query over `dataset`, stopping when `cancel` fires. Never runs an update:
    /// a text that parses as one gives [`StoreError::Update`].
    pub fn query_with(
        &self,
        sparql: &str,
        dataset: &QueryDataset,
        cancel: CancellationToken,
    ) -> Result<QueryResults<'static>, StoreError> {
        let evaluator = SparqlEvaluator::new().with_cancellation_token(cancel);
        let mut prepared = match evaluator.parse_query(sparql) {
            Ok(p) => p,
            Err(_) if SparqlEvaluator::new().parse_update(sparql).is_ok() => {
                return Err(StoreError::Update);
            }
            Err(e) => return Err(StoreError::Syntax(e.to_string())),
        };
        let spec = prepared.dataset_mut();
        if !dataset.default.is_empty() || !dataset.named.is_empty() {
            spec.set_default_graph(dataset.default.iter().cloned().map(Into::into).collect());
            spec.set_available_named_graphs(
                dataset.named.iter().cloned().map(Into::into).collect(),
            );
        } else if spec.is_default_dataset() {
            spec.set_default_graph_as_union();
        }
        Ok(prepared.on_store(&self.db).execute()?)
    }

    /// The quads of one named graph, or every quad moved to the default graph (the union, as
    /// queries see it) for `None`; sorted, without duplicates.
    pub fn graph_quads(&self, graph: Option<&NamedNode>) -> Result<Vec<Quad>, StoreError> {
        let name = graph.map(GraphNameRef::from);
        let mut quads: Vec<Quad> = self
            .db
            .quads_for_pattern(None, None, None, name)
            .map(|q| {
                q.map(|mut q| {
                    if graph.is_none() {
                        q.graph_name = GraphName::DefaultGraph;
                    }
                    q
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        quads.sort_by_cached_key(|q| q.to_string());
        quads.dedup();
        Ok(quads)
    }

    /// Whether a named graph holds any quad.
    pub fn has_graph(&self, graph: &NamedNode) -> Result<bool, StoreError> {
        self.db
            .contains_named_graph(graph)
            .map_err(|e| StoreError::Backend(e.to_string()))
    }

    /// Writes the snapshot atomically; its quads, sorted (what [`Store::sorted_quads`] gives),
    /// so that a caller writing them elsewhere too does not sort them twice.
    pub fn save(&mut self) -> Result<Vec<Quad>, StoreError> {
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let quads = self.sorted_quads()?;
        let tmp = self.dir.join("quads.nq.tmp");
        let hash = write_nquads(&tmp, &quads)?;
        let name = format!("quads-{}.nq", &hash[..16]);
        let target = self.dir.join(&name);
        fs::rename(&tmp, &target).map_err(io_err(&target))?;
        self.manifest.quads_file = name.clone();
        let manifest_tmp = self.dir.join("manifest.json.tmp");
        let json = serde_json::to_string_pretty(&self.manifest).expect("manifest serialises");
        write_synced(&manifest_tmp, json.as_bytes())?;
        let manifest_path = self.dir.join(MANIFEST);
        fs::rename(&manifest_tmp, &manifest_path).map_err(io_err(&manifest_path))?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        // Older snapshots are unreachable now.
        for entry in fs::read_dir(&self.dir)
            .map_err(io_err(&self.dir))?
            .flatten()
        {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with("quads-") && file != name {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(quads)
    }
}

/// What a run does with a document it has read, against the snapshot it started from.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Stored from the same input with the same settings: nothing to do.
    Unchanged(DocumentEntry),
    /// New, changed, or stored with other settings: extract it and store it.
    Extract,
    /// The same content as the document `of` (its source), which is kept: not stored.
    Duplicate { of: String },
    /// The same content as a stored document this run has not read yet, which may still
    /// change: decided by [`Changes::settle`] once every input is read.
    Deferred,
}

/// The documents a run reads, judged against the snapshot it started from, in the order they
/// are read. Of two documents with the same content the one stored before is kept, else the
/// one read first; the other is not stored, and its graphs from an earlier run are dropped.
pub struct Changes {
    before: BTreeMap<String, DocumentEntry>,
    /// The snapshot was made with this run's settings.
    fresh: bool,
    /// Which document (key, source) holds each content (hash and date): the stored documents,
    /// then those read in this run.
    holders: HashMap<String, (String, String)>,
    /// Keys read in this run.
    seen: BTreeSet<String>,
    /// Stored documents to drop: duplicates and, after [`Changes::prune`], those not read.
    dropped: BTreeSet<String>,
}

impl Changes {
    pub fn new(manifest: &Manifest, settings: &Settings) -> Changes {
        let mut holders = HashMap::new();
        for (key, e) in &manifest.documents {
            holders
                .entry(e.content())
                .or_insert_with(|| (key.clone(), e.source.clone()));
        }
        Changes {
            before: manifest.documents.clone(),
            fresh: manifest.settings() == *settings,
            holders,
            seen: BTreeSet::new(),
            dropped: BTreeSet::new(),
        }
    }

    /// Whether the snapshot was made with this run's settings: if not, every document read is
    /// extracted again.
    pub fn fresh(&self) -> bool {
        self.fresh
    }

    /// Judges a document read under `key` (a key not read before in this run).
    pub fn judge(&mut self, key: &str, entry: &DocumentEntry) -> Verdict {
        self.seen.insert(key.to_string());
        // What it held before is no longer its content, unless it is the same.
        let content = entry.content();
        if let Some(old) = self.before.get(key).map(DocumentEntry::content)
            && old != content
            && self.holders.get(&old).is_some_and(|h| h.0 == key)
        {
            self.holders.remove(&old);
        }
        match self.holders.get(&content) {
            Some((holder, _)) if holder != key && !self.seen.contains(holder) => Verdict::Deferred,
            _ => self.settle(key, entry),
        }
    }

    /// Judges a deferred document once every input is read (and pruned): whoever holds its
    /// content now keeps it.
    pub fn settle(&mut self, key: &str, entry: &DocumentEntry) -> Verdict {
        let holder = self
            .holders
            .entry(entry.content())
            .or_insert_with(|| (key.to_string(), entry.source.clone()));
        if holder.0 != key {
            let of = holder.1.clone();
            if self.before.contains_key(key) {
                self.dropped.insert(key.to_string());
            }
            return Verdict::Duplicate { of };
        }
        match self.before.get(key) {
            Some(old) if self.fresh && old.same_input(entry) => Verdict::Unchanged(old.clone()),
            _ => Verdict::Extract,
        }
    }

    /// Stored documents this run has not read, in key order.
    pub fn unread(&self) -> Vec<String> {
        self.before
            .keys()
            .filter(|k| !self.seen.contains(*k))
            .cloned()
            .collect()
    }

    /// Drops the stored documents this run has not read; returns their keys.
    pub fn prune(&mut self) -> Vec<String> {
        let unread = self.unread();
        for key in &unread {
            let content = self.before[key].content();
            if self.holders.get(&content).is_some_and(|h| &h.0 == key) {
                self.holders.remove(&content);
            }
            self.dropped.insert(key.clone());
        }
        unread
    }

    /// The stored documents to drop: pruned, or now the duplicate of another.
    pub fn dropped(&self) -> &BTreeSet<String> {
        &self.dropped
    }
}

fn load(db: &oxigraph::store::Store, path: &Path) -> Result<(), StoreError> {
    let file = File::open(path).map_err(io_err(path))?;
    let mut loader = db.bulk_loader();
    loader
        .load_from_reader(RdfFormat::NQuads, BufReader::new(file))
        .map_err(|e| StoreError::Corrupt {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    loader
        .commit()
        .map_err(|e| StoreError::Backend(e.to_string()))
}

/// Writes sorted quads as N-Quads, synced to disk; returns their SHA-256.
fn write_nquads(path: &Path, quads: &[Quad]) -> Result<String, StoreError> {
    let file = File::create(path).map_err(io_err(path))?;
    let mut ser = RdfSerializer::from_format(RdfFormat::NQuads)
        .for_writer(HashingWriter::new(BufWriter::new(file)));
    for q in quads {
        ser.serialize_quad(q).map_err(io_err(path))?;
    }
    let w = ser.finish().map_err(io_err(path))?;
    let hash = format!("{:x}", w.hasher.finalize());
    let file = w.inner.into_inner().map_err(|e| StoreError::Io {
        path: path.display().to_string(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(io_err(path))?;
    Ok(hash)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a store holding `stored` (`key=hash` each, read from `key.txt`) against a run
    /// reading `reads` in order (`key=hash`, `*` after the store for other settings) and, with
    /// `prune`, pruning: each document's verdict, deferred ones settled at the end, then the
    /// stored documents dropped.
    fn check(stored: &str, reads: &str, prune: bool, expect: &str) {
        let entry = |doc: &str| {
            let (key, hash) = doc.split_once('=').unwrap();
            let source = format!("{key}.txt");
            (
                key.to_string(),
                DocumentEntry {
                    source,
                    content_hash: hash.into(),
                    ..Default::default()
                },
            )
        };
        let settings = |other: bool| Settings {
            rules_hash: if other { "other" } else { "rules" }.into(),
            base: "b/".into(),
            build: "1".into(),
        };
        let (stored, other) = stored
            .strip_suffix('*')
            .map_or((stored, false), |s| (s, true));
        let mut manifest = Manifest::empty();
        manifest.set_settings(&settings(other));
        manifest.documents = stored.split_whitespace().map(entry).collect();
        let mut changes = Changes::new(&manifest, &settings(false));
        let name = |v: &Verdict| match v {
            Verdict::Unchanged(_) => "unchanged".to_string(),
            Verdict::Extract => "extract".to_string(),
            Verdict::Duplicate { of } => format!("same as {of}"),
            Verdict::Deferred => "deferred".to_string(),
        };
        let mut got = Vec::new();
        let mut deferred = Vec::new();
        for (key, e) in reads.split_whitespace().map(entry) {
            match changes.judge(&key, &e) {
                Verdict::Deferred => deferred.push((key, e)),
                v => got.push(format!("{key}: {}", name(&v))),
            }
        }
        if prune {
            changes.prune();
        }
        for (key, e) in deferred {
            got.push(format!(
                "{key}: {} (deferred)",
                name(&changes.settle(&key, &e))
            ));
        }
        let dropped: Vec<&str> = changes.dropped().iter().map(String::as_str).collect();
        got.push(format!("dropped: {}", dropped.join(" ")));
        assert_eq!(got.join("; "), expect, "stored {stored}, read {reads}");
    }

    /// Each case: the store, the documents read, whether to prune, the outcome.
    #[rustfmt::skip]
    const CASES: &[(&str, &str, bool, &str)] = &[
        ("a=1 b=2", "a=1 b=2", false, "a: unchanged; b: unchanged; dropped: "),
        ("a=1 b=2", "b=3",     false, "b: extract; dropped: "),
        ("a=1*",    "a=1",     false, "a: extract; dropped: "),
        ("",        "a=1 b=1", false, "a: extract; b: same as a.txt; dropped: "),
        // The content of a stored document not read (yet) waits for the end of the run.
        ("a=1",     "b=1 a=1", false, "a: unchanged; b: same as a.txt (deferred); dropped: "),
        ("a=1",     "c=1",     false, "c: same as a.txt (deferred); dropped: "),
        ("a=1",     "c=1",     true,  "c: extract (deferred); dropped: a"),
        ("a=1 b=2", "a=1",     true,  "a: unchanged; dropped: b"),
        // Contents that change places are no duplicates; a stored document that now holds
        // another's content is dropped.
        ("a=1 b=2", "b=1 a=2", false, "a: extract; b: extract (deferred); dropped: "),
        ("a=1 b=2", "b=1 a=1", false, "a: unchanged; b: same as a.txt (deferred); dropped: b"),
        ("a=1 b=2", "a=2 b=2", false, "b: unchanged; a: same as b.txt (deferred); dropped: a"),
    ];

    #[test]
    fn a_run_is_judged_against_the_snapshot() {
        for &(stored, reads, prune, expect) in CASES {
            check(stored, reads, prune, expect);
        }
    }
}
