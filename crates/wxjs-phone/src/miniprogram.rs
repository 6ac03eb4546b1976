//! The mini program around a page in its `<web-view>` (`{"environment":"miniprogram"}`): the
//! host's page stack that `wx.miniProgram.navigateTo` & co. change, and the messages
//! `postMessage` leaves for it — delivered, as the real host delivers them, only when the user
//! goes back, shares, or the web-view is destroyed.

use serde::Serialize;
use serde_json::{Value, json};

/// Where the page runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A WeChat web view (the default).
    #[default]
    Webview,
    /// A mini program's `<web-view>`.
    Miniprogram,
}

impl Environment {
    /// Reads `webview` or `miniprogram`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webview" => Some(Self::Webview),
            "miniprogram" => Some(Self::Miniprogram),
            _ => None,
        }
    }
}

/// The mini-program page that holds the `<web-view>`.
pub const WEBVIEW_PAGE: &str = "/pages/webview/webview";

/// Pages the stack holds at most (the real limit is 10).
pub const STACK_MAX: usize = 10;

/// Messages kept (delivered and waiting alike).
pub const MESSAGES_KEPT: usize = 100;

/// The largest message (its JSON), as the host takes it.
pub const MESSAGE_MAX_BYTES: usize = 64 * 1024;

/// A delivered `postMessage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivered {
    /// What the page posted.
    pub data: Value,
    /// When the host received it: `back`, `share` or `destroy`.
    pub at: &'static str,
}

/// The host mini program.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    stack: Vec<String>,
    waiting: Vec<Value>,
    delivered: Vec<Delivered>,
}

impl Default for Host {
    fn default() -> Self {
        Self {
            stack: vec![WEBVIEW_PAGE.to_owned()],
            waiting: Vec::new(),
            delivered: Vec::new(),
        }
    }
}

impl Host {
    /// The page stack, bottom first.
    #[must_use]
    pub fn stack(&self) -> &[String] {
        &self.stack
    }

    /// Messages the host received.
    #[must_use]
    pub fn delivered(&self) -> &[Delivered] {
        &self.delivered
    }

    fn webview_shown(&self) -> bool {
        self.stack.last().is_some_and(|p| p == WEBVIEW_PAGE)
    }

    /// The host receives what waits: the user went back, shared, or the web-view was destroyed.
    pub fn deliver(&mut self, at: &'static str) {
        for data in self.waiting.drain(..) {
            if self.delivered.len() >= MESSAGES_KEPT {
                self.delivered.remove(0);
            }
            self.delivered.push(Delivered { data, at });
        }
    }

    /// Carries out `invokeMiniProgramAPI {name, arg}`; the `err_msg` suffix on failure.
    pub fn call(&mut self, name: &str, arg: &Value) -> Result<(), &'static str> {
        let url = || {
            arg.get("url")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .ok_or("fail_invalid_url")
        };
        let had_webview = self.stack.iter().any(|p| p == WEBVIEW_PAGE);
        match name {
            "navigateTo" => {
                if self.stack.len() >= STACK_MAX {
                    return Err("fail_webview_count_limit_exceed");
                }
                self.stack.push(url()?);
            }
            "redirectTo" => {
                let u = url()?;
                self.stack.pop();
                self.stack.push(u);
            }
            "switchTab" | "reLaunch" => {
                let u = url()?;
                self.stack = vec![u];
            }
            "navigateBack" => {
                let delta = arg.get("delta").and_then(Value::as_u64).unwrap_or(1).max(1);
                let keep = self
                    .stack
                    .len()
                    .saturating_sub(usize::try_from(delta).unwrap_or(usize::MAX))
                    .max(1);
                if self.webview_shown() {
                    self.deliver("back");
                }
                self.stack.truncate(keep);
            }
            "postMessage" => {
                if arg.to_string().len() > MESSAGE_MAX_BYTES {
                    return Err("fail_message_too_large");
                }
                if self.waiting.len() + self.delivered.len() >= MESSAGES_KEPT {
                    self.delivered.drain(..1.min(self.delivered.len()));
                }
                if self.waiting.len() < MESSAGES_KEPT {
                    self.waiting.push(arg.clone());
                }
                return Ok(());
            }
            _ => return Err("fail_function_not_exist"),
        }
        // A web-view page that left the stack is destroyed.
        if had_webview && !self.stack.iter().any(|p| p == WEBVIEW_PAGE) {
            self.deliver("destroy");
        }
        Ok(())
    }

    /// `GET /__wxjs/miniprogram`, without the launches (the phone adds them from its log).
    #[must_use]
    pub fn report(&self, launches: Vec<Value>) -> Value {
        json!({ "stack": self.stack, "messages": self.delivered, "launches": launches })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_the_host_on_back_share_or_destroy_only() {
        let mut h = Host::default();
        h.call("postMessage", &json!({"a": 1})).unwrap();
        assert!(h.delivered().is_empty(), "not at once");
        h.deliver("share");
        assert_eq!(h.delivered()[0].at, "share");
        h.call("postMessage", &json!({"b": 2})).unwrap();
        h.call("navigateTo", &json!({"url": "/pages/a"})).unwrap();
        assert_eq!(h.stack(), [WEBVIEW_PAGE, "/pages/a"]);
        h.call("navigateBack", &json!({})).unwrap();
        assert_eq!(
            h.delivered().len(),
            1,
            "back from another page is not back from the web-view"
        );
        h.call("navigateBack", &json!({"delta": 1})).unwrap();
        assert_eq!(h.delivered().len(), 2);
        assert_eq!(h.delivered()[1].at, "back");
        h.call("postMessage", &json!({"c": 3})).unwrap();
        h.call("reLaunch", &json!({"url": "/pages/home"})).unwrap();
        assert_eq!(h.stack(), ["/pages/home"]);
        assert_eq!(h.delivered()[2].at, "destroy");
        assert_eq!(h.call("navigateTo", &json!({})), Err("fail_invalid_url"));
        assert_eq!(h.call("nope", &json!({})), Err("fail_function_not_exist"));
    }

    #[test]
    fn the_stack_is_bounded() {
        let mut h = Host::default();
        for i in 0..STACK_MAX - 1 {
            h.call("navigateTo", &json!({"url": format!("/p{i}")}))
                .unwrap();
        }
        assert_eq!(
            h.call("navigateTo", &json!({"url": "/x"})),
            Err("fail_webview_count_limit_exceed")
        );
    }
}
