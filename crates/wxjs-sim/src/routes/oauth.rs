//! Web authorisation: the consent page at `/connect/oauth2/authorize` (GET shows it, POST takes
//! the person's answer), and `/sns/oauth2/access_token`, `/sns/oauth2/refresh_token`,
//! `/sns/userinfo`, `/sns/auth`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use subtle::ConstantTimeEq;
use wxjs_platform::oauth::{
    AccessTokenQuery, AccessTokenResponse, AuthorizeQuery, RefreshTokenQuery, Scope, UserInfo,
    UserQuery,
};
use wxjs_platform::{ErrCode, OkBody};
use wxjs_sign::{PageUrl, domain_allowed};

use super::credentials::query;
use super::reply::{fail, ok};
use crate::config::Account;
use crate::sim::Sim;
use crate::state::{OAuthAnswer, UserGrant, find_user, openid};

/// A checked authorisation request.
struct Authorize {
    account: Account,
    redirect: String,
    scope: Scope,
    state: String,
}

/// A refused authorisation request: the platform's page code (10003 redirect_uri, 10005 scope,
/// 10010–10012 missing values, 10016 appid) and its message.
struct PageError(u32, String);

fn page_error(code: u32, message: &str) -> PageError {
    PageError(code, message.to_owned())
}

/// The page the platform shows for a bad request.
fn error_page(code: u32, message: &str) -> Response {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>微信授权</title>\
         <div id=error data-errcode={code} style='font:16px sans-serif;margin:3em;text-align:center'>\
         <h2>{code}</h2><p>{}</p></div>",
        html_escape(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn check(sim: &Sim, q: &AuthorizeQuery) -> Result<Authorize, PageError> {
    let appid = q
        .appid
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| page_error(10012, "appid 不能为空 (appid missing)"))?;
    let account = sim
        .account(appid)
        .ok_or_else(|| page_error(10016, "appid 参数错误 (unknown appid)"))?;
    let redirect = q
        .redirect_uri
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| page_error(10011, "redirect_uri 不能为空 (redirect_uri missing)"))?;
    let url = PageUrl::parse(redirect)
        .map_err(|e| page_error(10003, &format!("redirect_uri 参数错误: {e}")))?;
    if !domain_allowed(&account.safe_domains(), &url) {
        return Err(page_error(
            10003,
            "redirect_uri 域名与后台配置不一致 (redirect_uri host is not one of the account's domains)",
        ));
    }
    if q.response_type.as_deref() != Some("code") {
        return Err(page_error(
            10003,
            "response_type 必须为 code (response_type must be code)",
        ));
    }
    let scope_text = q
        .scope
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| page_error(10010, "scope 不能为空 (scope missing)"))?;
    let scope = Scope::parse(scope_text)
        .ok_or_else(|| page_error(10005, "此公众号并没有这些scope的权限 (unknown scope)"))?;
    Ok(Authorize {
        account: account.clone(),
        redirect: redirect.to_owned(),
        scope,
        state: q.state.clone().unwrap_or_default(),
    })
}

