//! Backups of unsynced work (issue 20): "Export unsynced work" (core's
//! [`satchel_core::device::app::Device::backup`] as a file), importing such a file (sent to the
//! server's `/sync/recover`, which applies it exactly once), and sending the second copies of
//! other devices' outboxes found in Cache Storage after a sign-in (`crate::outbox_copy`).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use satchel_core::device::app::{backup_advice, backups_from_copy};
use satchel_core::sync::backup::{self, Backup, RecoverResponse, RecoverSummary};
use satchel_core::sync::marks::MissingWork;

use super::{now, to_js_value, Inner, Workspace};
use crate::error::SatchelError;
use crate::transport::Failure;

/// A backup file to save: its suggested name, its text and how many changes it holds.
#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub(crate) struct BackupFileView {
    file_name: String,
    text: String,
    changes: u32,
}

/// What the second copies found after a sign-in became on the server.
#[derive(Serialize, Default, Clone)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub(crate) struct CopyRecoveryView {
    /// Copies sent, each with the server's summary.
    recovered: Vec<RecoverSummary>,
    /// Changes still waiting in copies the server did not take (offline, or another user's).
    waiting: u32,
    /// Changes the server cannot take: an earlier change of theirs is missing from the copy (it
    /// failed to copy) and from the server, and their sequence may not skip it.
    stuck: u32,
}

fn invalid(e: &backup::BackupError) -> SatchelError {
    SatchelError::Validation { field: e.field().into(), detail: e.code().into(), message: e.to_string() }
}

/// Sends `b` to the server with the full token; the server answers for each entry.
pub(crate) async fn recover(inner: &Inner, b: &Backup) -> Result<RecoverSummary, SatchelError> {
    let token = inner.device.keys()?.secrets.token.clone();
    let answer: Result<RecoverResponse, Failure> = inner.transport.post("/api/v1/sync/recover", b, Some(&token)).await;
    match answer {
        Ok(r) => Ok(r.summary),
        Err(Failure::Status { status: 403, error }) => Err(SatchelError::Server { detail: "forbidden".into(), message: format!("this backup is of another user's device: {}", error.message) }),
        Err(f) => Err(f.into()),
    }
}

/// Sends the second copies of other devices' outboxes this browser holds (its database was
/// lost and the user signed in again), deleting each copy the server took whole. Needs the
/// workspace unlocked. Best effort: a copy that cannot be sent now waits for the next unlock.
pub(crate) async fn recover_copies(inner: &Inner) -> CopyRecoveryView {
    let mut view = CopyRecoveryView::default();
    let current = inner.device.record().map(|d| d.device_id);
    for (device, values) in crate::outbox_copy::others(current).await {
        let (backups, unreadable) = backups_from_copy(device, now(), &values);
        if unreadable > 0 {
            web_sys::console::warn_1(&format!("satchel: {unreadable} entries of a second copy could not be read").into());
        }
        let mut all_taken = true;
        for b in &backups {
            match recover(inner, b).await {
                Ok(summary) => view.recovered.push(summary),
                Err(e) => {
                    web_sys::console::warn_1(&format!("satchel: a second copy of an outbox was not recovered: {e}").into());
                    let n = u32::try_from(b.entries.len()).unwrap_or(u32::MAX);
                    match &e {
                        SatchelError::Server { detail, .. } if detail == "out_of_sequence" => view.stuck = view.stuck.saturating_add(n),
                        _ => view.waiting = view.waiting.saturating_add(n),
                    }
                    all_taken = false;
                }
            }
        }
        if all_taken {
            crate::outbox_copy::drop_copy(device).await;
        }
    }
    *inner.recovered.borrow_mut() = Some(view.clone());
    view
}

/// The missing work the server listed at sign-in, less the devices whose second copy was just
/// sent whole (the server took it after it made the list).
pub(crate) fn still_missing(missing: Vec<MissingWork>, copies: &CopyRecoveryView) -> Vec<MissingWork> {
    let taken: Vec<uuid::Uuid> = copies.recovered.iter().filter(|s| s.rejected == 0 && s.waiting == 0).map(|s| s.device_id).collect();
    if copies.waiting > 0 || copies.stuck > 0 {
        return missing;
    }
    missing.into_iter().filter(|m| !taken.contains(&m.device_id)).collect()
}

