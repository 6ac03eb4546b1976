//! Shares, the option menu and the window: the page's UI carries them out (the share sheet,
//! the top bar's menu, closing the web view); the app only verifies them.

use serde_json::json;
use wxjs_sign::{PageUrl, SafeDomain, domain_allowed};

use super::{Menu, Outcome};

pub(super) fn carry_out(call: Menu, name: &str) -> Outcome {
    match call {
        // The app keeps the content (the browser half: it shows it on the next menu share).
        Menu::UpdateShareData => Outcome::result(json!({ "err_msg": format!("{name}:ok") })),
        Menu::Share
        | Menu::HideOptionMenu
        | Menu::ShowOptionMenu
        | Menu::HideMenuItems
        | Menu::ShowMenuItems
        | Menu::HideAllNonBase
        | Menu::ShowAllNonBase
        | Menu::CloseWindow
        | Menu::ProductView => Outcome::ui(),
    }
}

/// Titles longer than this are cut off (…) in the chat card and the timeline.
pub(crate) const SHARE_TITLE_SHOWN: usize = 32;

/// What makes a real share fail or look broken, in plain words: an empty or relative `imgUrl`,
/// a link that is not absolute or lies outside the account's JS safe domains (`domains`; `None`
/// when the page has no verified config, where the check cannot be made), an over-long title.
pub(crate) fn share_warnings(
    title: &str,
    link: &str,
    img_url: &str,
    domains: Option<(&str, &[SafeDomain])>,
) -> Vec<String> {
    let mut out = Vec::new();
    let img = img_url.trim();
    if img.is_empty() {
        out.push(
            "imgUrl is empty: the card shows a grey placeholder instead of a picture".to_owned(),
        );
    } else if !(img.starts_with("https://") || img.starts_with("http://")) {
        out.push(format!(
            "imgUrl {img:?} is not an absolute http(s) URL: WeChat cannot load it, the card shows no picture"
        ));
    }
    match PageUrl::parse(link.trim()) {
        Err(e) => out.push(format!(
            "link {link:?} is not an absolute URL ({e}): WeChat refuses the share content"
        )),
        Ok(url) => {
            if let Some((app_id, domains)) = domains
                && !domain_allowed(domains, &url)
            {
                out.push(format!(
                    "link host {} is not a JS safe domain of {app_id}: WeChat refuses the share content",
                    url.host()
                ));
            }
        }
    }
    let chars = title.chars().count();
    if chars == 0 {
        out.push("title is empty: the card shows the link instead".to_owned());
    } else if chars > SHARE_TITLE_SHOWN {
        out.push(format!(
            "title has {chars} characters: about {SHARE_TITLE_SHOWN} are shown, the rest is cut off (…)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> Vec<SafeDomain> {
        vec![SafeDomain::parse("example.com").unwrap()]
    }

    #[test]
    fn a_good_share_has_no_warning() {
        let d = domains();
        let w = share_warnings(
            "活动",
            "https://example.com/a?b=1",
            "https://cdn.other.com/i.png",
            Some(("wx1", &d)),
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn each_broken_part_is_named() {
        let d = domains();
        let long = "长".repeat(SHARE_TITLE_SHOWN + 1);
        let w = share_warnings(&long, "https://evil.test/x", "", Some(("wx1", &d)));
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].starts_with("imgUrl is empty"));
        assert!(w[1].contains("evil.test is not a JS safe domain of wx1"));
        assert!(w[2].contains("33 characters"));
        let w = share_warnings("t", "/relative", "/img.png", None);
        assert!(w[0].contains("\"/img.png\" is not an absolute"), "{w:?}");
        assert!(
            w[1].contains("\"/relative\" is not an absolute URL"),
            "{w:?}"
        );
        // Without a verified config the domain cannot be checked.
        assert!(share_warnings("t", "https://evil.test/", "https://a.test/i.png", None).is_empty());
    }
}
