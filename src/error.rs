//! Errors at the JavaScript boundary.
//!
//! Every failure becomes a real `Error` whose `name` is `"SatchelError"`, with a stable string
//! `code` (and `field` for validation errors). Messages never contain tokens or passwords.

use satchel_core::order::OrderError;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERRORS: &'static str = r#"
/** Stable codes carried by every error the module throws (`err.name === "SatchelError"`). */
export type SatchelErrorCode =
  | "validation"      // the input is invalid; `field` names it and `detail` is the specific rule
  | "not_signed_in"   // the workspace has no session yet
  | "bad_credentials" // wrong username or password
  | "unauthorized"    // the server no longer accepts this device's token
  | "network"         // the server could not be reached
  | "cors_refused"    // the server answers, but not to this page's origin: add the origin to its SATCHEL_ALLOWED_ORIGINS
  | "server"          // the server answered with an error; `detail` holds its code
  | "storage"         // IndexedDB failed
  | "storage_full"    // the device is out of storage quota; nothing was written
  | "pending_work"    // refused because unsynced work would be lost
  | "locked"          // the workspace is locked: unlock it with the PIN first
  | "wrong_pin"       // the PIN did not unlock; `failed_attempts` counts the wrong ones in a row
  | "too_many_attempts" // wait `retry_after_ms` before the next PIN attempt
  | "reauthentication_required" // too many wrong PINs: sign in online (password) first
  | "vault"           // the encrypted store refused an operation; `detail` says which
  | "no_document_numbers" // every leased document number is used: sync to lease more
  | "internal";       // a bug: please report it

/** The shape of every error thrown by the module. */
export interface SatchelError extends Error {
  name: "SatchelError";
  code: SatchelErrorCode;
  /** For "validation": the field, e.g. "lines[2].quantity". */
  field?: string;
  /** A finer, stable code, e.g. "non_positive_quantity" or the server's error code. */
  detail?: string;
  /** For "too_many_attempts": milliseconds until the next attempt is allowed. */
  retry_after_ms?: number;
  /** For "wrong_pin": consecutive wrong PINs so far. */
  failed_attempts?: number;
}
"#;

/// A failure of the module, before it becomes a JavaScript `Error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SatchelError {
    /// The input is invalid.
    #[error("{message}")]
    Validation {
        /// The field concerned.
        field: String,
        /// The specific rule, e.g. `non_positive_quantity`.
        detail: String,
        /// What is wrong, for a person.
        message: String,
    },
    /// No session: sign in first.
    #[error("sign in first")]
    NotSignedIn,
    /// Wrong username or password.
    #[error("wrong username or password")]
    BadCredentials,
    /// The server refused this device's credentials.
    #[error("this device is no longer authorised; sign in again")]
    Unauthorized,
    /// The server could not be reached.
    #[error("the server could not be reached")]
    Network,
    /// The server (on another origin) answers, but its CORS settings do not allow this page.
    #[error("the server at {server} does not accept requests from this page's origin ({page}): add {page} to the server's SATCHEL_ALLOWED_ORIGINS")]
    CorsRefused {
        /// The server's base URL.
        server: String,
        /// This page's origin.
        page: String,
    },
    /// The server answered with an error.
    #[error("the server refused the request ({detail}): {message}")]
    Server {
        /// The server's error code.
        detail: String,
        /// The server's message.
        message: String,
    },
    /// IndexedDB failed.
    #[error("local storage failed: {0}")]
    Storage(String),
    /// Out of storage quota.
    #[error("this device is out of storage space; nothing was saved")]
    StorageFull,
    /// Refused because unsynced work would be lost.
    #[error("{0}")]
    PendingWork(String),
    /// Signing out would throw away these drafts: the page asks the user, then signs out with
    /// `discard_drafts`.
    #[error("{} unsent draft(s) on this device would be deleted: {}", .0.len(), .0.iter().map(|d| format!("{} ({} line(s))", d.outlet, d.lines)).collect::<Vec<_>>().join(", "))]
    DraftsWouldBeLost(Vec<satchel_core::device::error::DraftSummary>),
    /// The workspace is locked.
    #[error("the workspace is locked; unlock it with your PIN")]
    Locked,
    /// The PIN did not unlock.
    #[error("wrong PIN")]
    WrongPin {
        /// Consecutive wrong PINs so far.
        failed_attempts: u32,
    },
    /// Too many wrong PINs: wait.
    #[error("too many wrong PINs; try again in {} s", retry_after_ms.div_ceil(1000))]
    TooManyAttempts {
        /// Milliseconds until the next attempt.
        retry_after_ms: u64,
    },
    /// Too many wrong PINs: an online sign-in is needed first.
    #[error("too many wrong PINs; sign in online with your password to unlock this device")]
    ReauthenticationRequired,
    /// The device has used every document number it leased; it gets more when it syncs.
    #[error("this device has no document numbers left; sync to get more")]
    NoDocumentNumbers,
    /// Another refusal of the vault.
    #[error("{0}")]
    Vault(satchel_core::vault::VaultError),
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<satchel_core::vault::VaultError> for SatchelError {
    fn from(e: satchel_core::vault::VaultError) -> Self {
        use satchel_core::vault::VaultError as V;
        match e {
            V::Locked => SatchelError::Locked,
            V::TooManyAttempts { retry_after_ms } => SatchelError::TooManyAttempts { retry_after_ms },
            V::ReauthenticationRequired => SatchelError::ReauthenticationRequired,
            other => SatchelError::Vault(other),
        }
    }
}

