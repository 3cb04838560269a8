//! Quoting an order from reference data the caller passes in, with no store and no session:
//! what an ERP front-end embedding the engine (`@satchel/engine`'s `quoteOrder`) calls. The
//! device and the server call [`quote()`] with their own data; this is the same function with
//! everything it needs in one request.

use serde::Deserialize;

use super::catalog::Catalog;
use super::error::SalesError;
use super::model::{CatalogProduct, CreditInfo, OutletInfo, PriceList, SalesContext, SalesOrder, SalesSettings};
use super::quote::{quote, Quote};
use crate::tax::model::{Customer, RuleSet, TaxError};
use crate::validation::ValidationPolicy;

/// Most products and price lists one request may carry (a large catalog is 10,000 products).
pub const MAX_REFERENCE_ITEMS: usize = 100_000;

/// Everything [`quote()`] needs, from the caller.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// The deployment's settings: the rule set's id and currency, the validation policy.
    pub settings: QuoteSettings,
    /// The rule set to tax with. Absent: the built-in rule set named by `settings.rule_set`
    /// (`"ca"`, `"pk"`, `"in"`, `"vat"`).
    #[serde(default)]
    pub rules: Option<RuleSet>,
    /// The products the order may name (at least those it names).
    pub products: Vec<CatalogProduct>,
    /// The price lists; the outlet's group picks one by the order's business date.
    pub price_lists: Vec<PriceList>,
    /// The customer.
    pub outlet: QuoteOutlet,
    /// The order as composed: SKUs and quantities, no prices.
    pub order: SalesOrder,
    /// Who, when, and what the caller knows about stock, unsynced and recent orders.
    pub context: SalesContext,
}

/// What quoting needs of the deployment's [`SalesSettings`] (the counter's and the delivery
/// day's settings play no part in a quote).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct QuoteSettings {
    /// The id of the rule set orders are taxed with; `rules`, when given, must have this id.
    pub rule_set: String,
    /// ISO 4217 code of the currency; the rule set's currency must be the same.
    pub currency: String,
    /// Where supplies come from, for interstate rules (India); absent elsewhere.
    #[serde(default)]
    pub origin: Option<String>,
    /// The validation policy (`{}` or absent: the default policy).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub policy: ValidationPolicy,
}

/// What quoting needs of an outlet ([`OutletInfo`]): its price-list group, its place of supply
/// and tax status, and its credit.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct QuoteOutlet {
    /// Stable id; the order's `outlet_id` must be the same.
    pub id: String,
    /// Trading name (for messages).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub name: String,
    /// The price-list group ([`PriceList::outlet_group`]).
    pub group: String,
    /// The place of supply for tax, a jurisdiction code of the rule set (e.g. `"CA-ON"`).
    pub place_of_supply: String,
    /// The customer as far as tax is concerned (category, exemption certificate).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub customer: Customer,
    /// Whether goods are delivered to a reserve (First Nations relief conditions).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub delivered_to_reserve: bool,
    /// Credit terms; absent: the outlet has none and the credit rule does not apply.
    #[serde(default)]
    pub credit: Option<CreditInfo>,
}

impl QuoteSettings {
    fn to_sales_settings(&self) -> SalesSettings {
        SalesSettings {
            rule_set: self.rule_set.clone(),
            currency: self.currency.clone(),
            origin: self.origin.clone(),
            policy: self.policy.clone(),
            counter: None,
            delivery: None,
        }
    }
}

impl QuoteOutlet {
    fn to_outlet_info(&self) -> OutletInfo {
        OutletInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            route: String::new(),
            address: String::new(),
            phone: String::new(),
            contact_name: String::new(),
            group: self.group.clone(),
            place_of_supply: self.place_of_supply.clone(),
            customer: self.customer.clone(),
            delivered_to_reserve: self.delivered_to_reserve,
            credit: self.credit,
            version: 0,
            invoices: Vec::new(),
            visit_notes: Vec::new(),
        }
    }
}

/// Prices, taxes and validates `request.order` exactly as the device does at commit and the
/// server on push ([`quote()`]), after checking the rule set (`rules.*` fields name what is
/// wrong in it) and the sizes of the reference data.
pub fn quote_request(request: &QuoteRequest) -> Result<Quote, SalesError> {
    for (field, len) in [("products", request.products.len()), ("price_lists", request.price_lists.len())] {
        if len > MAX_REFERENCE_ITEMS {
            return Err(SalesError::TooManyItems { field: field.into(), max: MAX_REFERENCE_ITEMS });
        }
    }
    let builtin;
    let rules = match &request.rules {
        Some(rules) => {
            crate::tax::resolve::validate_rules(rules).map_err(|e| SalesError::Tax(e.within("rules")))?;
            rules
        }
        None => {
            builtin = crate::tax::builtin::rule_set(&request.settings.rule_set).ok_or_else(|| {
                SalesError::Tax(TaxError::UnknownRuleSet {
                    field: "settings.rule_set".into(),
                    value: request.settings.rule_set.clone(),
                })
            })?;
            &builtin
        }
    };
    let catalog = Catalog::new(&request.products, &request.price_lists);
    let settings = request.settings.to_sales_settings();
    quote(&settings, rules, &catalog, &request.outlet.to_outlet_info(), &request.order, &request.context)
}
