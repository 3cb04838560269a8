//! `POST /api/v1/tax/check`: the server recomputes a device's tax document with the same engine
//! and refuses it, naming the line and the tax, when the device's figures differ.
//!
//! Body: `{"rules": "<built-in rule set id>", "document": TaxDocument, "claimed": ClaimedTaxes}`.
//! `200` with the server's result when every figure matches to the cent; `422 tax_mismatch`
//! (field e.g. `claimed.lines[1].taxes.GST.amount`), `422 tax_invalid` (the document cannot be
//! taxed; field inside `document`) or `422 unknown_rule_set` otherwise. Requires a device token.

use axum::extract::State;
use axum::Json;
use satchel_core::sync::protocol::error_codes;
use satchel_core::tax::verify::{verify, ClaimedTaxes, VerifyError};
use satchel_core::tax::{builtin, TaxDocument, TaxResult};
use serde::Deserialize;

use super::JsonBody;
use crate::auth::AuthDevice;
use crate::errors::AppError;
use crate::AppState;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxCheckRequest {
    /// Built-in rule set id, e.g. `ca`.
    pub rules: String,
    /// The document as the device taxed it.
    pub document: TaxDocument,
    /// The figures the device computed.
    pub claimed: ClaimedTaxes,
}

/// Handles a check.
pub async fn check(
    State(_state): State<AppState>,
    auth: Result<AuthDevice, AppError>,
    body: Result<JsonBody<TaxCheckRequest>, AppError>,
) -> Result<Json<TaxResult>, AppError> {
    let _device = auth?;
    let JsonBody(req) = body?;
    let rules = builtin::rule_set(&req.rules).ok_or_else(|| AppError::TaxRefused {
        code: error_codes::UNKNOWN_RULE_SET,
        field: "rules".into(),
        message: format!("no rule set named {:?}", req.rules),
    })?;
    verify(&rules, &req.document, &req.claimed).map(Json).map_err(|e| match e {
        VerifyError::Tax(t) => AppError::TaxRefused {
            code: error_codes::TAX_INVALID,
            field: format!("document.{}", t.field()),
            message: format!("{} ({})", t, t.code()),
        },
        mismatch @ VerifyError::TaxMismatch { .. } => AppError::TaxRefused {
            code: error_codes::TAX_MISMATCH,
            field: format!("claimed.{}", mismatch.field()),
            message: mismatch.to_string(),
        },
    })
}
