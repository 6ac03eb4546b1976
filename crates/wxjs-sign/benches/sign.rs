//! Signing cost: the config signature (nonce generation and string building included) against the
//! bare SHA-1 of the same `string1`, and the package and card signatures.
//!
//! Run with `cargo bench -p wxjs-sign --bench sign`; figures go into BENCHMARKS.md.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sha1::{Digest, Sha1};
use wxjs_sign::*;

const TICKET: &str =
    "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
const URL: &str = "https://example.com:8443/h5/活动页?from=singlemessage&isappinstalled=0";

fn config(c: &mut Criterion) {
    let ticket = JsapiTicket::new(TICKET);
    let mut g = c.benchmark_group("config");
    g.bench_function(
        "sign_config (nonce + timestamp + string1 + sha1 + hex)",
        |b| {
            b.iter(|| {
                let nonce = nonce_str();
                let ts = timestamp_now();
                black_box(
                    wxjs_sign::ConfigParams {
                        url: black_box(URL),
                        timestamp: ts,
                        nonce_str: black_box(&nonce),
                    }
                    .sign(&ticket),
                )
            });
        },
    );
    let string1 = wxjs_sign::ConfigParams {
        url: URL,
        timestamp: 1_414_587_457,
        nonce_str: "Wm3WZYTPz0wzccnW",
    }
    .sign(&ticket)
    .string1()
    .to_owned();
    g.bench_function("bare sha1 of the same string1", |b| {
        b.iter(|| black_box(Sha1::digest(black_box(string1.as_bytes()))));
    });
    g.bench_function("nonce_str alone", |b| b.iter(|| black_box(nonce_str())));
    g.finish();
}

fn package(c: &mut Criterion) {
    let fields: BTreeMap<String, String> = [
        ("bank_type", "WX"),
        ("body", "支付测试"),
        ("fee_type", "1"),
        ("input_charset", "UTF-8"),
        ("notify_url", "http://weixin.qq.com"),
        ("out_trade_no", "7240b65810859cbf2a8d9f76a638c0a3"),
        ("partner", "1900000109"),
        ("spbill_create_ip", "196.168.1.1"),
        ("total_fee", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let key = PartnerKey::new("8934e7d15453e97507ef794cf7b0519d");
    let mut gbk = fields.clone();
    gbk.insert("input_charset".into(), "GBK".into());
    let mut g = c.benchmark_group("package");
    g.bench_function("sign_package UTF-8", |b| {
        b.iter(|| black_box(sign_package(black_box(&fields), &key)))
    });
    g.bench_function("sign_package GBK", |b| {
        b.iter(|| black_box(sign_package(black_box(&gbk), &key)))
    });
    g.finish();
}

fn cards(c: &mut Criterion) {
    let t = CardTicket::new(
        "E0o2-at6NcC2OsJiQTlwlHJ2Ls5xY5y5LbXMjSA8XcF5QDCrCvnSCg7QFSDXEaugDqrq8NyoLgv_QYvN9F_zpg",
    );
    let mut g = c.benchmark_group("card");
    g.bench_function("sign_card_ext", |b| {
        b.iter(|| {
            black_box(
                wxjs_sign::CardExtParams {
                    card_id: "pjZ8Yt1XGILfi-FUsewpnnolGgZk",
                    code: "800",
                    openid: "oj1Mbt3vDHHjAuB7UEEJx8xHgHYI",
                    timestamp: "1417751808",
                    nonce_str: "nonce1234",
                }
                .sign(&t),
            )
        })
    });
    g.bench_function("card_ext JSON", |b| {
        b.iter(|| {
            black_box(
                wxjs_sign::CardExtParams {
                    card_id: "pjZ8Yt1XGILfi-FUsewpnnolGgZk",
                    code: "800",
                    openid: "oj1Mbt3vDHHjAuB7UEEJx8xHgHYI",
                    timestamp: "1417751808",
                    nonce_str: "nonce1234",
                }
                .card_ext(&t)
                .to_json(),
            )
        })
    });
    g.bench_function("sign_card_sign", |b| {
        b.iter(|| {
            black_box(
                wxjs_sign::CardSignParams {
                    app_id: "wx1a2b3c4d5e6f7a8b",
                    location_id: "5005",
                    timestamp: "1417751808",
                    nonce_str: "k3jd8s",
                    card_id: "pjZ8Yt1XGILfi-FUsewpnnolGgZk",
                    card_type: "GROUPON",
                }
                .sign(&t),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, config, package, cards);

criterion_main!(benches, urls);

fn page_url(c: &mut Criterion) {
    let mut g = c.benchmark_group("page_url");
    g.bench_function("PageUrl::parse", |b| {
        b.iter(|| black_box(PageUrl::parse(black_box("http://localhost/h5/page?a=1"))))
    });
    g.bench_function("url::Url::parse", |b| {
        b.iter(|| black_box(url::Url::parse(black_box("http://localhost/h5/page?a=1"))))
    });
    g.finish();
}
criterion_group!(urls, page_url);
