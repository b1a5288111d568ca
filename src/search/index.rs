//! The node's index on disk: `<data>/search/CURRENT` names the folder in
//! use, so a rebuild fills a new folder while the old one serves, then
//! swaps by renaming one small file. The journal position an index has
//! applied is the payload of its own commit: a crash after the commit
//! repeats nothing, a crash before it loses nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::schema::{self, Fields};
use crate::domain::ids::TicketId;
use crate::store::journal::Position;

/// The writer's memory: tantivy flushes a segment when it is full.
const WRITER_BYTES: usize = 32_000_000;

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    version: u32,
    txid: i64,
    seq: i64,
}

/// One opened index folder.
pub struct Live {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub folder: PathBuf,
    writer: Mutex<Option<IndexWriter>>,
    position: Mutex<Position>,
    /// Recent searchers by generation, so that the pages of one ranked
    /// result list come from the same snapshot while new changes land.
    pinned: Mutex<Vec<(u64, tantivy::Searcher, std::time::Instant)>>,
}

impl Live {
    /// Opens `folder`, or creates an empty index there. `None` position:
    /// the index is new, or of another schema version, or unreadable.
    pub fn open(folder: &Path) -> anyhow::Result<(Live, bool)> {
        std::fs::create_dir_all(folder)?;
        let (schema, _) = schema::build();
        let dir = MmapDirectory::open(folder)?;
        let index = Index::open_or_create(dir, schema)?;
        super::analysis::register(&index);
        let fields = schema::fields(&index.schema())?;
        let payload = index
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
            .filter(|p| p.version == schema::VERSION);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let position = payload.as_ref().map_or(Position::default(), |p| Position {
            txid: p.txid,
            seq: p.seq,
        });
        Ok((
            Live {
                index,
                reader,
                fields,
                folder: folder.to_path_buf(),
                writer: Mutex::new(None),
                position: Mutex::new(position),
                pinned: Mutex::new(Vec::new()),
            },
            payload.is_some(),
        ))
    }

    /// The journal position this index has applied.
    pub fn position(&self) -> Position {
        *self.position.lock().expect("position lock")
    }

