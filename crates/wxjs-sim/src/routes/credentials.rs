//! `GET /cgi-bin/token`, `POST /cgi-bin/stable_token`, `GET /cgi-bin/ticket/getticket`,
//! `POST /cgi-bin/clear_quota`.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::response::Response;
use subtle::ConstantTimeEq;
use wxjs_platform::clear_quota::ClearQuotaRequest;
use wxjs_platform::stable_token::StableTokenRequest;
use wxjs_platform::ticket::{TicketQuery, TicketResponse, TicketType};
use wxjs_platform::token::{GRANT_TYPE, TokenQuery, TokenResponse};
use wxjs_platform::{ErrCode, OkBody};

use super::reply::{fail, ok};
use crate::config::Account;
use crate::sim::Sim;
use crate::state::Fail;

/// Takes the query, or an empty one when it does not parse (the platform then reports what is
/// missing).
///
/// The platform's JSON API queries carry only identifiers (appid, secret, tokens, codes, media
/// ids), so they are read as axum reads them: a value that is not UTF-8 once percent-decoded
/// becomes U+FFFD, matches nothing and gets the platform's own answer (`40013 invalid appid`,
/// `40029 invalid code`…), as the real platform answers bytes it does not know. A query whose
/// values come back to the caller is read strictly (`oauth::authorize`).
pub(super) fn query<T: Default>(q: Result<Query<T>, QueryRejection>) -> T {
    q.map(|Query(q)| q).unwrap_or_default()
}

/// Authenticates `appid` + `secret` from `/cgi-bin/token` or `stable_token`, in the platform's
/// order: 41002, 41004, 40002, 40013, 40125, 40164.
fn authenticate<'a>(
    sim: &'a Sim,
    grant_type: Option<&str>,
    appid: Option<&str>,
    secret: Option<&str>,
    peer: IpAddr,
) -> Result<&'a Account, Fail> {
    let appid = appid
        .filter(|s| !s.is_empty())
        .ok_or(ErrCode::AppidMissing)?;
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or(ErrCode::AppsecretMissing)?;
    if grant_type != Some(GRANT_TYPE) {
        return Err(ErrCode::InvalidGrantType.into());
    }
    let account = sim.account(appid).ok_or(ErrCode::InvalidAppid)?;
    let secret_ok: bool = secret
        .as_bytes()
        .ct_eq(account.app_secret.as_bytes())
        .into();
    if !secret_ok {
        return Err(ErrCode::InvalidAppsecret.into());
    }
    check_ip(account, peer)?;
    Ok(account)
}

fn check_ip(account: &Account, peer: IpAddr) -> Result<(), Fail> {
    if account.ip_allowlist.is_empty() || account.ip_allowlist.contains(&peer) {
        return Ok(());
    }
    let (v4, v6) = match peer {
        IpAddr::V4(ip) => (ip.to_string(), ip.to_ipv6_mapped().to_string()),
        IpAddr::V6(ip) => (
            ip.to_ipv4_mapped()
                .map_or_else(|| ip.to_string(), |v| v.to_string()),
            ip.to_string(),
        ),
    };
    Err(Fail {
        code: ErrCode::InvalidIp,
        message: Some(format!("invalid ip {v4} ipv6 {v6}, not in whitelist")),
    })
}

/// `GET /cgi-bin/token`.
pub(super) async fn token(
    State(sim): State<Sim>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    q: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    let q: TokenQuery = query(q);
    let account = match authenticate(
        &sim,
        q.grant_type.as_deref(),
        q.appid.as_deref(),
        q.secret.as_deref(),
        peer.ip(),
    ) {
        Ok(a) => a.clone(),
        Err(f) => return fail(f),
    };
    match sim.update(|s, now| s.grant_token(&account, now)) {
        Ok(g) => ok(TokenResponse {
            access_token: g.value,
            expires_in: g.expires_in,
        }),
        Err(f) => fail(f),
    }
}

/// `POST /cgi-bin/stable_token`: 44002 empty body, 47001 not JSON.
pub(super) async fn stable_token(
    State(sim): State<Sim>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    if body.iter().all(u8::is_ascii_whitespace) {
        return fail(ErrCode::EmptyPostData);
    }
    let Ok(req) = serde_json::from_slice::<StableTokenRequest>(&body) else {
        return fail(ErrCode::DataFormatError);
    };
    let account = match authenticate(
        &sim,
        req.grant_type.as_deref(),
        req.appid.as_deref(),
        req.secret.as_deref(),
        peer.ip(),
    ) {
        Ok(a) => a.clone(),
        Err(f) => return fail(f),
    };
    let force = req.force_refresh.unwrap_or(false);
    match sim.update(|s, now| s.grant_stable_token(&account, force, now)) {
        Ok(g) => ok(TokenResponse {
            access_token: g.value,
            expires_in: g.expires_in,
        }),
        Err(f) => fail(f),
    }
}

/// `GET /cgi-bin/ticket/getticket`.
pub(super) async fn ticket(
    State(sim): State<Sim>,
    q: Result<Query<TicketQuery>, QueryRejection>,
) -> Response {
    let q: TicketQuery = query(q);
    let app = match sim.read(|s, now| s.check_token(q.access_token.as_deref(), now)) {
        Ok(app) => app,
        Err(f) => return fail(f),
    };
    // The platform answers 40097 "invalid args" for a type it does not know.
    let Some(kind) = q.ticket_type.as_deref().and_then(TicketType::parse) else {
        return fail(Fail {
            code: ErrCode::Other(40097),
            message: Some("invalid args".into()),
        });
    };
    let Some(account) = sim.account(&app).cloned() else {
        return fail(ErrCode::InvalidAppid);
    };
    match sim.update(|s, now| s.grant_ticket(&account, kind, now)) {
        Ok(g) => ok(TicketResponse {
            errcode: 0,
            errmsg: "ok".into(),
            ticket: g.value,
            expires_in: g.expires_in,
        }),
        Err(f) => fail(f),
    }
}

#[derive(serde::Deserialize, Default)]
pub(super) struct TokenOnly {
    access_token: Option<String>,
}

/// `POST /cgi-bin/clear_quota?access_token=` with `{"appid":"…"}`.
pub(super) async fn clear_quota(
    State(sim): State<Sim>,
    q: Result<Query<TokenOnly>, QueryRejection>,
    body: Bytes,
) -> Response {
    let q: TokenOnly = query(q);
    let app = match sim.read(|s, now| s.check_token(q.access_token.as_deref(), now)) {
        Ok(app) => app,
        Err(f) => return fail(f),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return fail(ErrCode::EmptyPostData);
    }
    let Ok(req) = serde_json::from_slice::<ClearQuotaRequest>(&body) else {
        return fail(ErrCode::DataFormatError);
    };
    match req.appid.as_deref() {
        None | Some("") => return fail(ErrCode::AppidMissing),
        Some(id) if id != app => return fail(ErrCode::InvalidAppid),
        Some(_) => {}
    }
    match sim.update(|s, now| s.clear_quota(&app, now)) {
        Ok(()) => ok(OkBody::ok()),
        Err(f) => fail(f),
    }
}
