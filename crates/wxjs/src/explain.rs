//! `wxjs explain`: asks a running service why a page's `wx.config` signature fails.

use clap::Args;
use serde_json::{Value, json};

use crate::CliError;

/// Arguments of `wxjs explain`.
#[derive(Debug, Args)]
#[command(after_help = "\
Example (against `wxjs dev`):
  wxjs explain --app wxdemo000000000001 --url 'http://localhost:8080/?a=1#x' \\
      --timestamp 1414587457 --nonce Wm3WZYTPz0wzccnW --signature f4d90daf4b3bca3078ab155816175ba34c443a7b")]
pub(crate) struct ExplainArgs {
    /// The service's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8082", value_name = "URL", value_parser = service_url)]
    service: String,
    /// The appId the page configured.
    #[arg(long, value_name = "APPID")]
    app: String,
    /// The URL that was signed.
    #[arg(long)]
    url: String,
    /// The page's real URL (location.href), if it differs.
    #[arg(long, value_name = "URL")]
    page_url: Option<String>,
    /// `timestamp` passed to wx.config.
    #[arg(long)]
    timestamp: String,
    /// `nonceStr` passed to wx.config.
    #[arg(long)]
    nonce: String,
    /// `signature` passed to wx.config.
    #[arg(long)]
    signature: String,
    /// Print the service's JSON answer.
    #[arg(long)]
    json: bool,
}

/// `--service URL`: an http(s) URL with a host.
fn service_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(text.to_owned())
        }
        _ => Err(format!(
            "{text:?} is not the service's URL (http://host:port, e.g. http://127.0.0.1:8082)"
        )),
    }
}

/// An error and its causes, as one line: reqwest's own text ("error sending request") says
/// nothing of why; the cause does ("Connection refused").
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// Runs `wxjs explain`; exits 1 when the signature is not valid.
pub(crate) fn run(args: &ExplainArgs) -> Result<(), CliError> {
    let timestamp: Value = args
        .timestamp
        .parse::<u64>()
        .map_or_else(|_| Value::String(args.timestamp.clone()), Value::from);
    let mut body = json!({ "url": args.url, "timestamp": timestamp, "nonceStr": args.nonce, "signature": args.signature });
    if let Some(p) = &args.page_url {
        body["pageUrl"] = Value::String(p.clone());
    }
    let endpoint = format!(
        "{}/v1/{}/jssdk/explain",
        args.service.trim_end_matches('/'),
        args.app
    );
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    let (status, answer) = runtime.block_on(async {
        let res = reqwest::Client::new()
            .post(&endpoint)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                CliError::failure(format!(
                    "cannot reach the service at {}: {}",
                    args.service,
                    with_causes(&e.without_url())
                ))
            })?;
        let status = res.status();
        let answer: Value = res.json().await.map_err(|e| {
            CliError::failure(format!(
                "the service answered something else than JSON: {}",
                e.without_url()
            ))
        })?;
        Ok::<_, CliError>((status, answer))
    })?;
    if !status.is_success() {
        let message = answer["error"]["message"]
            .as_str()
            .unwrap_or("unknown error");
        let err = format!("the service refused ({}): {message}", status.as_u16());
        return Err(if status.is_client_error() {
            CliError::input(err)
        } else {
            CliError::failure(err)
        });
    }
    let text = if args.json {
        format!("{answer}\n")
    } else {
        use std::fmt::Write as _;
        let valid = answer["valid"].as_bool().unwrap_or(false);
        let mut text = String::from(if valid {
            "valid: the client would accept this signature\n"
        } else {
            "invalid: the client would answer config:invalid signature\n"
        });
        let _ = writeln!(
            text,
            "checked url  {}",
            answer["checkedUrl"].as_str().unwrap_or("")
        );
        let _ = writeln!(
            text,
            "ticket age   {} s (expires in {} s)",
            answer["ticketAgeSecs"], answer["ticketExpiresInSecs"]
        );
        for f in answer["findings"].as_array().into_iter().flatten() {
            let _ = writeln!(
                text,
                "- [{}] {}",
                f["code"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or("")
            );
        }
        text
    };
    crate::output(&text)?;
    if answer["valid"].as_bool() == Some(true) {
        Ok(())
    } else {
        Err(CliError::failure("signature invalid"))
    }
}
