//! Pages as sessions: every page the phone origin serves gets an id when its bridge script is
//! served (before the page's own scripts run, so a test that waited for the load finds it
//! listed), and stays open while it polls, until it reports that it is going away (`pagehide`).
//! Automation addresses a page by id, or else the top-level page loaded most recently among the
//! open ones.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::miniprogram::Environment;

/// A page that has not polled for this long is gone. It polls every 100 ms, and says when it
/// goes away; the margin is for tabs the browser throttles (hidden for minutes, a chained timer
/// runs about once a minute) and for a paused debugger.
pub const OPEN_FOR: Duration = Duration::from_secs(150);

/// A page whose bridge script was served but that never polled (a second copy of the script on
/// one page, or a script fetched by something that is not a page) counts for this long only.
pub const FIRST_POLL_WITHIN: Duration = Duration::from_secs(3);

/// Pages remembered at once: closed ones go first, then the oldest loaded.
pub const PAGES_KEPT: usize = 1000;

/// One open page, as `GET /__wxjs/pages` lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PageInfo {
    /// The page's id (the bridge's session).
    pub id: String,
    /// Where the page is now.
    pub url: String,
    /// Its `document.title`.
    pub title: String,
}

#[derive(Debug, Clone)]
struct Page {
    info: PageInfo,
    /// Order of loading.
    loaded: u64,
    seen: Instant,
    /// It has polled at least once.
    polled: bool,
    /// It is a frame inside another page: listed and addressed only by id.
    frame: bool,
    /// Where it was loaded: a web view, or a mini program's `<web-view>`.
    environment: Environment,
}

impl Page {
    fn is_open(&self) -> bool {
        let limit = if self.polled {
            OPEN_FOR
        } else {
            FIRST_POLL_WITHIN
        };
        self.seen.elapsed() < limit
    }
}

/// The pages of the phone origin.
#[derive(Debug, Default)]
pub struct Pages {
    pages: HashMap<String, Page>,
    loads: u64,
    /// Pages that said they went away: a poll of theirs still on its way (sent before
    /// `pagehide`, answered after it) must not bring them back as the newest page — only a
    /// page restored from the back-forward cache, which says so, comes back.
    closed: std::collections::HashSet<String>,
}

impl Pages {
    fn insert(&mut self, id: String, url: &str, environment: Environment) {
        if self.pages.len() >= PAGES_KEPT {
            self.pages.retain(|_, p| p.is_open());
        }
        if self.pages.len() >= PAGES_KEPT
            && let Some(oldest) = self
                .pages
                .values()
                .min_by_key(|p| p.loaded)
                .map(|p| p.info.id.clone())
        {
            self.pages.remove(&oldest);
        }
        self.loads += 1;
        self.pages.insert(
            id.clone(),
            Page {
                info: PageInfo {
                    id,
                    url: url.to_owned(),
                    title: String::new(),
                },
                loaded: self.loads,
                seen: Instant::now(),
                polled: false,
                frame: false,
                environment,
            },
        );
    }

    /// A page is loading (its bridge script is being served) in `environment`: a new id.
    pub fn open(&mut self, url: &str, environment: Environment) -> String {
        let id = format!("p{}{}", self.loads + 1, wxjs_sign::nonce_of_len(6));
        self.insert(id.clone(), url, environment);
        id
    }

    /// Where page `id` was loaded, and whether it is a frame, if it is known.
    #[must_use]
    pub fn environment(&self, id: &str) -> Option<(Environment, bool)> {
        self.pages.get(id).map(|p| (p.environment, p.frame))
    }

    /// The page `id` polled; it reports where it is now when that changed, whether it is a
    /// frame, and whether it was just restored from the back-forward cache (`restored`). A page
    /// this registry does not know (open across a restart of the phone, or forgotten) is taken
    /// in as loaded now; a page that went away only when it says it was restored.
    pub fn seen(
        &mut self,
        id: &str,
        url: Option<&str>,
        title: Option<&str>,
        frame: bool,
        environment: Environment,
        restored: bool,
    ) {
        if id.is_empty() || id.len() > 64 {
            return;
        }
        if self.closed.contains(id) {
            if !restored {
                return;
            }
            self.closed.remove(id);
        }
        if !self.pages.contains_key(id) {
            self.insert(id.to_owned(), url.unwrap_or(""), environment);
        }
        if let Some(p) = self.pages.get_mut(id) {
            p.seen = Instant::now();
            p.polled = true;
            p.frame = frame;
            if let Some(url) = url {
                url.clone_into(&mut p.info.url);
            }
            if let Some(title) = title {
                title.clone_into(&mut p.info.title);
            }
        }
    }

    /// The page `id` is going away.
    pub fn close(&mut self, id: &str) {
        self.pages.remove(id);
        if id.is_empty() || id.len() > 64 {
            return;
        }
        if self.closed.len() >= PAGES_KEPT {
            self.closed.clear();
        }
        self.closed.insert(id.to_owned());
    }

