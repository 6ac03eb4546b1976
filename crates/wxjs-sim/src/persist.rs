//! Persistence of the simulator's state to SQLite under `--data`.
//!
//! The state is small and changes on most calls, so it is stored as one JSON snapshot; media
//! bytes go to their own table. A dedicated thread owns the connection: handlers only send the
//! latest snapshot over a channel, and the thread writes the newest one it has, so a burst of
//! calls costs one write.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use bytes::Bytes;
use rusqlite::{Connection, params};

use crate::state::State;

/// The database file's name under the data directory.
pub const DB_FILE: &str = "sim.sqlite3";

/// Why the store cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersistError {
    /// The directory could not be made.
    #[error("cannot create {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("sqlite {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The stored snapshot is not a state this version can read.
    #[error("{path}: stored state is unreadable ({message}); move the file away to start afresh")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },
}

enum Msg {
    Snapshot(String),
    PutMedia(String, Bytes),
    DeleteMedia(Vec<String>),
    ClearMedia,
}

/// The writer: a channel to the thread that owns the SQLite connection.
#[derive(Debug)]
pub struct Persister {
    tx: Option<mpsc::Sender<Msg>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

fn open(path: &Path) -> Result<Connection, PersistError> {
    let sqlite = |source| PersistError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open(path).map_err(sqlite)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS media (id TEXT PRIMARY KEY, bytes BLOB NOT NULL);",
    )
    .map_err(sqlite)?;
    Ok(conn)
}

/// What a data directory holds, and the writer for it.
#[derive(Debug)]
pub struct Loaded {
    /// Writes further changes.
    pub persister: Persister,
    /// The stored state, if any.
    pub state: Option<State>,
    /// The stored media bytes by id.
    pub media: HashMap<String, Bytes>,
}

/// Opens (creating if needed) the store under `dir` and reads what it holds.
pub fn load(dir: &Path) -> Result<Loaded, PersistError> {
    std::fs::create_dir_all(dir).map_err(|source| PersistError::Dir {
        path: dir.to_owned(),
        source,
    })?;
    let path = dir.join(DB_FILE);
    let conn = open(&path)?;
    let sqlite = |source| PersistError::Sqlite {
        path: path.clone(),
        source,
    };
    let json: Option<String> = conn
        .query_row("SELECT json FROM snapshot WHERE id = 1", [], |r| r.get(0))
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(sqlite)?;
    let state = json
        .map(|j| serde_json::from_str::<State>(&j))
        .transpose()
        .map_err(|e| PersistError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
    let mut media = HashMap::new();
    {
        let mut stmt = conn
            .prepare("SELECT id, bytes FROM media")
            .map_err(sqlite)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(sqlite)?;
        for row in rows {
            let (id, bytes) = row.map_err(sqlite)?;
            media.insert(id, Bytes::from(bytes));
        }
    }
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("wxjs-sim-persist".into())
        .spawn(move || writer(conn, &rx, &path))
        .map_err(|source| PersistError::Dir {
            path: dir.to_owned(),
            source,
        })?;
    Ok(Loaded {
        persister: Persister {
            tx: Some(tx),
            thread: Some(thread),
        },
        state,
        media,
    })
}

fn writer(mut conn: Connection, rx: &mpsc::Receiver<Msg>, path: &Path) {
    while let Ok(first) = rx.recv() {
        // Take everything queued; only the newest snapshot matters.
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let last_snapshot = batch.iter().rposition(|m| matches!(m, Msg::Snapshot(_)));
        let result = (|| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            for (i, msg) in batch.into_iter().enumerate() {
                match msg {
                    Msg::Snapshot(json) if Some(i) == last_snapshot => {
                        tx.execute(
                            "INSERT OR REPLACE INTO snapshot (id, json) VALUES (1, ?1)",
                            params![json],
                        )?;
                    }
                    Msg::Snapshot(_) => {}
                    Msg::PutMedia(id, bytes) => {
                        tx.execute(
                            "INSERT OR REPLACE INTO media (id, bytes) VALUES (?1, ?2)",
                            params![id, bytes.as_ref()],
                        )?;
                    }
                    Msg::DeleteMedia(ids) => {
                        for id in ids {
                            tx.execute("DELETE FROM media WHERE id = ?1", params![id])?;
                        }
                    }
                    Msg::ClearMedia => {
                        tx.execute("DELETE FROM media", [])?;
                    }
                }
            }
            tx.commit()
        })();
        if let Err(e) = result {
            tracing::error!(path = %path.display(), error = %e, "cannot persist the simulator's state");
        }
    }
}

impl Persister {
    /// Queues the state's snapshot.
    pub fn snapshot(&self, json: String) {
        self.send(Msg::Snapshot(json));
    }

    /// Queues a medium's bytes.
    pub fn put_media(&self, id: String, bytes: Bytes) {
        self.send(Msg::PutMedia(id, bytes));
    }

    /// Queues the removal of media.
    pub fn delete_media(&self, ids: Vec<String>) {
        if !ids.is_empty() {
            self.send(Msg::DeleteMedia(ids));
        }
    }

    /// Queues the removal of all media.
    pub fn clear_media(&self) {
        self.send(Msg::ClearMedia);
    }

    fn send(&self, msg: Msg) {
        if let Some(tx) = &self.tx {
            // The writer only stops when this side closes, so sending cannot fail before.
            let _ = tx.send(msg);
        }
    }

    /// Writes what is queued and stops the writer.
    pub fn close(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Persister {
    fn drop(&mut self) {
        self.close();
    }
}
