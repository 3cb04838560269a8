//! The tax engine: rules as data, applied to a document by the rules in force on its business
//! date at its place of supply, with the rounding of a chosen ERP dialect.
//!
//! Pipeline:
//! 1. [`model`]: the rule set (JSON, versioned, dated rates) and the document to tax.
//! 2. [`resolve`]: picks the jurisdiction's taxes in force on the business date, expands groups,
//!    orders them, applies item tax classes, exemptions and discounts: a [`plan::Plan`] of pure
//!    decimals, the same for every dialect.
//! 3. A dialect computes each line's taxes from the plan: [`exact`] (our decimal rules),
//!    [`odoo`] (Odoo 18's order, batches and rounding), [`odoo16`] (Odoo 16.0 and 17.0's
//!    untaxed-first computation), [`erpnext`] (ERPNext's binary-float arithmetic,
//!    reproduced on purpose and isolated there).
//! 4. [`result`]: totals, cash rounding and the explanation of every amount.
//!
//! [`convert`] turns an ERP's exported tax definitions (ERPNext templates, Odoo `account.tax`
//! records) into a validated rule set, refusing what the model cannot express.
//!
//! The same code runs in the browser (through the Wasm module) and on the server, so a device
//! and the server agree to the cent.

pub mod builtin;
pub mod convert;
pub mod erpnext;
pub mod exact;
pub mod model;
pub mod odoo;
pub mod odoo16;
pub mod plan;
pub mod resolve;
pub mod result;
pub mod rounding;
pub mod verify;

pub use model::{RuleSet, TaxDocument};
pub use result::TaxResult;

/// Computes the taxes of `document` under `rules`.
pub fn compute(rules: &RuleSet, document: &TaxDocument) -> Result<TaxResult, model::TaxError> {
    let plan = resolve::plan(rules, document)?;
    let computed = match &rules.dialect {
        model::Dialect::Exact { rounding, scope } => exact::compute(&plan, *rounding, *scope)?,
        model::Dialect::Odoo { scope } => odoo::compute(&plan, *scope)?,
        model::Dialect::Odoo16 { scope } => odoo16::compute(&plan, *scope)?,
        model::Dialect::Erpnext { rounding_method } => erpnext::compute(&plan, *rounding_method)?,
    };
    result::assemble(rules, document, &plan, &computed)
}
