//! Writes the TypeScript declarations of the types that cross the JavaScript boundary, from the
//! Rust types themselves, into `src/generated/core.ts` (the Wasm module's TypeScript section includes it); fails when the committed file is
//! not what the types say (`SATCHEL_WRITE_TS=1` rewrites it).
//!
//! `cargo test -p satchel-core --test ts_bindings`
#![cfg(not(target_arch = "wasm32"))]

use satchel_core::device::error::DraftSummary;
use satchel_core::device::records::Draft;
use satchel_core::device::views::{
    CompletionView, CreditView, FindingView, LineTax, OrderView, OutletView, ProductHit,
    QuoteLineView, QuoteView, TaskItemView, TaxView,
};
use satchel_core::device::counter::RefundProposal;
use satchel_core::device::counter_views::{
    ClosedView, CounterView, ParkedView, ReceiptHit, ReceiptLineView, ReceiptTaxView, ReceiptView, ShiftView, TenderLineView,
};
use satchel_core::delivery::{Allocation, AdvancePolicy, DeliverySettings, InvoiceInfo, Method, Settlement as DaySettlement, StopOutcome, Truck, VanLine, VisitNote};
use satchel_core::device::day::{CollectRequest, EndRequest, OpenInvoiceView, StartRequest, StopRequest};
use satchel_core::device::day_views::{BilledView, CollectionView, DayView, EndedDayView, LoadLine, OpenDayView, RouteChoice, StopView};
use satchel_core::money::Dec;
use satchel_core::pos::{CashMovement, CounterSettings, ManagerApproval, ManagerKey, Denomination, RefundOf, ReturnLine, Settlement, ShiftReport, Tender};
use satchel_core::sales::{OrderKind, SalesLine, SalesOrder};
use satchel_core::device::app::BackupAdvice;
use satchel_core::sync::backup::RecoverSummary;
use satchel_core::sync::marks::MissingWork;
use satchel_core::sync::lifecycle::Status;
use satchel_core::sync::protocol::TaskStatus;
use satchel_core::ts_export::{check_or_write, decl};
use satchel_core::validation::Severity;

#[test]
fn typescript_declarations_are_up_to_date() {
    let decls = [
        decl::<Dec>(),
        decl::<OrderKind>(),
        decl::<RecoverSummary>(),
        decl::<BackupAdvice>(),
        decl::<MissingWork>(),
        decl::<Status>(),
        decl::<TaskStatus>(),
        decl::<Severity>(),
        decl::<SalesLine>(),
        decl::<SalesOrder>(),
        decl::<CreditView>(),
        decl::<OutletView>(),
        decl::<ProductHit>(),
        decl::<FindingView>(),
        decl::<LineTax>(),
        decl::<QuoteLineView>(),
        decl::<TaxView>(),
        decl::<QuoteView>(),
        decl::<OrderView>(),
        decl::<CompletionView>(),
        decl::<TaskItemView>(),
        decl::<Draft>(),
        decl::<DraftSummary>(),
        decl::<Tender>(),
        decl::<Denomination>(),
        decl::<CashMovement>(),
        decl::<ReturnLine>(),
        decl::<RefundOf>(),
        decl::<Settlement>(),
        decl::<ShiftReport>(),
        decl::<ManagerKey>(),
        decl::<ManagerApproval>(),
        decl::<CounterSettings>(),
        decl::<ShiftView>(),
        decl::<ParkedView>(),
        decl::<ClosedView>(),
        decl::<CounterView>(),
        decl::<ReceiptLineView>(),
        decl::<ReceiptTaxView>(),
        decl::<TenderLineView>(),
        decl::<ReceiptView>(),
        decl::<ReceiptHit>(),
        decl::<RefundProposal>(),
        decl::<Truck>(),
        decl::<AdvancePolicy>(),
        decl::<DeliverySettings>(),
        decl::<Method>(),
        decl::<Allocation>(),
        decl::<StopOutcome>(),
        decl::<VanLine>(),
        decl::<DaySettlement>(),
        decl::<InvoiceInfo>(),
        decl::<VisitNote>(),
        decl::<OpenInvoiceView>(),
        decl::<StartRequest>(),
        decl::<StopRequest>(),
        decl::<EndRequest>(),
        decl::<CollectRequest>(),
        decl::<RouteChoice>(),
        decl::<LoadLine>(),
        decl::<BilledView>(),
        decl::<CollectionView>(),
        decl::<StopView>(),
        decl::<OpenDayView>(),
        decl::<EndedDayView>(),
        decl::<DayView>(),
    ];
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/generated/core.ts");
    if let Err(e) = check_or_write(
        &path,
        "// Generated from the Rust types by core/tests/ts_bindings.rs: do not edit.\n\
         // Every amount is a decimal string (`Dec`); the page does no arithmetic on it.\n\n",
        &decls,
        "cargo test -p satchel-core --test ts_bindings",
    ) {
        panic!("{e}");
    }
}
