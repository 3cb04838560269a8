//! `fetch` to the sync server, with typed failures and a time limit.

use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Request, RequestInit, Response};

use satchel_core::sync::protocol::ApiError;

use crate::error::SatchelError;

/// How long one request may take before it counts as "unreachable". A cheap phone on one bar
/// of signal is slow, but a request hanging for minutes must not stall the queue.
const TIMEOUT_MS: u32 = 20_000;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer: offline, reset, timed out.
    Unreachable,
    /// The server answered with an error status and (usually) an [`ApiError`] body.
    Status {
        /// HTTP status.
        status: u16,
        /// The body's error, or a synthetic one when the body was not JSON.
        error: ApiError,
    },
    /// A 2xx answer whose body was not what the protocol says.
    BadResponse(String),
    /// The server (or a proxy) asked to be retried later: `503` or `429` with `Retry-After`
    /// (busy, a full disk, throttling, maintenance).
    RetryLater {
        /// HTTP status.
        status: u16,
        /// The body's error, or a synthetic one when the body was not JSON.
        error: ApiError,
        /// What `Retry-After` said, in ms.
        after_ms: u64,
    },
    /// The server answers, but not to this page's origin: it does not list the origin in its
    /// CORS settings (`SATCHEL_ALLOWED_ORIGINS`). Only for a server on another origin.
    CorsRefused {
        /// The server's base URL.
        server: String,
    },
}

impl From<Failure> for SatchelError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Unreachable => SatchelError::Network,
            Failure::Status { status: 401 | 403, .. } => SatchelError::Unauthorized,
            Failure::Status { error, .. } | Failure::RetryLater { error, .. } => SatchelError::Server { detail: error.code, message: error.message },
            Failure::BadResponse(m) => SatchelError::Server { detail: "bad_response".into(), message: m },
            Failure::CorsRefused { server } => SatchelError::CorsRefused { server, page: crate::workspace::page_origin() },
        }
    }
}

/// A client for one server.
#[derive(Debug, Clone)]
pub struct Transport {
    base_url: String,
}

impl Transport {
    /// A client for the server at `base_url` (e.g. `https://satchel.example.com`).
    pub fn new(base_url: &str) -> Transport {
        Transport { base_url: base_url.trim_end_matches('/').to_owned() }
    }

