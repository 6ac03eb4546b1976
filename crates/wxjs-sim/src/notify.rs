//! Delivery of payment notifications to merchants' `notify_url`, retried on the simulator's
//! clock until the merchant answers `success` (`state::NOTIFY_RETRIES`).

use std::time::Duration;

use crate::sim::Sim;

/// Delivers due notifications every 100 ms, until the task is aborted.
pub(crate) async fn deliver_forever(sim: Sim) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    loop {
        let due = sim.read(|s, now| s.due_notifications(now));
        for n in due {
            let content_type = "text/xml";
            let outcome = http
                .post(&n.url)
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(n.body.clone())
                .send()
                .await;
            let (ok, response) = match outcome {
                Ok(res) => {
                    let status = res.status();
                    let text = res.text().await.unwrap_or_default();
                    let ok = status.is_success() && text.to_ascii_lowercase().contains("success");
                    (
                        ok,
                        format!(
                            "{} {}",
                            status.as_u16(),
                            text.chars().take(200).collect::<String>()
                        ),
                    )
                }
                Err(e) => (false, format!("unreachable: {}", e.without_url())),
            };
            tracing::info!(target: "wxjs_sim", notification = n.id, out_trade_no = %n.out_trade_no, attempt = n.attempts + 1, ok, "payment notification");
            sim.update(|s, now| s.delivered(n.id, ok, response, now));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