    /// Replaces the documents of `tickets` (deleting those without a new
    /// one) and commits with `at` as the applied position. Blocking.
    pub fn replace(
        &self,
        tickets: &[TicketId],
        docs: Vec<TantivyDocument>,
        at: Position,
    ) -> anyhow::Result<()> {
        let mut guard = self.writer.lock().expect("writer lock");
        if guard.is_none() {
            *guard = Some(self.index.writer_with_num_threads(1, WRITER_BYTES)?);
        }
        let writer = guard.as_mut().expect("writer");
        for t in tickets {
            writer.delete_term(Term::from_field_text(self.fields.ticket, &t.to_string()));
        }
        for doc in docs {
            writer.add_document(doc)?;
        }
        let payload = serde_json::to_string(&Payload {
            version: schema::VERSION,
            txid: at.txid,
            seq: at.seq,
        })?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&payload);
        commit.commit()?;
        self.reader.reload()?;
        *self.position.lock().expect("position lock") = at;
        Ok(())
    }

    /// Adds documents without committing (a rebuild commits once at the end).
    pub fn add(&self, tickets: &[TicketId], docs: Vec<TantivyDocument>) -> anyhow::Result<()> {
        let mut guard = self.writer.lock().expect("writer lock");
        if guard.is_none() {
            *guard = Some(self.index.writer_with_num_threads(1, WRITER_BYTES)?);
        }
        let writer = guard.as_mut().expect("writer");
        for t in tickets {
            writer.delete_term(Term::from_field_text(self.fields.ticket, &t.to_string()));
        }
        for doc in docs {
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Lets go of the writer's lock and threads (before the folder goes).
    pub fn close_writer(&self) {
        if let Some(w) = self.writer.lock().expect("writer lock").take() {
            let _ = w.wait_merging_threads();
        }
    }

    /// The searcher of `generation` if it is still pinned, else the
    /// current one (pinned from now on); returns it with its generation.
    pub fn searcher(&self, generation: Option<u64>) -> tantivy::Searcher {
        const KEEP: usize = 8;
        const FOR: std::time::Duration = std::time::Duration::from_secs(600);
        let mut pinned = self.pinned.lock().expect("pinned lock");
        pinned.retain(|(_, _, at)| at.elapsed() < FOR);
        if let Some(g) = generation
            && let Some((_, s, _)) = pinned.iter().find(|(id, _, _)| *id == g)
        {
            return s.clone();
        }
        let current = self.reader.searcher();
        let id = current.generation().generation_id();
        if !pinned.iter().any(|(g, _, _)| *g == id) {
            if pinned.len() >= KEEP {
                pinned.remove(0);
            }
            pinned.push((id, current.clone(), std::time::Instant::now()));
        }
        current
    }

    /// How many tickets the index holds.
    pub fn documents(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// The index folders of a data folder.
pub struct Folders {
    root: PathBuf,
}

impl Folders {
    pub fn new(data_dir: &Path) -> Folders {
        Folders {
            root: data_dir.join("search"),
        }
    }

    /// The folder in use, if one was ever named.
    pub fn current(&self) -> Option<PathBuf> {
        let name = std::fs::read_to_string(self.root.join("CURRENT")).ok()?;
        let name = name.trim();
        // Only a plain folder name of ours: never a path out of the root.
        (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .then(|| self.root.join(name))
    }

    /// A fresh folder for a new index.
    pub fn fresh(&self) -> PathBuf {
        self.root
            .join(format!("index-{}", uuid::Uuid::new_v4().simple()))
    }

    /// Makes `folder` the one in use: a rename, atomic on every filesystem.
    pub fn make_current(&self, folder: &Path) -> anyhow::Result<()> {
        let name = folder
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| anyhow::anyhow!("index folder without a name"))?;
        std::fs::create_dir_all(&self.root)?;
        let tmp = self.root.join("CURRENT.tmp");
        std::fs::write(&tmp, name)?;
        std::fs::rename(&tmp, self.root.join("CURRENT"))?;
        Ok(())
    }

    /// Removes every index folder but `keep` (old ones after a swap).
    pub fn remove_others(&self, keep: &Path) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() && path != keep {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
}

/// The index a node serves from, swappable by a rebuild.
pub struct Handle {
    pub folders: Folders,
    live: RwLock<Arc<Live>>,
    /// Set while the serving index is not complete (new, or rebuilding
    /// after it was missing or corrupt): the page says so.
    pub incomplete: std::sync::atomic::AtomicBool,
}

impl Handle {
    /// Opens the current index, or a new empty one marked incomplete.
    pub fn open(data_dir: &Path) -> anyhow::Result<Handle> {
        let folders = Folders::new(data_dir);
        // A folder that opens is kept even before its first commit: the
        // server may be about to make it (this can be the CLI beside it).
        // One that does not open (corrupt, another schema) is replaced.
        let opened = folders.current().and_then(|f| match Live::open(&f) {
            Ok((live, committed)) => Some((live, committed)),
            Err(err) => {
                tracing::warn!(error = %err, folder = %f.display(), "search index unreadable: rebuilding");
                None
            }
        });
        let (live, complete) = match opened {
            Some(opened) => opened,
            None => {
                // Old folders are removed by the rebuild's swap, not here:
                // this may run before anything is known to be stale.
                let folder = folders.fresh();
                let (live, _) = Live::open(&folder)?;
                folders.make_current(&folder)?;
                (live, false)
            }
        };
        Ok(Handle {
            folders,
            live: RwLock::new(Arc::new(live)),
            incomplete: std::sync::atomic::AtomicBool::new(!complete),
        })
    }

    pub fn live(&self) -> Arc<Live> {
        self.live.read().expect("live lock").clone()
    }

    /// Serves from `next` from now on; the caller removes the old folder.
    pub fn swap(&self, next: Live) -> Arc<Live> {
        let mut guard = self.live.write().expect("live lock");
        std::mem::replace(&mut *guard, Arc::new(next))
    }

    pub fn is_incomplete(&self) -> bool {
        self.incomplete.load(std::sync::atomic::Ordering::Relaxed)
    }
}
