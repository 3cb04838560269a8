//! The `odoo` dialect: Odoo 18's tax computation (also the 17.x online releases), expressed
//! with exact decimals. Odoo 16.0 and 17.0 compute otherwise: see [`crate::tax::odoo16`].
//!
//! Odoo computes fixed taxes first, then price-included taxes (taken out of the total), then
//! excluded ones, each rounded half-up to the currency as it is computed ("round per line"); the
//! base is then the total minus the included taxes. In "round globally" mode nothing is rounded
//! while computing: lines are taxed on their unrounded amounts (quantity × price less the
//! discount), and the document is then rounded as Odoo 18 does it
//! (`exact::odoo18_round_globally`). Odoo rounds half-up on decimals (its `float_round`
//! corrects binary noise before rounding), so exact decimal half-up reproduces it.
//!
//! Consecutive division taxes (Brazil's PIS, COFINS, ICMS …) form one batch, as Odoo's
//! `_batch_for_taxes_computation` groups them: all price-included or all excluded, none affecting
//! later bases. Excluded, each is `base × rᵢ / (1 − Σr)` over the batch; included, `price × rᵢ`.
//! Five such taxes on 32.33 (5, 3, 0.65, 9 and 15 %) come to 48.00, where computing each alone
//! gives 44.15.

use crate::money::Rounding;
use crate::tax::exact::{run, Options};
use crate::tax::model::{Scope, TaxError};
use crate::tax::plan::{Computed, Plan};

/// Computes the plan the way Odoo does.
pub fn compute(plan: &Plan, scope: Scope) -> Result<Computed, TaxError> {
    run(
        plan,
        Options {
            rounding: Rounding::HalfUp,
            scope,
            odoo18_global: true,
            fixed_first: true,
            division_batches: true,
        },
    )
}