impl From<satchel_core::device::error::DeviceError> for SatchelError {
    fn from(e: satchel_core::device::error::DeviceError) -> Self {
        use satchel_core::device::error::DeviceError as D;
        use satchel_core::device::store::StoreError;
        match e {
            D::Locked => SatchelError::Locked,
            D::NotSignedIn => SatchelError::NotSignedIn,
            D::Invalid { field, code, message } => SatchelError::Validation { field, detail: code, message },
            D::NoDocumentNumbers => SatchelError::NoDocumentNumbers,
            D::PendingWork(m) => SatchelError::PendingWork(m),
            D::DraftsWouldBeLost(d) => SatchelError::DraftsWouldBeLost(d),
            D::Storage(StoreError::Full) => SatchelError::StorageFull,
            D::Storage(other) => SatchelError::Storage(other.to_string()),
            D::Corrupt { what } => SatchelError::Storage(format!("a {what} record could not be read")),
            D::Vault(v) => v.into(),
            D::Internal(m) => SatchelError::Internal(m),
        }
    }
}

impl SatchelError {
    /// An internal error with a message.
    pub fn internal(msg: impl Into<String>) -> Self {
        SatchelError::Internal(msg.into())
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            SatchelError::Validation { .. } => "validation",
            SatchelError::NotSignedIn => "not_signed_in",
            SatchelError::BadCredentials => "bad_credentials",
            SatchelError::Unauthorized => "unauthorized",
            SatchelError::Network => "network",
            SatchelError::CorsRefused { .. } => "cors_refused",
            SatchelError::Server { .. } => "server",
            SatchelError::Storage(_) => "storage",
            SatchelError::StorageFull => "storage_full",
            SatchelError::PendingWork(_) => "pending_work",
            SatchelError::DraftsWouldBeLost(_) => "drafts_would_be_lost",
            SatchelError::Locked => "locked",
            SatchelError::WrongPin { .. } => "wrong_pin",
            SatchelError::TooManyAttempts { .. } => "too_many_attempts",
            SatchelError::ReauthenticationRequired => "reauthentication_required",
            SatchelError::Vault(_) => "vault",
            SatchelError::NoDocumentNumbers => "no_document_numbers",
            SatchelError::Internal(_) => "internal",
        }
    }
}

impl From<OrderError> for SatchelError {
    fn from(e: OrderError) -> Self {
        SatchelError::Validation {
            field: e.field().to_owned(),
            detail: e.code().to_owned(),
            message: e.to_string(),
        }
    }
}

impl From<SatchelError> for JsValue {
    fn from(e: SatchelError) -> Self {
        let err = js_sys::Error::new(&e.to_string());
        err.set_name("SatchelError");
        let set = |k: &str, v: &str| {
            // Setting a property on a fresh Error cannot fail; ignore the impossible.
            let _ = js_sys::Reflect::set(&err, &k.into(), &v.into());
        };
        set("code", e.code());
        match &e {
            SatchelError::Validation { field, detail, .. } => {
                set("field", field);
                set("detail", detail);
            }
            SatchelError::Server { detail, .. } => set("detail", detail),
            SatchelError::Vault(v) => set("detail", v.code()),
            SatchelError::TooManyAttempts { retry_after_ms } => {
                let _ = js_sys::Reflect::set(&err, &"retry_after_ms".into(), &(*retry_after_ms as f64).into());
            }
            SatchelError::DraftsWouldBeLost(drafts) => {
                if let Ok(list) = crate::workspace::to_js_value(drafts) {
                    let _ = js_sys::Reflect::set(&err, &"drafts".into(), &list);
                }
            }
            SatchelError::WrongPin { failed_attempts } => {
                let _ = js_sys::Reflect::set(&err, &"failed_attempts".into(), &f64::from(*failed_attempts).into());
            }
            _ => {}
        }
        err.into()
    }
}

/// Turns a JSON/serde failure on input into a validation error.
pub(crate) fn bad_input(e: impl std::fmt::Display) -> SatchelError {
    SatchelError::Validation {
        field: String::new(),
        detail: "malformed".into(),
        message: format!("malformed input: {e}"),
    }
}