    /// Whether `id` is an open page.
    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.pages.get(id).is_some_and(Page::is_open)
    }

    /// The open pages, in the order they were loaded (frames inside them are not listed).
    #[must_use]
    pub fn list(&self) -> Vec<PageInfo> {
        let mut open: Vec<&Page> = self
            .pages
            .values()
            .filter(|p| p.is_open() && !p.frame)
            .collect();
        open.sort_by_key(|p| p.loaded);
        open.into_iter().map(|p| p.info.clone()).collect()
    }

    /// The open top-level page loaded most recently: where unaddressed automation goes.
    #[must_use]
    pub fn newest(&self) -> Option<&str> {
        self.pages
            .values()
            .filter(|p| p.is_open() && !p.frame)
            .max_by_key(|p| p.loaded)
            .map(|p| p.info.id.as_str())
    }

    /// Whether automation addressed to `to` (`None`: the newest page) is for page `id`.
    #[must_use]
    pub fn addressed(&self, to: Option<&str>, id: &str) -> bool {
        match to {
            Some(to) => to == id,
            // When no page is known (a page whose script came from elsewhere), whoever asks.
            None => self.newest().is_none_or(|newest| newest == id),
        }
    }

    /// Whether automation addressed to `to` can still be taken: unaddressed, or for a page
    /// that is open. Automation for a page that went away is dropped.
    #[must_use]
    pub fn deliverable(&self, to: Option<&str>) -> bool {
        to.is_none_or(|id| self.contains(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unaddressed_automation_goes_to_the_newest_open_page() {
        let mut pages = Pages::default();
        let a = pages.open("http://localhost/a", Environment::Webview);
        let b = pages.open("http://localhost/b", Environment::Webview);
        assert_eq!(pages.newest(), Some(b.as_str()));
        assert!(pages.addressed(None, &b));
        assert!(!pages.addressed(None, &a));
        assert!(pages.addressed(Some(&a), &a));
        assert!(!pages.addressed(Some(&a), &b));
        pages.seen(
            &a,
            Some("http://localhost/a#x"),
            Some("A"),
            false,
            Environment::Webview,
            false,
        );
        let listed = pages.list();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].url, "http://localhost/a#x");
        assert_eq!(listed[0].title, "A");
        assert_eq!(listed[1].id, b);
    }

    /// Review of the first version: a frame with the bridge (loaded after its parent) took the
    /// parent's unaddressed automation; a page that left stayed addressable.
    #[test]
    fn frames_and_pages_that_left_took_automation() {
        let mut pages = Pages::default();
        let top = pages.open("http://localhost/", Environment::Webview);
        let frame = pages.open("http://localhost/frame.html", Environment::Webview);
        pages.seen(&top, None, None, false, Environment::Webview, false);
        pages.seen(&frame, None, None, true, Environment::Webview, false);
        assert_eq!(pages.newest(), Some(top.as_str()));
        assert_eq!(pages.list().len(), 1);
        assert!(pages.contains(&frame), "a frame is still addressable by id");
        pages.close(&top);
        assert!(!pages.contains(&top));
        assert!(!pages.deliverable(Some(&top)));
        assert!(pages.deliverable(None));
        // Back from the back-forward cache: it polls again, says so, and is a page again.
        pages.seen(
            &top,
            Some("http://localhost/"),
            None,
            false,
            Environment::Webview,
            true,
        );
        assert_eq!(pages.newest(), Some(top.as_str()));
    }

    /// The flake of the payment tests: the page that navigated away had a poll on its way when
    /// it said it was leaving; answered after the leave, that poll took the page back in as the
    /// newest, and the next page's unaddressed payment answer went to the page that was gone.
    #[test]
    fn a_late_poll_brought_a_closed_page_back_as_the_newest() {
        let mut pages = Pages::default();
        let old = pages.open("http://localhost/a", Environment::Webview);
        pages.seen(&old, None, None, false, Environment::Webview, false);
        pages.close(&old);
        let new = pages.open("http://localhost/b", Environment::Webview);
        pages.seen(&old, None, None, false, Environment::Webview, false);
        assert!(!pages.contains(&old));
        assert_eq!(pages.newest(), Some(new.as_str()));
        assert!(pages.addressed(None, &new));
    }

    #[test]
    fn the_registry_is_bounded_and_forgets_closed_pages_first() {
        let mut pages = Pages::default();
        let first = pages.open("u", Environment::Webview);
        pages.seen(&first, None, None, false, Environment::Webview, false);
        for _ in 0..PAGES_KEPT {
            pages.open("u", Environment::Webview);
        }
        assert_eq!(pages.pages.len(), PAGES_KEPT);
        assert!(!pages.contains(&first), "all were open: the oldest went");
        let mut pages = Pages::default();
        let keep = pages.open("u", Environment::Webview);
        pages.seen(&keep, None, None, false, Environment::Webview, false);
        let long_ago = Instant::now()
            .checked_sub(FIRST_POLL_WITHIN * 2)
            .expect("a monotonic clock this far along");
        for _ in 0..PAGES_KEPT - 1 {
            let id = pages.open("u", Environment::Webview);
            // Served but never polled, long ago: gone.
            pages.pages.get_mut(&id).expect("just opened").seen = long_ago;
        }
        for _ in 0..10 {
            pages.open("u", Environment::Webview);
        }
        assert!(pages.contains(&keep), "pages that were gone went first");
        assert_eq!(pages.pages.len(), 11);
    }
}
