//! Writes the TypeScript declarations of what `@satchel/engine` takes and returns, from the Rust
//! types themselves, into `engine/src/generated/engine.ts` (the engine's TypeScript section
//! includes it); fails when the committed file is not what the types say (`SATCHEL_WRITE_TS=1`
//! rewrites it).
//!
//! The file stands alone: the engine package does not ship `src/generated/core.ts`, so every
//! type the roots (`RuleSet`, `TaxDocument`, `TaxResult`, `TaxError`, `QuoteRequest`, `Quote`)
//! reach is declared here, dependencies first, even where `ts_bindings.rs` declares it too.
//!
//! `cargo test -p satchel-core --test ts_engine`
#![cfg(not(target_arch = "wasm32"))]

use satchel_core::money::{Dec, Rounding};
use satchel_core::sales::request::{QuoteOutlet, QuoteRequest, QuoteSettings};
use satchel_core::sales::{
    CatalogProduct, CreditInfo, OrderKind, PriceList, Quote, SalesContext, SalesLine, SalesOrder,
};
use satchel_core::tax::model::{
    Base, Certificate, CompanyCurrency, Conditions, Currency, Customer, Dialect, Discount, DiscountOn, ExemptionRule, FiscalPosition,
    FrappeRounding, Jurisdiction, RatePeriod, RepartitionPart, RuleSet, Schedule, Scope, TaxDef, TaxDocument,
    TaxError, TaxKind, TaxLine, TaxMapping,
};
use satchel_core::tax::result::{
    CashRoundingView, CompanyLineView, CompanyTaxView, CompanyView, ExemptionView, LineTaxView, LineView, PartView, TaxResult, TaxTotalView, Treatment,
};
use satchel_core::ts_export::{check_or_write, decl};
use ts_rs::TS;
use satchel_core::validation::{
    Details, Finding, OrderField, RecentLine, RecentOrder, Rule, RuleSeverities, Severity,
    StockLevel, ValidationPolicy, Verdict,
};

/// One declaration of the file, with the names of the declared types it refers to.
struct Entry {
    name: String,
    refers_to: Vec<String>,
    decl: String,
}

fn entry<T: TS + 'static>() -> Entry {
    Entry {
        name: T::ident(),
        refers_to: T::dependencies().into_iter().map(|d| d.ts_name).collect(),
        decl: decl::<T>(),
    }
}

/// The file stands alone: every type is declared once, after the types it refers to; and
/// nothing is declared that no later type (or root) needs.
fn check_self_contained(entries: &[Entry], roots: &[&str]) -> Result<(), String> {
    for (i, e) in entries.iter().enumerate() {
        let earlier = &entries[..i];
        if earlier.iter().any(|d| d.name == e.name) {
            return Err(format!("{} is declared twice", e.name));
        }
        for dep in &e.refers_to {
            if !earlier.iter().any(|d| &d.name == dep) {
                return Err(format!("{} refers to {dep}, which is not declared before it", e.name));
            }
        }
        let needed = roots.contains(&e.name.as_str())
            || entries[i + 1..].iter().any(|later| later.refers_to.contains(&e.name));
        if !needed {
            return Err(format!("{} is declared but no root reaches it", e.name));
        }
    }
    Ok(())
}

#[test]
fn engine_typescript_declarations_are_up_to_date() {
    let entries = [
        // Shared leaves.
        entry::<Dec>(),
        entry::<Rounding>(),
        // The rule set (input, and output of `builtinRuleSet`).
        entry::<Currency>(),
        entry::<Scope>(),
        entry::<FrappeRounding>(),
        entry::<Dialect>(),
        entry::<TaxKind>(),
        entry::<Base>(),
        entry::<RatePeriod>(),
        entry::<RepartitionPart>(),
        entry::<TaxDef>(),
        entry::<Schedule>(),
        entry::<Jurisdiction>(),
        entry::<Conditions>(),
        entry::<ExemptionRule>(),
        entry::<TaxMapping>(),
        entry::<FiscalPosition>(),
        entry::<RuleSet>(),
        // The document to tax.
        entry::<Discount>(),
        entry::<Certificate>(),
        entry::<Customer>(),
        entry::<TaxLine>(),
        entry::<CompanyCurrency>(),
        entry::<DiscountOn>(),
        entry::<TaxDocument>(),
        // The tax engine's answer and its error.
        entry::<Treatment>(),
        entry::<PartView>(),
        entry::<LineTaxView>(),
        entry::<LineView>(),
        entry::<TaxTotalView>(),
        entry::<ExemptionView>(),
        entry::<CashRoundingView>(),
        entry::<CompanyLineView>(),
        entry::<CompanyTaxView>(),
        entry::<CompanyView>(),
        entry::<TaxResult>(),
        entry::<TaxError>(),
        // The quote request.
        entry::<Severity>(),
        entry::<RuleSeverities>(),
        entry::<OrderField>(),
        entry::<ValidationPolicy>(),
        entry::<QuoteSettings>(),
        entry::<CatalogProduct>(),
        entry::<PriceList>(),
        entry::<CreditInfo>(),
        entry::<QuoteOutlet>(),
        entry::<OrderKind>(),
        entry::<SalesLine>(),
        entry::<SalesOrder>(),
        entry::<StockLevel>(),
        entry::<RecentLine>(),
        entry::<RecentOrder>(),
        entry::<SalesContext>(),
        entry::<QuoteRequest>(),
        // The quote.
        entry::<Rule>(),
        entry::<Details>(),
        entry::<Finding>(),
        entry::<Verdict>(),
        entry::<Quote>(),
    ];
    let roots = ["RuleSet", "TaxDocument", "TaxResult", "TaxError", "QuoteRequest", "Quote"];
    if let Err(e) = check_self_contained(&entries, &roots) {
        panic!("core/tests/ts_engine.rs: {e}");
    }
    let decls: Vec<String> = entries.into_iter().map(|e| e.decl).collect();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/src/generated/engine.ts");
    if let Err(e) = check_or_write(
        &path,
        "// Generated from the Rust types by core/tests/ts_engine.rs: do not edit.\n\
         // Every amount is a decimal string (`Dec`); the page does no arithmetic on it.\n\n",
        &decls,
        "cargo test -p satchel-core --test ts_engine",
    ) {
        panic!("{e}");
    }
}
