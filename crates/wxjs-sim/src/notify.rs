//! Delivery of payment notifications to merchants' `notify_url`, retried on the simulator's
//! clock until the merchant accepts (`state::NOTIFY_RETRIES`).
//!
//! A merchant's server is outside the simulator's control, so delivery is bounded the way the
//! real platform bounds it: a few KB of the answer are read at most, within the platform's
//! timeout; redirects are not followed; deliveries run concurrently (a hanging merchant holds
//! one slot, not the queue); and only what a developer needs is kept — the status and whether
//! it counted as accepted, never the answer's text.

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::Duration;

use crate::sim::Sim;
use crate::state::Notification;

/// How much of a merchant's answer is read: `SUCCESS` is in the first bytes or nowhere.
const MAX_ANSWER: usize = 4 * 1024;
/// The platform waits this long for a merchant's answer.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Deliveries in flight at once.
const CONCURRENCY: usize = 16;

/// Ports a notification is never sent to: the Fetch standard's "bad ports" (services that are
/// not HTTP, which browsers refuse too) and the usual database ports.
const BAD_PORTS: &[u16] = &[
    0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101,
    102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427,
    465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990,
    993, 995, 1719, 1720, 1723, 2049, 3306, 3659, 4045, 4190, 5060, 5061, 5432, 6000, 6379, 6566,
    6665, 6666, 6667, 6668, 6669, 6679, 6697, 9200, 10080, 11211, 27017,
];

/// Why a notify URL is not one the platform posts to, if it is not.
pub fn check_notify_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("notify_url: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("notify_url must be an http or https URL".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("notify_url must not carry a user name or password".into());
    }
    if parsed.fragment().is_some() {
        return Err("notify_url must not have a #fragment".into());
    }
    let port = parsed.port_or_known_default().unwrap_or(0);
    if BAD_PORTS.contains(&port) {
        return Err(format!(
            "notify_url port {port} belongs to a service that does not speak HTTP; the platform does not post there"
        ));
    }
    Ok(())
}

/// Delivers due notifications every 100 ms, until the task is aborted.
pub(crate) async fn deliver_forever(sim: Sim) {
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let in_flight: Arc<Mutex<HashSet<u64>>> = Arc::default();
    loop {
        let due = sim.read(|s, now| s.due_notifications(now));
        for n in due {
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                break; // all slots busy: the rest waits for the next round
            };
            if !in_flight.lock().insert(n.id) {
                continue; // its delivery is still running
            }
            let (sim, http, in_flight) = (sim.clone(), http.clone(), in_flight.clone());
            tokio::spawn(async move {
                let (ok, response) = deliver(&sim, &http, &n).await;
                tracing::info!(target: "wxjs_sim", notification = n.id, out_trade_no = %n.out_trade_no, attempt = n.attempts + 1, ok, "payment notification");
                sim.update(|s, now| s.delivered(n.id, ok, response, now));
                in_flight.lock().remove(&n.id);
                drop(permit);
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One delivery: whether the merchant accepted, and what to record about it.
/// The `Wechatpay-*` headers of a v3 notification, signed now (real time: the merchant checks
/// the timestamp against its own clock) by the key the merchant's mode picks; a probe's
/// signature is invalid by construction.
fn v3_headers(sim: &Sim, n: &Notification) -> Vec<(&'static str, String)> {
    let mode = sim
        .accounts()
        .iter()
        .filter_map(|a| a.merchant.as_ref())
        .find(|m| m.partner_id == n.mch_id)
        .map(|m| m.platform_key_mode)
        .unwrap_or_default();
    let (key, serial) = sim.platform_keys().signer(mode, &n.mch_id);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let nonce = wxjs_sign::nonce_str();
    let mut h = wxjs_sign::WechatpayHeaders::sign(key, &serial, now, &nonce, n.body.as_bytes());
    if n.probe {
        h.signature = format!(
            "{}{}",
            wxjs_sign::PROBE_SIGNATURE_PREFIX,
            wxjs_sign::nonce_of_len(40)
        );
    }
    let mut headers = h.into_pairs().to_vec();
    headers.push(("Request-ID", wxjs_sign::nonce_of_len(32)));
    headers
}

async fn deliver(sim: &Sim, http: &reqwest::Client, n: &Notification) -> (bool, String) {
    if let Err(why) = check_notify_url(&n.url) {
        return (false, why);
    }
    let v3 = n.form == "v3";
    let mut req = http
        .post(&n.url)
        .header(
            reqwest::header::CONTENT_TYPE,
            if v3 { "application/json" } else { "text/xml" },
        )
        .body(n.body.clone());
    if v3 {
        for (k, v) in v3_headers(sim, n) {
            req = req.header(k, v);
        }
    }
    let sent = req.send().await;
    let mut res = match sent {
        Ok(res) => res,
        Err(e) if e.is_timeout() => return (false, "no answer within 5 s".into()),
        Err(e) => return (false, format!("unreachable: {}", e.without_url())),
    };
    let status = res.status();
    if status.is_redirection() {
        return (
            false,
            format!("HTTP {}: redirects are not followed", status.as_u16()),
        );
    }
    let mut head = Vec::new();
    while head.len() < MAX_ANSWER {
        match res.chunk().await {
            Ok(Some(chunk)) => head.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(_) => break,
        }
    }
    head.truncate(MAX_ANSWER);
    // v3 accepts with HTTP 200 or 204; v2 and the 2014 form with SUCCESS in the answer.
    let accepted = if v3 {
        matches!(status.as_u16(), 200 | 204)
    } else {
        status.is_success()
            && String::from_utf8_lossy(&head)
                .to_ascii_lowercase()
                .contains("success")
    };
    if n.probe {
        return (
            !accepted,
            format!(
                "HTTP {}, probe {}",
                status.as_u16(),
                if accepted {
                    "ACCEPTED: the merchant did not check the signature"
                } else {
                    "rejected, as it should be"
                }
            ),
        );
    }
    (
        accepted,
        format!(
            "HTTP {}, {}",
            status.as_u16(),
            if accepted { "accepted" } else { "not accepted" }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::check_notify_url;

    #[test]
    fn notify_urls_on_non_http_ports_are_refused() {
        for ok in [
            "http://localhost:8080/notify",
            "https://pay.example.com/n",
            "http://127.0.0.1/n",
        ] {
            assert!(check_notify_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:6379/",
            "http://localhost:22/",
            "ftp://example.com/",
            "http://user:pw@example.com/",
            "http://127.0.0.1:25/",
        ] {
            assert!(check_notify_url(bad).is_err(), "{bad}");
        }
    }
}
