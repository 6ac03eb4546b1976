//! [`SqliteStore`]: credentials in a SQLite file, the embedded default. Survives a restart, and
//! several processes may share the file (WAL, busy timeout, `BEGIN IMMEDIATE` for every
//! read-modify-write).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{CredentialStore, Kind, Stored, key, wall_ms};
use crate::error::StoreError;

/// A SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    env: String,
}

fn err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::caused_by(format!("sqlite: {e}"), e)
}

impl SqliteStore {
    /// Opens (creating) the database at `path`; keys are namespaced by `env`.
    pub fn open(path: &Path, env: &str) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::caused_by(format!("sqlite: {}: {e}", dir.display()), e))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError::caused_by(format!("sqlite: {}: {e}", path.display()), e))?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS credentials (
                 key TEXT PRIMARY KEY, value TEXT NOT NULL, fetched_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS leases (
                 key TEXT PRIMARY KEY, holder TEXT NOT NULL, until_ms INTEGER NOT NULL);",
        )
        .map_err(err)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_owned(),
            env: env.to_owned(),
        })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn key(&self, app: &str, kind: Kind) -> String {
        key("wxjs", &self.env, app, kind)
    }

    /// Runs `f` on the connection on a blocking thread.
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> Result<R, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn.lock();
            f(&mut c)
        })
        .await
        .map_err(err)?
        .map_err(err)
    }
}

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn u64_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait::async_trait]
impl CredentialStore for SqliteStore {
    async fn get(&self, app: &str, kind: Kind) -> Result<Option<Stored>, StoreError> {
        let key = self.key(app, kind);
        self.run(move |c| {
            c.query_row(
                "SELECT value, fetched_at, expires_at FROM credentials WHERE key = ?1",
                params![key],
                |r| {
                    Ok(Stored {
                        value: r.get(0)?,
                        fetched_at: u64_of(r.get(1)?),
                        expires_at: u64_of(r.get(2)?),
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn compare_and_set(
        &self,
        app: &str,
        kind: Kind,
        expected: Option<&str>,
        new: &Stored,
    ) -> Result<bool, StoreError> {
        let key = self.key(app, kind);
        let expected = expected.map(str::to_owned);
        let new = new.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: Option<String> = tx
                .query_row("SELECT value FROM credentials WHERE key = ?1", params![key], |r| r.get(0))
                .optional()?;
            if current != expected {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO credentials (key, value, fetched_at, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at",
                params![key, new.value, i64_of(new.fetched_at), i64_of(new.expires_at)],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn compare_and_expire(
        &self,
        app: &str,
        kind: Kind,
        value: &str,
    ) -> Result<bool, StoreError> {
        let key = self.key(app, kind);
        let value = value.to_owned();
        self.run(move |c| {
            let n = c.execute(
                "UPDATE credentials SET expires_at = 0 WHERE key = ?1 AND value = ?2",
                params![key, value],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn try_lease(
        &self,
        app: &str,
        kind: Kind,
        holder: &str,
        lifetime: Duration,
    ) -> Result<bool, StoreError> {
        let key = self.key(app, kind);
        let holder = holder.to_owned();
        let now = wall_ms();
        let until = now + u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX);
        self.run(move |c| {
            let n = c.execute(
                "INSERT INTO leases (key, holder, until_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
                 WHERE leases.until_ms <= ?4 OR leases.holder = excluded.holder",
                params![key, holder, i64_of(until), i64_of(now)],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn release_lease(&self, app: &str, kind: Kind, holder: &str) -> Result<(), StoreError> {
        let key = self.key(app, kind);
        let holder = holder.to_owned();
        self.run(move |c| {
            c.execute(
                "DELETE FROM leases WHERE key = ?1 AND holder = ?2",
                params![key, holder],
            )
            .map(|_| ())
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.run(|c| {
            c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                .map(|_| ())
        })
        .await
    }

    fn name(&self) -> &'static str {
        "sqlite"
    }
}
