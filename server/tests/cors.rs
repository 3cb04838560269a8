//! Cross-origin access (CORS): an ERP front-end on an allowed origin may call the API from the
//! browser; any other origin gets no CORS headers and a 403 preflight; with the setting unset the
//! server answers as it always did.

mod common;

use common::{backend_tests, Backend, Store, TestServer};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

const ERP: &str = "https://erp.example.com";
const OTHER: &str = "https://evil.example.net";

backend_tests! {
    an_allowed_origin_gets_its_preflight_and_its_answers,
    another_origin_gets_no_cors_headers_and_a_403_preflight,
    unset_means_no_cors_headers_at_all,
}

async fn start(backend: Backend, allowed: &[&str]) -> TestServer {
    let store = Store::new(backend).await;
    let mut cfg = store.config(&store.dir.path().join("no-www"));
    cfg.allowed_origins = allowed.iter().map(|s| s.to_string()).collect();
    let server = satchel_server::start(&cfg).await.expect("server starts");
    let base = format!("http://{}", server.addr);
    TestServer {
        server,
        store,
        base,
        http: common::client(),
    }
}

async fn preflight(s: &TestServer, origin: &str) -> Response {
    s.http
        .request(Method::OPTIONS, s.url("/api/v1/sync/push"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .expect("preflight")
}

async fn get(s: &TestServer, path: &str, origin: &str) -> Response {
    s.http
        .get(s.url(path))
        .header("origin", origin)
        .send()
        .await
        .expect("get")
}

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

fn cors_headers(res: &Response) -> Vec<String> {
    res.headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

async fn an_allowed_origin_gets_its_preflight_and_its_answers(backend: Backend) {
    let s = start(backend, &[ERP, "http://localhost:8000"]).await;
    let res = preflight(&s, ERP).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // The embedding origins may also frame the app (and nothing else may).
    let csp = header(&res, "content-security-policy").unwrap_or_default().to_owned();
    assert!(csp.ends_with(&format!("frame-ancestors 'self' {ERP} http://localhost:8000")), "{csp}");
    assert_eq!(
        header(&res, "access-control-allow-origin"),
        Some(ERP),
        "the origin, never *"
    );
    assert_eq!(
        header(&res, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(header(&res, "access-control-max-age"), Some("600"));
    assert_eq!(header(&res, "vary"), Some("origin"));
    let methods = header(&res, "access-control-allow-methods").expect("methods");
    for m in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
        assert!(methods.contains(m), "{m} in {methods}");
    }
    let headers = header(&res, "access-control-allow-headers").expect("headers");
    for h in [
        "authorization",
        "content-type",
        "idempotency-key",
        "upload-offset",
    ] {
        assert!(headers.contains(h), "{h} in {headers}");
    }

    // An actual request, here refused for want of a token: the page must still read the error.
    let res = get(&s, "/api/v1/reference", ERP).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ERP));
    assert_eq!(
        header(&res, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        header(&res, "access-control-expose-headers"),
        Some("retry-after, upload-offset")
    );
    assert_eq!(header(&res, "vary"), Some("origin"));
    assert_eq!(
        header(&res, "cache-control"),
        Some("no-store"),
        "the API's own headers stay"
    );

    let res = get(&s, "/healthz", ERP).await;
    assert!(
        cors_headers(&res).is_empty(),
        "only the API is shared: {:?}",
        cors_headers(&res)
    );
    s.server.shutdown().await.expect("shutdown");
}

async fn another_origin_gets_no_cors_headers_and_a_403_preflight(backend: Backend) {
    let s = start(backend, &[ERP]).await;
    let res = preflight(&s, OTHER).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(cors_headers(&res).is_empty(), "{:?}", cors_headers(&res));
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("origin_not_allowed"), Some("Origin"))
    );

    let res = get(&s, "/api/v1/reference", OTHER).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "answered as usual; the browser hides it"
    );
    assert!(cors_headers(&res).is_empty(), "{:?}", cors_headers(&res));

    // A near miss is another origin: exact match only.
    let res = preflight(&s, "https://erp.example.com.evil.net").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    s.server.shutdown().await.expect("shutdown");
}

async fn unset_means_no_cors_headers_at_all(backend: Backend) {
    let s = start(backend, &[]).await;
    let res = preflight(&s, ERP).await;
    assert_ne!(res.status(), StatusCode::NO_CONTENT);
    assert!(cors_headers(&res).is_empty(), "{:?}", cors_headers(&res));
    assert_eq!(header(&res, "vary"), None);
    let res = get(&s, "/api/v1/reference", ERP).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(cors_headers(&res).is_empty(), "{:?}", cors_headers(&res));
    s.server.shutdown().await.expect("shutdown");
}
