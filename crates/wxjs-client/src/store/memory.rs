//! [`MemoryStore`]: credentials in this process's memory. Clones share the same map, so several
//! caches in one process can stand in for instances sharing a store.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::Duration;

use super::{CredentialStore, Kind, Stored, wall_ms};
use crate::error::StoreError;

#[derive(Debug, Default)]
struct Maps {
    values: HashMap<(String, Kind), Stored>,
    leases: HashMap<(String, Kind), (String, u64)>,
}

/// An in-memory store.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    maps: Arc<Mutex<Maps>>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut Maps) -> R) -> R {
        f(&mut self.maps.lock())
    }
}

#[async_trait::async_trait]
impl CredentialStore for MemoryStore {
    async fn get(&self, app: &str, kind: Kind) -> Result<Option<Stored>, StoreError> {
        Ok(self.with(|m| m.values.get(&(app.to_owned(), kind)).cloned()))
    }

    async fn compare_and_set(
        &self,
        app: &str,
        kind: Kind,
        expected: Option<&str>,
        new: &Stored,
    ) -> Result<bool, StoreError> {
        Ok(self.with(|m| {
            let key = (app.to_owned(), kind);
            if m.values.get(&key).map(|s| s.value.as_str()) != expected {
                return false;
            }
            m.values.insert(key, new.clone());
            true
        }))
    }

    async fn compare_and_expire(
        &self,
        app: &str,
        kind: Kind,
        value: &str,
    ) -> Result<bool, StoreError> {
        Ok(
            self.with(|m| match m.values.get_mut(&(app.to_owned(), kind)) {
                Some(s) if s.value == value => {
                    s.expires_at = 0;
                    true
                }
                _ => false,
            }),
        )
    }

    async fn try_lease(
        &self,
        app: &str,
        kind: Kind,
        holder: &str,
        lifetime: Duration,
    ) -> Result<bool, StoreError> {
        let now = wall_ms();
        let until = now + u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX);
        Ok(self.with(|m| {
            let key = (app.to_owned(), kind);
            match m.leases.get(&key) {
                Some((h, u)) if *u > now && h != holder => false,
                _ => {
                    m.leases.insert(key, (holder.to_owned(), until));
                    true
                }
            }
        }))
    }

    async fn release_lease(&self, app: &str, kind: Kind, holder: &str) -> Result<(), StoreError> {
        self.with(|m| {
            let key = (app.to_owned(), kind);
            if m.leases.get(&key).is_some_and(|(h, _)| h == holder) {
                m.leases.remove(&key);
            }
        });
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}
