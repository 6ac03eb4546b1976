//! Pages as sessions: every page the phone origin serves gets an id when its bridge script is
//! served (before the page's own scripts run, so a test that waited for the load finds it
//! listed), and stays open while it polls. Automation addresses a page by id, or else the page
//! loaded most recently among the open ones.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

/// A page that has not polled for this long is gone (it polls every 100 ms; background tabs
/// are throttled to about once a second).
pub const OPEN_FOR: Duration = Duration::from_secs(5);

/// Pages remembered at once (the oldest loaded go first).
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
}

/// The pages of the phone origin.
#[derive(Debug, Default)]
pub struct Pages {
    pages: HashMap<String, Page>,
    loads: u64,
}

impl Pages {
    /// A page is loading (its bridge script is being served): a new id for it.
    pub fn open(&mut self, url: &str) -> String {
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
        let id = format!("p{}{}", self.loads, wxjs_sign::nonce_of_len(6));
        self.pages.insert(
            id.clone(),
            Page {
                info: PageInfo {
                    id: id.clone(),
                    url: url.to_owned(),
                    title: String::new(),
                },
                loaded: self.loads,
                seen: Instant::now(),
            },
        );
        id
    }

    /// The page `id` polled; it reports where it is now, when that changed.
    pub fn seen(&mut self, id: &str, url: Option<&str>, title: Option<&str>) {
        if let Some(p) = self.pages.get_mut(id) {
            p.seen = Instant::now();
            if let Some(url) = url {
                url.clone_into(&mut p.info.url);
            }
            if let Some(title) = title {
                title.clone_into(&mut p.info.title);
            }
        }
    }

    fn is_open(p: &Page) -> bool {
        p.seen.elapsed() < OPEN_FOR
    }

    /// Whether `id` is an open page.
    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.pages.get(id).is_some_and(Self::is_open)
    }

    /// The open pages, in the order they were loaded.
    #[must_use]
    pub fn list(&self) -> Vec<PageInfo> {
        let mut open: Vec<&Page> = self.pages.values().filter(|p| Self::is_open(p)).collect();
        open.sort_by_key(|p| p.loaded);
        open.into_iter().map(|p| p.info.clone()).collect()
    }

    /// The open page loaded most recently: where unaddressed automation goes.
    #[must_use]
    pub fn newest(&self) -> Option<&str> {
        self.pages
            .values()
            .filter(|p| Self::is_open(p))
            .max_by_key(|p| p.loaded)
            .map(|p| p.info.id.as_str())
    }

    /// Whether automation addressed to `to` (`None`: the newest page) is for page `id`.
    #[must_use]
    pub fn addressed(&self, to: Option<&str>, id: &str) -> bool {
        match to {
            Some(to) => to == id,
            // A page the registry never saw (its bridge script came from elsewhere) takes
            // unaddressed automation only when no page is known.
            None => self.newest().is_none_or(|newest| newest == id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unaddressed_automation_goes_to_the_newest_open_page() {
        let mut pages = Pages::default();
        let a = pages.open("http://localhost/a");
        let b = pages.open("http://localhost/b");
        assert_eq!(pages.newest(), Some(b.as_str()));
        assert!(pages.addressed(None, &b));
        assert!(!pages.addressed(None, &a));
        assert!(pages.addressed(Some(&a), &a));
        assert!(!pages.addressed(Some(&a), &b));
        pages.seen(&a, Some("http://localhost/a#x"), Some("A"));
        let listed = pages.list();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].url, "http://localhost/a#x");
        assert_eq!(listed[0].title, "A");
        assert_eq!(listed[1].id, b);
    }

    #[test]
    fn the_registry_is_bounded() {
        let mut pages = Pages::default();
        let first = pages.open("u");
        for _ in 0..PAGES_KEPT {
            pages.open("u");
        }
        assert_eq!(pages.pages.len(), PAGES_KEPT);
        assert!(!pages.contains(&first));
    }
}
