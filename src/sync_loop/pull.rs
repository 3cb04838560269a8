//! Pulling: pages fetched after the stored checkpoint and merged by core's device in one
//! transaction each, and the photos uploaded before each pull, in chunks that resume.

use std::rc::Rc;

use satchel_core::sync::engine::PullOutcome;
use satchel_core::sync::protocol::{BlobCreate, BlobStatus, PullResponse, BLOB_CHUNK_BYTES, MAX_PULL_PAGE};

use super::publish_status;
use crate::error::SatchelError;
use crate::transport::Failure;
use crate::workspace::Inner;
use crate::BrowserRng;

/// Changes per pull page the device asks for: the largest the server allows. An initial sync of
/// 10,000 products then takes a dozen round trips instead of forty, and one transaction per page
/// stays small enough for a cheap phone (a page is about 1 MB of JSON).
const DEVICE_PULL_PAGE: usize = MAX_PULL_PAGE;

/// One pull page: uploads waiting photos first (they may complete deferred mutations), then
/// fetches the page after the stored checkpoint and applies it with its checkpoint in one
/// transaction. Locked, there is nothing to do (pages are stored sealed, and the full token is
/// under the PIN): the next unlock wakes the loop again.
pub(super) async fn pull_once(inner: &Rc<Inner>) -> PullOutcome {
    let sync = &inner.sync;
    let Ok(keys) = inner.device.keys() else {
        return PullOutcome::Page { has_more: false };
    };
    let token = keys.secrets.token.clone();
    if sync.pulling.replace(true) {
        // Sign-in's initial pull is running; it leaves the data complete or says why not.
        return PullOutcome::Page { has_more: false };
    }
    let outcome = async {
        upload_photos(inner, &token).await?;
        pull_page(inner, &token).await
    }
    .await;
    sync.pulling.set(false);
    match outcome {
        Ok(has_more) => {
            *sync.last_error.borrow_mut() = None;
            PullOutcome::Page { has_more }
        }
        Err(f) => pull_failure(inner, f),
    }
}

fn pull_failure(inner: &Rc<Inner>, f: Failure) -> PullOutcome {
    let outcome = match &f {
        Failure::Unreachable | Failure::CorsRefused { .. } => PullOutcome::Unreachable,
        Failure::RetryLater { after_ms, .. } => PullOutcome::RetryLater { after_ms: *after_ms },
        Failure::Status { status: 401 | 403, error } if error.code != "token_scope" => PullOutcome::AuthRefused,
        _ => PullOutcome::Refused,
    };
    *inner.sync.last_error.borrow_mut() = Some(f.into());
    outcome
}

/// The path of the page after `checkpoint`.
fn pull_path(checkpoint: Option<&str>) -> String {
    match checkpoint {
        Some(c) => format!("/api/v1/sync/pull?limit={DEVICE_PULL_PAGE}&checkpoint={}", String::from(js_sys::encode_uri_component(c))),
        None => format!("/api/v1/sync/pull?limit={DEVICE_PULL_PAGE}"),
    }
}

/// Fetches and applies the page after the stored checkpoint; returns whether more wait.
async fn pull_page(inner: &Rc<Inner>, token: &str) -> Result<bool, Failure> {
    let state = inner.device.pull_state().await.map_err(|e| Failure::BadResponse(e.to_string()))?;
    let page: PullResponse = inner.transport.get(&pull_path(state.checkpoint.as_deref()), Some(token)).await?;
    apply_page(inner, &page).await?;
    Ok(page.has_more)
}

/// Merges a page under this device's unanswered changes and stores it with its checkpoint, in
/// one transaction (core's `apply_pull_page`).
async fn apply_page(inner: &Rc<Inner>, page: &PullResponse) -> Result<(), Failure> {
    inner.device.apply_pull_page(page, &mut BrowserRng).await.map_err(|e| Failure::BadResponse(e.to_string()))?;
    if !page.has_more {
        *inner.sync.last_synced_at.borrow_mut() = Some(js_sys::Date::new_0().to_iso_string().into());
    }
    Ok(())
}

/// Pulls every page now (sign-in's initial sync), fetching the next page while the current one
/// is stored (pages are still stored in order, each with its checkpoint). Stops at the first
/// failure, keeping every page applied so far; the loop resumes from the stored checkpoint later.
pub(crate) async fn pull_all(inner: &Rc<Inner>) -> Result<(), SatchelError> {
    let token = inner.device.keys()?.secrets.token.clone();
    if inner.sync.pulling.replace(true) {
        return Ok(());
    }
    let result = async {
        let state = inner.device.pull_state().await.map_err(|e| Failure::BadResponse(e.to_string()))?;
        let mut page: PullResponse = inner.transport.get(&pull_path(state.checkpoint.as_deref()), Some(&token)).await?;
        loop {
            if !page.has_more {
                apply_page(inner, &page).await?;
                return Ok::<(), Failure>(());
            }
            let next_path = pull_path(Some(&page.checkpoint));
            let next = inner.transport.get::<PullResponse>(&next_path, Some(&token));
            let (applied, fetched) = futures::future::join(apply_page(inner, &page), next).await;
            applied?;
            publish_status(inner);
            page = fetched?;
        }
    }
    .await;
    inner.sync.pulling.set(false);
    publish_status(inner);
    result.map_err(SatchelError::from)
}

/// Uploads the photos waiting on this device, each in chunks, resuming where the server's copy
/// ends (an interrupted upload never starts over).
async fn upload_photos(inner: &Rc<Inner>, token: &str) -> Result<(), Failure> {
    let uploads = inner.device.state().uploads().to_vec();
    inner.sync.uploads_pending.set(uploads.len());
    for upload in uploads {
        let blob = &upload.blob;
        let mut status: BlobStatus = inner.transport.post("/api/v1/blobs", &BlobCreate { blob: blob.clone() }, Some(token)).await?;
        if !status.complete {
            let Some(bytes) = inner.device.blob(&blob.sha256).await.map_err(|e| Failure::BadResponse(e.to_string()))? else {
                // The photo is gone from this device (a corrupt record): nothing to upload; the
                // server keeps the task waiting and says so.
                continue;
            };
            let path = format!("/api/v1/blobs/{}", blob.sha256);
            while !status.complete {
                let from = usize::try_from(status.received).unwrap_or(usize::MAX).min(bytes.len());
                let to = (from + BLOB_CHUNK_BYTES as usize).min(bytes.len());
                let answer: Result<BlobStatus, Failure> = inner
                    .transport
                    .patch_bytes(&path, &bytes[from..to], &[("Upload-Offset", from.to_string())], Some(token))
                    .await;
                status = match answer {
                    Ok(s) => s,
                    // Our idea of the offset was stale (an earlier answer was lost): ask and resume.
                    Err(Failure::Status { status: 409, .. }) => inner.transport.get(&path, Some(token)).await?,
                    Err(e) => return Err(e),
                };
            }
        }
        inner.device.upload_done(&blob.sha256, &mut BrowserRng).await.map_err(|e| Failure::BadResponse(e.to_string()))?;
        inner.sync.uploads_pending.set(inner.sync.uploads_pending.get().saturating_sub(1));
    }
    Ok(())
}