    /// `GET path` with an optional bearer token, decoding a JSON answer.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, token: Option<&str>) -> Result<T, Failure> {
        self.send("GET", path, None, &[], token).await
    }

    /// `POST path` with a JSON body.
    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B, token: Option<&str>) -> Result<T, Failure> {
        let text = serde_json::to_string(body).map_err(|e| Failure::BadResponse(format!("encode: {e}")))?;
        self.send("POST", path, Some(Body::Json(text)), &[], token).await
    }

    /// `PATCH path` with raw bytes (one chunk of a blob upload) and extra headers.
    pub async fn patch_bytes<T: DeserializeOwned>(&self, path: &str, bytes: &[u8], headers: &[(&str, String)], token: Option<&str>) -> Result<T, Failure> {
        self.send("PATCH", path, Some(Body::Bytes(js_sys::Uint8Array::from(bytes))), headers, token).await
    }

    async fn send<T: DeserializeOwned>(&self, method: &str, path: &str, body: Option<Body>, extra: &[(&str, String)], token: Option<&str>) -> Result<T, Failure> {
        let init = RequestInit::new();
        init.set_method(method);
        init.set_cache(web_sys::RequestCache::NoStore);
        match &body {
            Some(Body::Json(b)) => init.set_body(&JsValue::from_str(b)),
            Some(Body::Bytes(b)) => init.set_body(b),
            None => {}
        }
        let controller = AbortController::new().map_err(|_| Failure::Unreachable)?;
        init.set_signal(Some(&controller.signal()));
        let request = Request::new_with_str_and_init(&format!("{}{}", self.base_url, path), &init)
            .map_err(|_| Failure::BadResponse("invalid request".into()))?;
        let headers = request.headers();
        let _ = headers.set("Accept", "application/json");
        match &body {
            Some(Body::Json(_)) => {
                let _ = headers.set("Content-Type", "application/json");
            }
            Some(Body::Bytes(_)) => {
                let _ = headers.set("Content-Type", "application/offset+octet-stream");
            }
            None => {}
        }
        for (name, value) in extra {
            let _ = headers.set(name, value);
        }
        if let Some(t) = token {
            let _ = headers.set("Authorization", &format!("Bearer {t}"));
        }
        let abort = {
            let controller = controller.clone();
            gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || controller.abort())
        };
        let outcome = async {
            let fetched = match JsFuture::from(fetch(&request)).await {
                Ok(f) => f,
                Err(_) if !controller.signal().aborted() && self.refused_by_cors().await => {
                    return Err(Failure::CorsRefused { server: self.base_url.clone() })
                }
                Err(_) => return Err(Failure::Unreachable),
            };
            let response: Response = fetched.dyn_into().map_err(|_| Failure::Unreachable)?;
            let text_promise = response.text().map_err(|_| Failure::Unreachable)?;
            let text = JsFuture::from(text_promise).await.map_err(|_| Failure::Unreachable)?.as_string().unwrap_or_default();
            let retry_after = response.headers().get("Retry-After").ok().flatten();
            Ok::<_, Failure>((response.status(), text, retry_after))
        }
        .await;
        abort.cancel();
        let (status, text, retry_after) = outcome?;
        if (200..300).contains(&status) {
            // 204 No Content (re-authentication) and any other empty success read as JSON null,
            // which the callers that expect no body accept.
            let body = if text.trim().is_empty() { "null" } else { text.as_str() };
            return serde_json::from_str(body).map_err(|e| Failure::BadResponse(format!("unexpected answer: {e}")));
        }
        if let (503 | 429, Some(after_ms)) = (status, retry_after.as_deref().and_then(retry_after_ms)) {
            // Busy, a full disk, throttling: the server said when to come back (a proxy's 503
            // for maintenance too). The sync loop waits that long.
            let error = serde_json::from_str::<ApiError>(&text).unwrap_or_else(|_| ApiError {
                code: format!("http_{status}"),
                message: "the server asked to be retried later".into(),
                field: None,
            });
            return Err(Failure::RetryLater { status, error, after_ms });
        }
        if status >= 500 || status == 0 {
            // The server's own `503 busy` (its password checks are all taken) is said as such;
            // a proxy's or a failing server's 5xx is "try again later", like no answer at all.
            if let Ok(error) = serde_json::from_str::<ApiError>(&text) {
                if status == 503 && error.code == "busy" {
                    return Err(Failure::Status { status, error });
                }
            }
            return Err(Failure::Unreachable);
        }
        let error = serde_json::from_str::<ApiError>(&text)
            .unwrap_or_else(|_| ApiError { code: format!("http_{status}"), message: "unexpected error body".into(), field: None });
        Err(Failure::Status { status, error })
    }
}

/// A `Retry-After` value in ms: delay-seconds (what this server sends) or an HTTP date.
fn retry_after_ms(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at = js_sys::Date::parse(value);
    at.is_finite().then(|| (at - js_sys::Date::now()).max(0.0) as u64)
}

impl Transport {
    /// After a failed fetch: whether the server is on another origin and answers there when the
    /// answer need not be readable (`mode: "no-cors"`). Then the failure was the browser
    /// refusing a cross-origin answer the server did not allow, not the network.
    async fn refused_by_cors(&self) -> bool {
        let page = crate::workspace::page_origin();
        if page.is_empty() || self.base_url.starts_with(&page) && self.base_url[page.len()..].chars().next().is_none_or(|c| c == '/') {
            return false;
        }
        let init = RequestInit::new();
        init.set_method("GET");
        init.set_mode(web_sys::RequestMode::NoCors);
        init.set_cache(web_sys::RequestCache::NoStore);
        let Ok(controller) = AbortController::new() else { return false };
        init.set_signal(Some(&controller.signal()));
        let Ok(probe) = Request::new_with_str_and_init(&format!("{}/healthz", self.base_url), &init) else { return false };
        let abort = gloo_timers::callback::Timeout::new(CORS_PROBE_TIMEOUT_MS, move || controller.abort());
        let answered = JsFuture::from(fetch(&probe)).await.is_ok();
        abort.cancel();
        answered
    }
}

/// How long the probe after a failed cross-origin fetch may take.
const CORS_PROBE_TIMEOUT_MS: u32 = 5_000;

/// A request body.
enum Body {
    Json(String),
    Bytes(js_sys::Uint8Array),
}

/// `fetch` from whichever global scope the module runs in (window or worker).
fn fetch(request: &Request) -> js_sys::Promise {
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = fetch)]
        fn global_fetch(input: &Request) -> js_sys::Promise;
    }
    global_fetch(request)
}
