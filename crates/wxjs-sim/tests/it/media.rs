//! Media upload and download.

use reqwest::multipart::{Form, Part};

use crate::{assert_err, spawn_sim};

fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend((0..len).map(|i| (i * 31 % 251) as u8));
    v
}

#[tokio::test]
async fn upload_then_download_gives_identical_bytes_until_three_days_pass() {
    let s = spawn_sim().await;
    let t = s.token().await;
    let bytes = png(300_000);
    let form = Form::new().part("media", Part::bytes(bytes.clone()).file_name("photo.png"));
    let res = s
        .http
        .post(s.url(&format!(
            "/cgi-bin/media/upload?access_token={t}&type=image"
        )))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let up: serde_json::Value = res.json().await.unwrap();
    assert_eq!(up["type"], "image");
    let id = up["media_id"].as_str().unwrap();
    assert!(up["created_at"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(up.as_object().unwrap().len(), 3);

    let res = s
        .http
        .get(s.url(&format!(
            "/cgi-bin/media/get?access_token={t}&media_id={id}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"{id}.png\"")
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);

    // Not a voice: the jssdk endpoint refuses it.
    assert_err(
        &s.get(&format!(
            "/cgi-bin/media/get/jssdk?access_token={t}&media_id={id}"
        ))
        .await,
        40007,
    );
    // Three days later it is gone.
    s.advance(3 * 86_400 - 10).await;
    let t2 = s.token().await;
    let res = s
        .http
        .get(s.url(&format!(
            "/cgi-bin/media/get?access_token={t2}&media_id={id}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-type"],
        "image/png",
        "still there just before three days"
    );
    s.advance(10).await;
    let t3 = s.token().await;
    assert_err(
        &s.get(&format!(
            "/cgi-bin/media/get?access_token={t3}&media_id={id}"
        ))
        .await,
        40007,
    );
}

#[tokio::test]
async fn voices_download_in_high_quality_and_videos_as_links() {
    let s = spawn_sim().await;
    let t = s.token().await;
    let amr = b"#!AMR\n\x3c\x48\xf5".repeat(100);
    let form = Form::new().part("media", Part::bytes(amr.clone()).file_name("v.amr"));
    let up: serde_json::Value = s
        .http
        .post(s.url(&format!(
            "/cgi-bin/media/upload?access_token={t}&type=voice"
        )))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = up["media_id"].as_str().unwrap();
    let res = s
        .http
        .get(s.url(&format!(
            "/cgi-bin/media/get/jssdk?access_token={t}&media_id={id}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "voice/speex");
    assert_eq!(res.bytes().await.unwrap().to_vec(), amr);
    let res = s
        .http
        .get(s.url(&format!(
            "/cgi-bin/media/get?access_token={t}&media_id={id}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "audio/amr");

    let mp4 = b"\0\0\0\x18ftypmp42rest-of-video".to_vec();
    let form = Form::new().part("media", Part::bytes(mp4.clone()).file_name("clip.mp4"));
    let up: serde_json::Value = s
        .http
        .post(s.url(&format!(
            "/cgi-bin/media/upload?access_token={t}&type=video"
        )))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v = s
        .get(&format!(
            "/cgi-bin/media/get?access_token={t}&media_id={}",
            up["media_id"].as_str().unwrap()
        ))
        .await;
    let link = v["video_url"].as_str().unwrap();
    assert_eq!(
        s.http
            .get(link)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        mp4
    );
}

#[tokio::test]
async fn bad_uploads_and_downloads_answer_like_the_platform() {
    let s = spawn_sim().await;
    let t = s.token().await;
    let upload = |query: String, form: Option<Form>| {
        let req = s
            .http
            .post(s.url(&format!("/cgi-bin/media/upload?{query}")));
        async move {
            let req = match form {
                Some(f) => req.multipart(f),
                None => req.body("not multipart"),
            };
            req.send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let file = |name: &str, bytes: Vec<u8>| {
        Form::new().part("media", Part::bytes(bytes).file_name(name.to_owned()))
    };
    assert_err(
        &upload("type=image".into(), Some(file("a.png", png(10)))).await,
        41001,
    );
    assert_err(
        &upload(
            format!("access_token={t}&type=sticker"),
            Some(file("a.png", png(10))),
        )
        .await,
        40004,
    );
    assert_err(
        &upload(format!("access_token={t}"), Some(file("a.png", png(10)))).await,
        40004,
    );
    assert_err(
        &upload(format!("access_token={t}&type=image"), None).await,
        41005,
    );
    let other_field = Form::new().part("file", Part::bytes(png(10)).file_name("a.png"));
    assert_err(
        &upload(format!("access_token={t}&type=image"), Some(other_field)).await,
        41005,
    );
    assert_err(
        &upload(
            format!("access_token={t}&type=image"),
            Some(file("a.exe", png(10))),
        )
        .await,
        40005,
    );
    assert_err(
        &upload(
            format!("access_token={t}&type=voice"),
            Some(file("a.png", png(10))),
        )
        .await,
        40005,
    );
    assert_err(
        &upload(
            format!("access_token={t}&type=thumb"),
            Some(file("a.jpg", vec![0xFF; 65 * 1024])),
        )
        .await,
        40006,
    );
    assert_err(
        &upload(
            format!("access_token={t}&type=image"),
            Some(file("big.png", png(10 * 1024 * 1024 + 1))),
        )
        .await,
        40006,
    );
    // Larger than any media type allows: still a platform answer, not a crash.
    assert_err(
        &upload(
            format!("access_token={t}&type=video"),
            Some(file("huge.mp4", vec![0; 30 * 1024 * 1024])),
        )
        .await,
        40006,
    );

    assert_err(
        &s.get(&format!("/cgi-bin/media/get?access_token={t}")).await,
        41006,
    );
    assert_err(
        &s.get(&format!(
            "/cgi-bin/media/get?access_token={t}&media_id=nope"
        ))
        .await,
        40007,
    );
    assert_err(&s.get("/cgi-bin/media/get?media_id=nope").await, 41001);
    let v: serde_json::Value = s
        .http
        .get(s.url(&format!(
            "/cgi-bin/media/upload?access_token={t}&type=image"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_err(&v, 43002);
    // Still serving.
    assert!(
        s.get("/__sim/stats").await["calls"]["/cgi-bin/media/upload"]
            .as_u64()
            .unwrap()
            >= 10
    );
}
