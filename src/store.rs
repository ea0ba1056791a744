//! The embedded store: Oxigraph in memory, persisted as a snapshot under `DIR/store/` (sorted
//! N-Quads plus a JSON manifest of documents and the rules hash).
//!
//! A snapshot is written atomically: the quads go to a new file named by their hash, then the
//! manifest that points to it replaces the old manifest with a rename. A run killed at any
//! moment leaves the previous snapshot readable. Only this module knows Oxigraph's store API,
//! so another backend can be added behind it.

use std::collections::BTreeMap;
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

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DocumentEntry {
    pub source: String,
    pub content_hash: String,
    pub quads: usize,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub rules_hash: String,
    /// The `--base` the store's IRIs were minted with: a run with another base would add IRIs
    /// that never meet these. Empty in snapshots made before it was recorded.
    #[serde(default)]
    pub base: String,
    pub quads_file: String,
    pub documents: BTreeMap<String, DocumentEntry>,
}

/// The base recorded in the manifest of the store in `out/store/`, without loading its quads;
/// `None` when there is no store yet or it was made before bases were recorded.
pub fn recorded_base(out: &Path) -> Result<Option<String>, StoreError> {
    let path = out.join("store").join(MANIFEST);
    if !path.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&path).map_err(io_err(&path))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(Some(manifest.base).filter(|b| !b.is_empty()))
}

pub struct Store {
    db: oxigraph::store::Store,
    dir: PathBuf,
    pub manifest: Manifest,
}

impl Store {
    /// Opens the snapshot in `out/store/`, or an empty store when there is none yet.
    pub fn open(out: &Path) -> Result<Store, StoreError> {
        let dir = out.join("store");
        let db = oxigraph::store::Store::new().map_err(|e| StoreError::Backend(e.to_string()))?;
        let manifest_path = dir.join(MANIFEST);
        let manifest = if manifest_path.exists() {
            let text = fs::read_to_string(&manifest_path).map_err(io_err(&manifest_path))?;
            let manifest: Manifest =
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                    path: manifest_path.display().to_string(),
                    message: e.to_string(),
                })?;
            if manifest.format != FORMAT {
                return Err(StoreError::Corrupt {
                    path: manifest_path.display().to_string(),
                    message: format!("format {} (this accord reads {FORMAT})", manifest.format),
                });
            }
            load(&db, &dir.join(&manifest.quads_file))?;
            manifest
        } else {
            Manifest {
                format: FORMAT,
                ..Manifest::default()
            }
        };
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

    /// Writes the snapshot atomically.
    pub fn save(&mut self) -> Result<(), StoreError> {
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
        Ok(())
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