/// `redirect_uri` with `code` (if approved) and `state` added to its query.
fn redirect_to(redirect: &str, code: Option<&str>, state: &str) -> Response {
    let (base, fragment) = redirect
        .split_once('#')
        .map_or((redirect, None), |(b, f)| (b, Some(f)));
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut target = String::from(base);
    target.push(sep);
    if let Some(code) = code {
        target.push_str("code=");
        target.push_str(code);
        target.push('&');
    }
    target.push_str("state=");
    let mut enc = String::new();
    wxjs_sign::encode_uri_component(state.as_bytes(), &mut enc);
    target.push_str(&enc);
    if let Some(f) = fragment {
        target.push('#');
        target.push_str(f);
    }
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

fn decide(sim: &Sim, req: &Authorize, approve: bool, user: Option<&str>) -> Response {
    if !approve {
        return redirect_to(&req.redirect, None, &req.state);
    }
    let app = &req.account.app_id;
    let users = sim.users();
    let chosen = match user {
        Some(key) => match find_user(users, app, key) {
            Some(u) => u,
            None => return error_page(10003, "no such simulated user"),
        },
        None => &users[0],
    };
    let code = sim.update(|s, now| s.issue_code(app, &chosen.id, req.scope, now));
    redirect_to(&req.redirect, Some(&code), &req.state)
}

/// `GET /connect/oauth2/authorize`: the consent page, or at once the answer automation queued.
///
/// Its query is read strictly: `state` comes back unchanged and the browser goes to
/// `redirect_uri` itself, so a value that is not UTF-8 once percent-decoded is refused with the
/// platform's parameter error page rather than replaced with U+FFFD and sent back altered.
pub(super) async fn authorize(
    State(sim): State<Sim>,
    q: Result<wxjs_http::Query<AuthorizeQuery>, wxjs_http::Refusal>,
) -> Response {
    let q = match q {
        Ok(wxjs_http::Query(q)) => q,
        Err(e) => return error_page(10003, &format!("参数错误 (bad parameters): {}", e.message)),
    };
    let req = match check(&sim, &q) {
        Ok(r) => r,
        Err(PageError(code, message)) => return error_page(code, &message),
    };
    if let Some(answer) = sim.update(|s, _| s.take_oauth_answer(&req.account.app_id)) {
        return decide(&sim, &req, answer.approve, answer.user.as_deref());
    }
    Html(consent_page(&sim, &req)).into_response()
}

fn consent_page(sim: &Sim, req: &Authorize) -> String {
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=hidden name={name} value=\"{}\">",
            html_escape(value)
        )
    };
    let users: String = sim
        .users()
        .iter()
        .enumerate()
        .map(|(i, u)| {
            format!(
                "<label class=user><input type=radio name=user value=\"{}\"{}> {} <small>{}</small></label>",
                html_escape(&u.id),
                if i == 0 { " checked" } else { "" },
                html_escape(&u.nickname),
                html_escape(&openid(&req.account.app_id, &u.id)),
            )
        })
        .collect();
    let what = match req.scope {
        Scope::Base => "获取你的身份标识 (your openid; silent in WeChat)",
        Scope::UserInfo => "获取你的昵称、头像 (your nickname and avatar)",
    };
    format!(
        "<!doctype html><html lang=zh-CN><meta charset=utf-8>\
         <meta name=viewport content='width=device-width,initial-scale=1'><title>微信授权</title>\
         <style>body{{font:16px -apple-system,sans-serif;background:#ededed;margin:0}}\
         main{{background:#fff;margin:2em auto;max-width:420px;padding:1.5em;border-radius:8px}}\
         .user{{display:block;padding:.5em 0}} small{{color:#999}}\
         button{{width:100%;padding:.8em;margin-top:.6em;border:0;border-radius:6px;font-size:1em}}\
         .ok{{background:#07c160;color:#fff}}</style>\
         <main><h3>{name}</h3><p>申请 {what}</p><p><small>wxjs simulator — pick who you are</small></p>\
         <form method=post action=/connect/oauth2/authorize>{users}{h1}{h2}{h3}{h4}\
         <button class=ok name=action value=approve>允许 Allow</button>\
         <button name=action value=refuse>拒绝 Refuse</button></form></main></html>",
        name = html_escape(if req.account.name.is_empty() {
            &req.account.app_id
        } else {
            &req.account.name
        }),
        h1 = hidden("appid", &req.account.app_id),
        h2 = hidden("redirect_uri", &req.redirect),
        h3 = hidden("scope", req.scope.as_str()),
        h4 = hidden("state", &req.state),
    )
}

/// `POST /connect/oauth2/authorize`: the person's answer from the consent page, a form read as
/// strictly as the query that showed it (its `state` goes back to the page).
pub(super) async fn answer(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let Some(text) = std::str::from_utf8(&body).ok().filter(|_| is_form) else {
        return error_page(10003, "malformed answer");
    };
    let f: HashMap<String, String> = match wxjs_http::form(text) {
        Ok(f) => f,
        Err(e) => return error_page(10003, &format!("参数错误 (bad parameters): {}", e.message)),
    };
    let q = AuthorizeQuery {
        appid: f.get("appid").cloned(),
        redirect_uri: f.get("redirect_uri").cloned(),
        response_type: Some("code".into()),
        scope: f.get("scope").cloned(),
        state: f.get("state").cloned(),
    };
    let req = match check(&sim, &q) {
        Ok(r) => r,
        Err(PageError(code, message)) => return error_page(code, &message),
    };
    let approve = f.get("action").map(String::as_str) == Some("approve");
    decide(&sim, &req, approve, f.get("user").map(String::as_str))
}

