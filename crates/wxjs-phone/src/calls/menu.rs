//! Shares, the option menu and the window: the page's UI carries them out (the share sheet,
//! the top bar's menu, closing the web view); the app only verifies them.

use super::{Menu, Outcome};

pub(super) fn carry_out(call: Menu) -> Outcome {
    match call {
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
