//! `scanQRCode`: the person (or automation) supplies an image, decoded by [`crate::scan`].

use serde_json::{Map, Value};

use super::{Outcome, Pending};

pub(super) fn carry_out(params: &Map<String, Value>) -> Outcome {
    Outcome::ui().pending(Pending::Scan(params.clone()))
}
