//! Persistence of the simulator's state to SQLite under `--data`, record by record.
//!
//! Each change a platform or control call makes is written — only the records it touched — in
//! one transaction before the call is answered, so an answer that says a change happened means
//! it is on disk: it survives `kill -9` (WAL, `synchronous = NORMAL`: durable against a crash of
//! the process; a power cut may lose the last transactions). Media bytes have their own table.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use rusqlite::{Connection, params};

use crate::state::{Change, State};

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
    /// The platform's payment keys could not be read or made.
    #[error(transparent)]
    Keys(#[from] crate::platform_keys::KeyError),
}

/// The store: one connection, used under its lock by the call that changed the state.
#[derive(Debug)]
pub struct Persister {
    conn: Mutex<Connection>,
    path: PathBuf,
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
         PRAGMA busy_timeout = 5000;
         CREATE TABLE IF NOT EXISTS records (
             tbl TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL,
             PRIMARY KEY (tbl, key)) WITHOUT ROWID;
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

/// Opens (creating if needed) the store under `dir` and reads what it holds. The single JSON
/// snapshot of earlier versions is carried over when it can be read, and dropped otherwise
/// (with a warning: it is a simulator's disposable state).
pub fn load(dir: &Path) -> Result<Loaded, PersistError> {
    std::fs::create_dir_all(dir).map_err(|source| PersistError::Dir {
        path: dir.to_owned(),
        source,
    })?;
    let path = dir.join(DB_FILE);
    let mut conn = open(&path)?;
    let sqlite = |source| PersistError::Sqlite {
        path: path.clone(),
        source,
    };
    let legacy = migrate_snapshot(&mut conn, &path).map_err(sqlite)?;
    let rows: Vec<(String, String, String)> = {
        let mut stmt = conn
            .prepare("SELECT tbl, key, json FROM records")
            .map_err(sqlite)?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(sqlite)?
            .collect::<Result<_, _>>()
            .map_err(sqlite)?
    };
    let state = if rows.is_empty() {
        legacy
    } else {
        let (state, bad) = State::from_records(rows);
        if !bad.is_empty() {
            tracing::warn!(path = %path.display(), records = ?bad, "stored records that this version cannot read were skipped");
        }
        Some(state)
    };
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
    Ok(Loaded {
        persister: Persister {
            conn: Mutex::new(conn),
            path,
        },
        state,
        media,
    })
}

/// Carries the one-blob snapshot of earlier versions over into records, once.
fn migrate_snapshot(conn: &mut Connection, path: &Path) -> rusqlite::Result<Option<State>> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'snapshot'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    let json: Option<String> = conn
        .query_row("SELECT json FROM snapshot WHERE id = 1", [], |r| r.get(0))
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let mut state = json.and_then(|j| match serde_json::from_str::<State>(&j) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "the stored state of an earlier wxjs cannot be read; starting afresh");
            None
        }
    });
    let tx = conn.transaction()?;
    if let Some(s) = state.as_mut() {
        write(&tx, &s.all_records())?;
    }
    tx.execute("DROP TABLE snapshot", [])?;
    tx.commit()?;
    Ok(state)
}

fn write(tx: &rusqlite::Transaction<'_>, changes: &[Change]) -> rusqlite::Result<()> {
    let mut upsert =
        tx.prepare_cached("INSERT OR REPLACE INTO records (tbl, key, json) VALUES (?1, ?2, ?3)")?;
    let mut delete = tx.prepare_cached("DELETE FROM records WHERE tbl = ?1 AND key = ?2")?;
    for c in changes {
        match &c.json {
            Some(json) => upsert.execute(params![c.table, c.key, json])?,
            None => delete.execute(params![c.table, c.key])?,
        };
    }
    Ok(())
}

impl Persister {
    fn conn(&self) -> parking_lot::MutexGuard<'_, Connection> {
        self.conn.lock()
    }

    fn run(
        &self,
        what: &str,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    ) -> bool {
        let mut conn = self.conn();
        let result = conn.transaction().and_then(|tx| {
            f(&tx)?;
            tx.commit()
        });
        match result {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(path = %self.path.display(), error = %e, what, "cannot persist the simulator's state");
                false
            }
        }
    }

    /// Makes the store refuse writes (`PRAGMA query_only`), as a full disk or a read-only
    /// volume would: for tests of what the simulator answers then.
    #[doc(hidden)]
    pub fn refuse_writes(&self, refuse: bool) {
        let on = if refuse { "ON" } else { "OFF" };
        let _ = self
            .conn()
            .execute_batch(&format!("PRAGMA query_only = {on};"));
    }

    /// Writes changed records, committed when this returns `true`.
    pub fn write(&self, changes: &[Change]) -> bool {
        changes.is_empty() || self.run("records", |tx| write(tx, changes))
    }

    /// Stores a medium's bytes.
    pub fn put_media(&self, id: &str, bytes: &Bytes) {
        let _ = self.run("media", |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO media (id, bytes) VALUES (?1, ?2)",
                params![id, bytes.as_ref()],
            )
            .map(drop)
        });
    }

    /// Removes media.
    pub fn delete_media(&self, ids: &[String]) {
        if !ids.is_empty() {
            let _ = self.run("media", |tx| {
                for id in ids {
                    tx.execute("DELETE FROM media WHERE id = ?1", params![id])?;
                }
                Ok(())
            });
        }
    }

    /// Removes everything.
    pub fn clear(&self) {
        let _ = self.run("reset", |tx| {
            tx.execute_batch("DELETE FROM records; DELETE FROM media;")
        });
    }
}
