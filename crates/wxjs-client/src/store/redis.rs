//! [`RedisStore`]: credentials in Redis, shared by every instance that points at it. Keys are
//! namespaced by account and environment (`wxjs:{env}:{appId}:{kind}`); the conditional writes
//! and the lease release are Lua scripts, atomic on the server.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{CredentialStore, Kind, Stored, key};
use crate::error::StoreError;

/// Sets the hash only if its `value` is ARGV[1] ("" = absent). Keeps the key a day past expiry.
const CAS: &str = r"
local cur = redis.call('HGET', KEYS[1], 'value')
if (ARGV[1] == '' and not cur) or (cur and cur == ARGV[1] and ARGV[1] ~= '') then
  redis.call('HSET', KEYS[1], 'value', ARGV[2], 'fetched_at', ARGV[3], 'expires_at', ARGV[4])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
  return 1
end
return 0";

/// Sets `expires_at` to 0 only if `value` is ARGV[1].
const CAE: &str = r"
if redis.call('HGET', KEYS[1], 'value') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'expires_at', 0)
  return 1
end
return 0";

/// Deletes the lease only if ARGV[1] holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// A Redis store.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    namespace: String,
    env: String,
    cas: std::sync::Arc<redis::Script>,
    cae: std::sync::Arc<redis::Script>,
    release: std::sync::Arc<redis::Script>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: leave it out.
        f.debug_struct("RedisStore")
            .field("namespace", &self.namespace)
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

fn err(e: &redis::RedisError) -> StoreError {
    StoreError::new(format!("redis: {}", e.kind_display()))
}

trait KindDisplay {
    fn kind_display(&self) -> String;
}

impl KindDisplay for redis::RedisError {
    fn kind_display(&self) -> String {
        // Redis errors may echo the URL; keep category and detail only.
        match self.detail() {
            Some(d) => format!("{:?}: {d}", self.kind()),
            None => format!("{:?}", self.kind()),
        }
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`); keys are `{namespace}:{env}:{appId}:{kind}`.
    pub async fn connect(url: &str, namespace: &str, env: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|_| {
            StoreError::new(format!(
                "the Redis URL is not one ({})",
                super::REDIS_URL_FORMS
            ))
        })?;
        // Where, without a password the URL may hold.
        let at = client.get_connection_info().addr.to_string();
        let failed = |e: &redis::RedisError| {
            let why = if e.is_connection_refusal() {
                "connection refused (is Redis running there?)".to_owned()
            } else if e.is_timeout() {
                "no answer within 3 s".to_owned()
            } else {
                e.kind_display()
            };
            StoreError::new(format!("redis at {at}: {why}"))
        };
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(3))
            .set_response_timeout(Duration::from_secs(3))
            .set_number_of_retries(3)
            // Reconnect after 100 ms, 200 ms, 400 ms: a refresh must not wait on a dead server
            // longer than a platform call would.
            .set_factor(50)
            .set_exponent_base(2)
            .set_max_delay(1000);
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| failed(&e))?;
        Ok(Self {
            conn,
            namespace: namespace.to_owned(),
            env: env.to_owned(),
            cas: std::sync::Arc::new(redis::Script::new(CAS)),
            cae: std::sync::Arc::new(redis::Script::new(CAE)),
            release: std::sync::Arc::new(redis::Script::new(RELEASE)),
        })
    }

    fn key(&self, app: &str, kind: Kind) -> String {
        key(&self.namespace, &self.env, app, kind)
    }
}

#[async_trait::async_trait]
impl CredentialStore for RedisStore {
    async fn get(&self, app: &str, kind: Kind) -> Result<Option<Stored>, StoreError> {
        let mut c = self.conn.clone();
        let (value, fetched_at, expires_at): (Option<String>, Option<u64>, Option<u64>) =
            redis::cmd("HMGET")
                .arg(self.key(app, kind))
                .arg("value")
                .arg("fetched_at")
                .arg("expires_at")
                .query_async(&mut c)
                .await
                .map_err(|e| err(&e))?;
        Ok(value.map(|value| Stored {
            value,
            fetched_at: fetched_at.unwrap_or(0),
            expires_at: expires_at.unwrap_or(0),
        }))
    }

    async fn compare_and_set(
        &self,
        app: &str,
        kind: Kind,
        expected: Option<&str>,
        new: &Stored,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn.clone();
        let keep = new.lifetime() + 86_400;
        let wrote: i64 = self
            .cas
            .key(self.key(app, kind))
            .arg(expected.unwrap_or(""))
            .arg(&new.value)
            .arg(new.fetched_at)
            .arg(new.expires_at)
            .arg(keep)
            .invoke_async(&mut c)
            .await
            .map_err(|e| err(&e))?;
        Ok(wrote == 1)
    }

    async fn compare_and_expire(
        &self,
        app: &str,
        kind: Kind,
        value: &str,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn.clone();
        let done: i64 = self
            .cae
            .key(self.key(app, kind))
            .arg(value)
            .invoke_async(&mut c)
            .await
            .map_err(|e| err(&e))?;
        Ok(done == 1)
    }

    async fn try_lease(
        &self,
        app: &str,
        kind: Kind,
        holder: &str,
        lifetime: Duration,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn.clone();
        let ms = u64::try_from(lifetime.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{}:lease", self.key(app, kind)))
            .arg(holder)
            .arg("NX")
            .arg("PX")
            .arg(ms)
            .query_async(&mut c)
            .await
            .map_err(|e| err(&e))?;
        Ok(set.is_some())
    }

    async fn release_lease(&self, app: &str, kind: Kind, holder: &str) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        let _: i64 = self
            .release
            .key(format!("{}:lease", self.key(app, kind)))
            .arg(holder)
            .invoke_async(&mut c)
            .await
            .map_err(|e| err(&e))?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut c)
            .await
            .map_err(|e| err(&e))?;
        let _: Option<String> = c.get("wxjs:ping").await.map_err(|e| err(&e))?;
        Ok(())
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}