fn authenticate<'a>(
    sim: &'a Sim,
    appid: Option<&str>,
    secret: Option<&str>,
) -> Result<&'a Account, ErrCode> {
    let appid = appid
        .filter(|s| !s.is_empty())
        .ok_or(ErrCode::AppidMissing)?;
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or(ErrCode::AppsecretMissing)?;
    let account = sim.account(appid).ok_or(ErrCode::InvalidAppid)?;
    if !bool::from(secret.as_bytes().ct_eq(account.app_secret.as_bytes())) {
        return Err(ErrCode::InvalidAppsecret);
    }
    Ok(account)
}

fn grant_body(g: UserGrant) -> AccessTokenResponse {
    AccessTokenResponse {
        access_token: g.access_token,
        expires_in: wxjs_platform::oauth::ACCESS_TOKEN_LIFETIME_SECS,
        refresh_token: g.refresh_token,
        openid: g.openid,
        scope: g.scope.as_str().to_owned(),
        unionid: g.unionid,
    }
}

/// `GET /sns/oauth2/access_token`.
pub(super) async fn access_token(
    State(sim): State<Sim>,
    q: Result<Query<AccessTokenQuery>, QueryRejection>,
) -> Response {
    let q: AccessTokenQuery = query(q);
    let account = match authenticate(&sim, q.appid.as_deref(), q.secret.as_deref()) {
        Ok(a) => a.app_id.clone(),
        Err(c) => return fail(c),
    };
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        return fail(ErrCode::CodeMissing);
    };
    if q.grant_type.as_deref() != Some("authorization_code") {
        return fail(ErrCode::InvalidGrantType);
    }
    match sim.update(|s, now| s.redeem_code(&account, &code, now)) {
        Ok(g) => ok(grant_body(g)),
        Err(f) => fail(f),
    }
}

/// `GET /sns/oauth2/refresh_token`.
pub(super) async fn refresh_token(
    State(sim): State<Sim>,
    q: Result<Query<RefreshTokenQuery>, QueryRejection>,
) -> Response {
    let q: RefreshTokenQuery = query(q);
    let Some(appid) = q.appid.filter(|a| !a.is_empty()) else {
        return fail(ErrCode::AppidMissing);
    };
    let Some(rt) = q.refresh_token.filter(|r| !r.is_empty()) else {
        return fail(ErrCode::RefreshTokenMissing);
    };
    if q.grant_type.as_deref() != Some("refresh_token") {
        return fail(ErrCode::InvalidGrantType);
    }
    if sim.account(&appid).is_none() {
        return fail(ErrCode::InvalidAppid);
    }
    match sim.update(|s, now| s.refresh_user_token(&appid, &rt, now)) {
        Ok(g) => ok(grant_body(g)),
        Err(f) => fail(f),
    }
}

/// `GET /sns/userinfo`: 48001 for a base-scope token.
pub(super) async fn userinfo(
    State(sim): State<Sim>,
    q: Result<Query<UserQuery>, QueryRejection>,
) -> Response {
    let q: UserQuery = query(q);
    let (app, user, scope) = match sim
        .read(|s, now| s.check_user_token(q.access_token.as_deref(), q.openid.as_deref(), now))
    {
        Ok(t) => t,
        Err(f) => return fail(f),
    };
    if scope != Scope::UserInfo {
        return fail(ErrCode::ApiUnauthorized);
    }
    let Some(u) = sim.users().iter().find(|u| u.id == user) else {
        return fail(ErrCode::InvalidOpenid);
    };
    ok(UserInfo {
        openid: openid(&app, &u.id),
        nickname: u.nickname.clone(),
        sex: u.sex,
        province: u.province.clone(),
        city: u.city.clone(),
        country: u.country.clone(),
        headimgurl: format!("https://thirdwx.qlogo.cn/mmopen/wxjs/{}/132", u.id),
        privilege: Vec::new(),
        unionid: Some(crate::state::unionid(&u.id)),
    })
}

/// `GET /sns/auth`.
pub(super) async fn auth(
    State(sim): State<Sim>,
    q: Result<Query<UserQuery>, QueryRejection>,
) -> Response {
    let q: UserQuery = query(q);
    match sim.read(|s, now| s.check_user_token(q.access_token.as_deref(), q.openid.as_deref(), now))
    {
        Ok(_) => ok(OkBody::ok()),
        Err(f) => fail(f),
    }
}

/// Queues an automated answer (used by `/__sim/oauth/next`).
pub(super) fn queue(sim: &Sim, answer: OAuthAnswer) -> Result<(), String> {
    sim.update(|s, _| s.push_oauth_answer(answer))
}
