//! Location: `getLocation` answers the phone's fix (the setting, or the browser's geolocation
//! through the page's UI) in the datum asked for; `openLocation` shows a map in the UI.

use serde_json::{Map, Value};

use super::{Location, Outcome, Pending, fail};
use crate::phone::{Phone, SHENZHEN, geo_result};

pub(super) fn carry_out(
    phone: &Phone,
    call: Location,
    name: &str,
    params: &Map<String, Value>,
) -> Outcome {
    match call {
        Location::Open => Outcome::ui(),
        Location::Get => {
            let kind = params
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("wgs84");
            if kind != "wgs84" && kind != "gcj02" {
                return Outcome::result(fail(name, "fail_invalid_type"));
            }
            let s = phone.lock();
            if s.browser_location {
                // The page's UI asks the browser; the answer comes back through browser_fix.
                return Outcome::ui().pending(Pending::Geo(kind.to_owned()));
            }
            Outcome::result(geo_result(kind, s.location.unwrap_or(SHENZHEN)))
        }
    }
}
