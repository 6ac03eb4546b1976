//! Counters of the credential layer, read by the service's `/metrics`.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters; cheap to update from any task.
#[derive(Debug, Default)]
pub struct Metrics {
    calls: Mutex<BTreeMap<(&'static str, String), u64>>,
    refreshes: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    quota_blocks: AtomicU64,
    reads: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Platform calls by endpoint and outcome (`ok`, an errcode, `timeout`…).
    pub platform_calls: Vec<(String, String, u64)>,
    /// Refreshes by credential kind and outcome (`ok`, `adopted`, `failed`).
    pub refreshes: Vec<(String, String, u64)>,
    /// Times a quota error (45009/45011) stopped refreshes.
    pub quota_blocks: u64,
    /// Credential reads served.
    pub reads: u64,
}

impl Metrics {
    pub(crate) fn call(&self, endpoint: &'static str, outcome: String) {
        *self.calls.lock().entry((endpoint, outcome)).or_default() += 1;
    }

    pub(crate) fn refresh(&self, kind: &'static str, outcome: &'static str) {
        *self.refreshes.lock().entry((kind, outcome)).or_default() += 1;
    }

    pub(crate) fn quota_block(&self) {
        self.quota_blocks.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    /// A copy of the counters.
    #[must_use]
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            platform_calls: self
                .calls
                .lock()
                .iter()
                .map(|((e, o), n)| ((*e).to_owned(), o.clone(), *n))
                .collect(),
            refreshes: self
                .refreshes
                .lock()
                .iter()
                .map(|((k, o), n)| ((*k).to_owned(), (*o).to_owned(), *n))
                .collect(),
            quota_blocks: self.quota_blocks.load(Ordering::Relaxed),
            reads: self.reads.load(Ordering::Relaxed),
        }
    }
}
