//! What the device's use cases refuse, and why: one error type with a stable code.

use serde::Serialize;

use super::store::StoreError;
use crate::sales::SalesError;
use crate::sync::edits::EditError;
use crate::sync::tasks::CompletionError;
use crate::vault::VaultError;

/// A draft that signing out would throw away, named for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct DraftSummary {
    /// Its id.
    pub draft_id: String,
    /// The outlet's name (or its id, or "no outlet yet").
    pub outlet: String,
    /// How many lines it has.
    pub lines: usize,
    /// When it was last edited.
    pub updated_at: String,
}

/// Why the device refused a use case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// The workspace is locked: business data cannot be read or written.
    #[error("the workspace is locked; unlock it with your PIN")]
    Locked,
    /// No session on this device.
    #[error("sign in first")]
    NotSignedIn,
    /// The input is invalid; `field` names it and `code` the rule.
    #[error("{message}")]
    Invalid {
        /// The field.
        field: String,
        /// The rule, e.g. `too_long`.
        code: String,
        /// For the user.
        message: String,
    },
    /// Every leased document number is used: the device gets more when it syncs.
    #[error("this device has no document numbers left; sync to get more")]
    NoDocumentNumbers,
    /// Refused because unsynced work would be lost.
    #[error("{0}")]
    PendingWork(String),
    /// Signing out would throw away these drafts: ask the user, then sign out with their consent.
    #[error("{} draft(s) on this device would be lost: {}", .0.len(), .0.iter().map(|d| d.outlet.as_str()).collect::<Vec<_>>().join(", "))]
    DraftsWouldBeLost(Vec<DraftSummary>),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StoreError),
    /// A record the device needs could not be read.
    #[error("corrupt {what} record")]
    Corrupt {
        /// Which.
        what: String,
    },
    /// The vault refused (a nonce budget spent, a wrong key).
    #[error("{0}")]
    Vault(#[from] VaultError),
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DeviceError {
    /// A validation error.
    pub fn invalid(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        DeviceError::Invalid { field: field.into(), code: code.into(), message: message.into() }
    }

    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            DeviceError::Locked => "locked",
            DeviceError::NotSignedIn => "not_signed_in",
            DeviceError::Invalid { .. } => "validation",
            DeviceError::NoDocumentNumbers => "no_document_numbers",
            DeviceError::PendingWork(_) | DeviceError::DraftsWouldBeLost(_) => "pending_work",
            DeviceError::Storage(StoreError::Full) => "storage_full",
            DeviceError::Storage(StoreError::Gone(_)) => "storage_lost",
            DeviceError::Storage(_) | DeviceError::Corrupt { .. } => "storage",
            DeviceError::Vault(_) => "vault",
            DeviceError::Internal(_) => "internal",
        }
    }
}

impl From<SalesError> for DeviceError {
    fn from(e: SalesError) -> Self {
        DeviceError::invalid(e.field(), e.code(), e.to_string())
    }
}

impl From<EditError> for DeviceError {
    fn from(e: EditError) -> Self {
        DeviceError::invalid(e.field(), e.code(), e.to_string())
    }
}

impl From<CompletionError> for DeviceError {
    fn from(e: CompletionError) -> Self {
        DeviceError::invalid(e.field(), e.code(), e.to_string())
    }
}
