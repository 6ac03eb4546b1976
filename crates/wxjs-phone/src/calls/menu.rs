//! Shares, the option menu and the window: the page's UI carries them out (the share sheet,
//! the top bar's menu, closing the web view); the app only verifies them.

use serde_json::json;

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
