//! Password guessing over HTTP (issue 15): refused sign-ins and re-authentications are counted
//! per username and per address; from the fifth in a row of a username the next attempt waits,
//! answered `429 too_many_attempts` with `Retry-After`, without the password being looked at.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

backend_tests! {
    wrong_passwords_are_throttled_per_user,
    wrong_reauthentications_are_throttled_too,
}

async fn attempt(s: &TestServer, username: &str, password: &str) -> (StatusCode, Option<u64>, Value) {
    let res = s
        .http
        .post(s.url("/api/v1/devices"))
        .json(&json!({"username": username, "password": password, "label": "t"}))
        .send()
        .await
        .expect("register");
    let status = res.status();
    let retry = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    (status, retry, res.json().await.unwrap_or(Value::Null))
}

async fn wrong_passwords_are_throttled_per_user(backend: Backend) {
    let s = start(backend).await;
    for i in 1..=5 {
        let (status, retry, _) = attempt(&s, "rep1", &format!("guess-{i}")).await;
        assert_eq!((status, retry), (StatusCode::UNAUTHORIZED, None), "attempt {i}");
    }
    // The sixth waits, even with the right password (it is not looked at), and in any case.
    for name in ["rep1", "REP1"] {
        let (status, retry, v) = attempt(&s, name, "rep1-demo").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
        assert_eq!(v["code"], "too_many_attempts");
        assert_eq!(retry, Some(1), "the first wait is a second");
    }
    // Another user from the same address is not held (the address's threshold is 20).
    assert_eq!(attempt(&s, "rep2", "rep2-demo").await.0, StatusCode::CREATED);

    // After the wait the right password works, and clears the count.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(attempt(&s, "rep1", "rep1-demo").await.0, StatusCode::CREATED);
    assert_eq!(attempt(&s, "rep1", "wrong").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt(&s, "rep1", "rep1-demo").await.0, StatusCode::CREATED);
}

async fn wrong_reauthentications_are_throttled_too(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reauth = |password: &'static str| {
        let req = s
            .http
            .post(s.url("/api/v1/devices/reauthenticate"))
            .bearer_auth(&dev.push_token)
            .json(&json!({"username": "rep1", "password": password}));
        async move {
            let res = req.send().await.expect("reauthenticate");
            let retry = res.headers().get("retry-after").is_some();
            (res.status(), retry)
        }
    };
    for _ in 0..5 {
        assert_eq!(reauth("wrong").await, (StatusCode::UNAUTHORIZED, false));
    }
    assert_eq!(reauth("rep1-demo").await, (StatusCode::TOO_MANY_REQUESTS, true));
    // Signing in as that user is held as well: the count is the user's, not the endpoint's.
    assert_eq!(attempt(&s, "rep1", "rep1-demo").await.0, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(reauth("rep1-demo").await, (StatusCode::NO_CONTENT, false));
}