#[wasm_bindgen]
impl Workspace {
    /// The work the user's other devices committed that never reached the server, as the server
    /// knew it at this sign-in (its last reported high-water marks), less what this browser's
    /// second copy then sent: each device with its changes and document numbers. Empty when
    /// nothing is missing.
    #[wasm_bindgen(js_name = missingWork, unchecked_return_type = "MissingWork[]")]
    pub fn missing_work(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&*self.inner.missing.borrow())
    }

    /// A supervisor's list of work devices committed that has not reached the server (online):
    /// each device with its user, changes, document numbers and last contact, waiting longest
    /// first.
    #[wasm_bindgen(js_name = devicesMissing, unchecked_return_type = "MissingWork[]")]
    pub async fn devices_missing(&self) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let answer: serde_json::Value = self.inner.transport.get("/api/v1/devices/missing", Some(&token)).await?;
        to_js_value(answer.get("devices").unwrap_or(&serde_json::Value::Array(Vec::new())))
    }

    /// The unsynced work as a backup file ("Export unsynced work"), or `undefined` when nothing
    /// waits. Sealed to the server: only the server can read it, and only this device could have
    /// made it. Works locked too.
    #[wasm_bindgen(js_name = exportBackup, unchecked_return_type = "BackupFileView | undefined")]
    pub async fn export_backup(&self) -> Result<JsValue, SatchelError> {
        let Some(b) = self.inner.device.backup(now()).await? else { return Ok(JsValue::UNDEFINED) };
        let user = self.inner.device.record().map(|d| d.username).unwrap_or_default();
        let safe: String = user.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(40).collect();
        let file_name = format!("satchel-unsynced-{}-{}.json", if safe.is_empty() { "device" } else { &safe }, b.created_at.format("%Y%m%d-%H%M%S"));
        let text = serde_json::to_string(&b).map_err(|e| SatchelError::internal(format!("backup: {e}")))?;
        to_js_value(&BackupFileView { file_name, text, changes: u32::try_from(b.entries.len()).unwrap_or(u32::MAX) })
    }

    /// Imports a backup file's text: the server applies what it does not hold yet (exactly once)
    /// and answers how many changes were applied, already there, refused or waiting. Needs the
    /// network and the workspace unlocked. A file that is not a backup, or was changed, is refused
    /// with a `validation` error (`not_a_backup`, `backup_tampered`, ...) and nothing is applied.
    #[wasm_bindgen(js_name = importBackup, unchecked_return_type = "RecoverSummary")]
    pub async fn import_backup(&self, text: String) -> Result<JsValue, SatchelError> {
        let b: Backup = serde_json::from_str(&text).map_err(|_| invalid(&backup::BackupError::Format))?;
        backup::check(&b).map_err(|e| invalid(&e))?;
        let summary = recover(&self.inner, &b).await?;
        to_js_value(&summary)
    }

    /// Whether to offer a backup now (core's `backup_advice`), from the browser's storage
    /// figures (`navigator.storage.estimate()`, `persisted()`; `undefined` when it cannot say)
    /// and what waits in the outbox: a `BackupAdvice`, or `undefined`.
    #[wasm_bindgen(js_name = backupAdvice, unchecked_return_type = "BackupAdvice | undefined")]
    pub async fn backup_advice(&self, used: f64, quota: f64, persisted: Option<bool>) -> Result<JsValue, SatchelError> {
        let bytes = |v: f64| if v.is_finite() && v >= 0.0 { v as u64 } else { 0 };
        let figures = self.inner.device.sync_figures().await?;
        let now_ms = crate::now_ms() as u64;
        let waited = figures.oldest_pending_ms.map(|ms| now_ms.saturating_sub(ms));
        match backup_advice(figures.pending, waited, bytes(used), bytes(quota), persisted) {
            Some(advice) => to_js_value(&advice),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// What became of the second copies found at the last sign-in or unlock, or `undefined`.
    #[wasm_bindgen(js_name = copyRecovery, unchecked_return_type = "CopyRecoveryView | undefined")]
    pub fn copy_recovery(&self) -> Result<JsValue, SatchelError> {
        match self.inner.recovered.borrow().as_ref() {
            Some(v) if !v.recovered.is_empty() || v.waiting > 0 || v.stuck > 0 => to_js_value(v),
            _ => Ok(JsValue::UNDEFINED),
        }
    }
}
