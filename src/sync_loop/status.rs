//! The sync status the page shows: read from the store every time (never guessed), with the
//! leader's phase in a follower tab, and the storage's health in plain words.

use std::rc::Rc;

use serde::Serialize;

use satchel_core::device::error::DeviceError;
use satchel_core::device::health::StorageProblem;
use satchel_core::device::store::StoreError;
use satchel_core::sync::engine::Phase;

use crate::workspace::Inner;

/// What `onStatus` callbacks receive.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub(crate) struct SyncStatusView {
    /// Entries waiting; `None` when the store could not be read (never a guessed 0).
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number | null"))]
    pending: Option<u32>,
    /// Why the store could not be read, for the user (see `satchel_core::device::health`).
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_problem: Option<String>,
    phase: Phase,
    leader: bool,
    /// Age of the oldest waiting entry (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<u32>"))]
    oldest_pending_age_ms: Option<u64>,
    /// Commit-to-acknowledgement latency on this device (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<u32>"))]
    latency_p50_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<u32>"))]
    latency_p95_ms: Option<u64>,
    latency_samples: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_synced_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<SatchelErrorCodeTs>"))]
    last_error_code: Option<String>,
    /// The initial download of the reference data finished once.
    reference_complete: bool,
    /// Changes the server still had for this device at the last pull.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    reference_remaining: u64,
    /// When the last pull page was applied (server clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pulled_at: Option<String>,
    /// Bumped whenever pulled data changed what the workspace shows: re-read lists when it moves.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    reference_generation: u64,
    /// Photos waiting for upload.
    uploads_pending: usize,
}

/// The TypeScript name of an error code (declared with `SatchelError` in `error.rs`).
#[cfg(not(target_arch = "wasm32"))]
#[derive(ts_rs::TS)]
#[ts(rename = "SatchelErrorCode", type = "string")]
pub(crate) struct SatchelErrorCodeTs;

pub(crate) async fn status(inner: &Rc<Inner>) -> SyncStatusView {
    // A store that cannot be read is reported as such: "nothing waiting" is said only after the
    // outbox was read.
    let (figures, pending, storage_problem) = match inner.device.sync_figures().await {
        Ok(f) => {
            inner.sync.last_known_pending.set(f.pending);
            let pending = u32::try_from(f.pending).unwrap_or(u32::MAX);
            (f, Some(pending), None)
        }
        Err(e) => {
            let problem = match &e {
                DeviceError::Storage(StoreError::Gone(_)) => {
                    let lost_orders = inner.sync.last_known_orders.borrow().clone();
                    let lost_other = inner.sync.last_known_pending.get().saturating_sub(lost_orders.len() as u64);
                    StorageProblem::Cleared { lost_orders, lost_other }
                }
                other => StorageProblem::Unreadable { reason: other.to_string() },
            };
            (Default::default(), None, Some(problem.message()))
        }
    };
    let now = crate::now_ms() as u64;
    let oldest_pending_age_ms = figures.oldest_pending_ms.map(|t| now.saturating_sub(t));
    let sync = &inner.sync;
    let (reference_complete, reference_remaining, pulled_at) = (figures.pull.complete, figures.pull.remaining, figures.pull.pulled_at.clone());
    let reference_generation = inner.device.state().generation;
    let uploads_pending = sync.uploads_pending.get();
    if !sync.leader.get() {
        if let Some(s) = sync.leader_status.borrow().clone() {
            return SyncStatusView {
                pending,
                storage_problem,
                phase: s.phase,
                leader: false,
                oldest_pending_age_ms,
                latency_p50_ms: figures.latency_p50_ms,
                latency_p95_ms: figures.latency_p95_ms,
                latency_samples: figures.latency_samples,
                last_synced_at: s.last_synced_at,
                last_error: s.last_error,
                last_error_code: s.last_error_code,
                reference_complete,
                reference_remaining,
                pulled_at,
                reference_generation,
                uploads_pending,
            };
        }
    }
    let last_error = sync.last_error.borrow().clone();
    SyncStatusView {
        pending,
        storage_problem,
        phase: sync.phase(),
        leader: sync.leader.get(),
        oldest_pending_age_ms,
        latency_p50_ms: figures.latency_p50_ms,
        latency_p95_ms: figures.latency_p95_ms,
        latency_samples: figures.latency_samples,
        last_synced_at: sync.last_synced_at.borrow().clone(),
        last_error_code: last_error.as_ref().map(|e| e.code().to_string()),
        last_error: last_error.map(|e| e.to_string()),
        reference_complete,
        reference_remaining,
        pulled_at,
        reference_generation,
        uploads_pending,
    }
}
