//! [`Sim`]: the simulated platform's shared handle — accounts, clock, state, media bytes and
//! persistence — used by the HTTP routes and, in the same process, by the emulated client.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};

use bytes::Bytes;
use wxjs_platform::ticket::TicketType;

use crate::clock::SimClock;
use crate::config::{Account, SimConfig, User};
use crate::persist::{self, PersistError, Persister};
use crate::platform_keys::PlatformKeys;
use crate::state::{State, TicketRec};

tokio::task_local! {
    /// Set when a change made while serving the current request could not be written.
    pub(crate) static UNPERSISTED: std::cell::Cell<bool>;
}

/// The simulated platform. Cheap to clone; clones share everything.
#[derive(Clone, Debug)]
pub struct Sim {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clock: SimClock,
    accounts: Vec<Account>,
    users: Vec<User>,
    state: Mutex<State>,
    media: Mutex<HashMap<String, Bytes>>,
    persister: Mutex<Option<Persister>>,
    keys: PlatformKeys,
    /// Run after each [`Sim::reset`], before it returns.
    reset_hooks: Mutex<ResetHooks>,
}

#[derive(Default, Clone)]
struct ResetHooks(Vec<ResetHook>);

impl std::fmt::Debug for ResetHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} reset hooks", self.0.len())
    }
}

/// Something to do when the simulator forgets everything: what others hold of its state
/// (a credential cache in the same process) is stale from then on.
pub type ResetHook =
    Arc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync>;

impl Sim {
    /// A simulator for `config`, in memory only, or persisted under `data_dir` (restoring what is
    /// stored there).
    pub fn new(config: &SimConfig, data_dir: Option<&Path>) -> Result<Self, PersistError> {
        let clock = SimClock::new();
        let keys = match data_dir {
            Some(dir) => PlatformKeys::load_or_generate(dir)?,
            None => PlatformKeys::fixed(),
        };
        let (persister, state, mut media) = match data_dir {
            Some(dir) => {
                let loaded = persist::load(dir)?;
                (
                    Some(loaded.persister),
                    loaded.state.unwrap_or_default(),
                    loaded.media,
                )
            }
            None => (None, State::default(), HashMap::new()),
        };
        clock.set_offset(state.clock_offset());
        // Bytes whose record is gone (a crash between the two deletes) are dropped.
        let orphans: Vec<String> = media
            .keys()
            .filter(|id| !state.has_media(id))
            .cloned()
            .collect();
        for id in &orphans {
            media.remove(id);
        }
        if let Some(p) = &persister {
            p.delete_media(&orphans);
        }
        Ok(Self {
            inner: Arc::new(Inner {
                clock,
                accounts: config.accounts(),
                users: config.users(),
                state: Mutex::new(state),
                media: Mutex::new(media),
                persister: Mutex::new(persister),
                reset_hooks: Mutex::default(),
                keys,
            }),
        })
    }

    /// Makes the store refuse writes, as a full disk would (tests).
    #[doc(hidden)]
    pub fn refuse_writes(&self, refuse: bool) {
        if let Some(p) = self.inner.persister.lock().as_ref() {
            p.refuse_writes(refuse);
        }
    }

    /// The platform's WeChat Pay v3 keys.
    #[must_use]
    pub fn platform_keys(&self) -> &PlatformKeys {
        &self.inner.keys
    }

    /// The simulator's clock.
    #[must_use]
    pub fn clock(&self) -> &SimClock {
        &self.inner.clock
    }

    /// Now, on the simulator's clock.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// All accounts.
    #[must_use]
    pub fn accounts(&self) -> &[Account] {
        &self.inner.accounts
    }

    /// One account.
    #[must_use]
    pub fn account(&self, app_id: &str) -> Option<&Account> {
        self.inner.accounts.iter().find(|a| a.app_id == app_id)
    }

    /// The simulated users.
    #[must_use]
    pub fn users(&self) -> &[User] {
        &self.inner.users
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state as consistent as each step made it.
        self.inner.state.lock()
    }

    /// Runs `f` on the state at the current time, then writes the records it changed: when
    /// this returns, the change is on disk (with `--data`).
    pub fn update<R>(&self, f: impl FnOnce(&mut State, u64) -> R) -> R {
        let now = self.now();
        let mut state = self.lock();
        let result = f(&mut state, now);
        let expired = state.prune(now);
        state.set_clock_offset(self.inner.clock.offset());
        {
            let persister = self.inner.persister.lock();
            match persister.as_ref() {
                // Written under the state's lock, so the store sees changes in their order.
                Some(p) => {
                    let changes = state.take_changes();
                    if !p.write(&changes) {
                        // Not on disk: written again with the next change, and the request
                        // that made it is not answered as done (see `routes::durable`).
                        state.restore_changes(&changes);
                        let _ = UNPERSISTED.try_with(|c| c.set(true));
                    }
                }
                None => state.settle(),
            }
        }
        drop(state);
        if !expired.is_empty() {
            let mut media = self.inner.media.lock();
            for id in &expired {
                media.remove(id);
            }
            drop(media);
            if let Some(p) = self.inner.persister.lock().as_ref() {
                p.delete_media(&expired);
            }
        }
        result
    }

    /// Reads the state at the current time.
    pub fn read<R>(&self, f: impl FnOnce(&State, u64) -> R) -> R {
        let now = self.now();
        f(&self.lock(), now)
    }

    /// The account's current ticket of a type, if one is valid now.
    #[must_use]
    pub fn current_ticket(&self, app_id: &str, kind: TicketType) -> Option<TicketRec> {
        self.read(|s, now| s.current_ticket(app_id, kind, now).cloned())
    }

    /// The account's earlier tickets of a type, newest first.
    #[must_use]
    pub fn previous_tickets(&self, app_id: &str, kind: TicketType) -> Vec<String> {
        self.read(|s, _| s.previous_tickets(app_id, kind).to_vec())
    }

    /// Stores a medium's bytes.
    pub fn put_media_bytes(&self, id: &str, bytes: Bytes) {
        self.inner.media.lock().insert(id.to_owned(), bytes.clone());
        if let Some(p) = self.inner.persister.lock().as_ref() {
            p.put_media(id, &bytes);
        }
    }

    /// A medium's bytes.
    #[must_use]
    pub fn media_bytes(&self, id: &str) -> Option<Bytes> {
        self.inner.media.lock().get(id).cloned()
    }

    /// Forgets everything: tokens, tickets, quotas, stats, faults, codes, media, and the clock's
    /// offset; then runs the hooks given to [`Sim::on_reset`].
    pub async fn reset(&self) {
        {
            let mut state = self.lock();
            self.inner.clock.set_offset(0);
            self.inner.media.lock().clear();
            let seq = state.notification_seq();
            *state = State::default();
            // Ids of notifications still being delivered must not name new ones.
            state.continue_notifications_after(seq);
            if let Some(p) = self.inner.persister.lock().as_ref() {
                p.clear();
            }
        }
        let hooks = self.inner.reset_hooks.lock().clone();
        for hook in hooks.0 {
            hook().await;
        }
    }

    /// Runs `hook` after every [`Sim::reset`], before the reset answers: `wxjs dev` empties the
    /// service's credential cache there, whose tokens and tickets the simulator just forgot.
    pub fn on_reset(&self, hook: ResetHook) {
        self.inner.reset_hooks.lock().0.push(hook);
    }

    /// Stops persisting (every change is already on disk). Call once serving has stopped.
    pub fn close(&self) {
        drop(self.inner.persister.lock().take());
    }
}
