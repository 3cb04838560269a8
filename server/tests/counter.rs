//! The counter end to end over real HTTP: a cashier registers (and gets the register's receipt
//! numbers), opens a shift, sells (cash with change, card, split, by the kilogram), refunds,
//! pays out, and closes with the device's Z report from core; the server recomputes the report
//! from the receipts it holds, stores both and flags a shift whose reports differ. Receipts are
//! priced and taxed by core on the test's side exactly as a device does.

mod common;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use satchel_core::money::Dec;
use satchel_core::pos::shift::{CashMovement, Denomination};
use satchel_core::pos::{self, CounterSale, MovementEntry, ReceiptFigures, RefundOf, ShiftClosing, ShiftOpening, ShiftReport, Tender};
use satchel_core::sales::numbering::format_number;
use satchel_core::sales::{quote, Catalog, OrderKind, SalesContext, SalesDocument, SalesLine, SalesOrder};
use satchel_core::sync::protocol::{Mutation, MutationBody, SalesReference};
use satchel_core::tax::model::RuleSet;
use serde_json::{json, Value};
use uuid::Uuid;

backend_tests! {
    a_cashier_gets_the_registers_receipt_numbers,
    a_full_shift_at_the_counter,
    a_return_without_a_receipt_needs_a_managers_approval,
}

fn d(s: &str) -> Decimal {
    dec(s).value()
}

/// Registers over HTTP and returns the device and the whole answer.
async fn register(s: &TestServer, username: &str, password: &str) -> (Device, Value) {
    let dev = s.register(username, password).await;
    // The helper keeps the ranges; the user's view is read from a second registration's answer
    // (each registration is a new device, which is what a second phone would be).
    let res = client()
        .post(s.url("/api/v1/devices"))
        .json(&json!({"username": username, "password": password, "label": "test"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), StatusCode::CREATED);
    (dev, res.json().await.expect("json"))
}

fn prefixes(ranges: &[satchel_core::sales::NumberRange]) -> Vec<&str> {
    ranges.iter().map(|r| r.prefix.as_str()).collect()
}

async fn a_cashier_gets_the_registers_receipt_numbers(backend: Backend) {
    let s = start(backend).await;
    let (cashier, answer) = register(&s, "cashier1", "cashier1-demo").await;
    assert_eq!(answer["user"]["register"], "R1");
    assert_eq!(prefixes(&cashier.number_ranges), ["SO-", "R1-"]);
    let r1 = &cashier.number_ranges[1];
    assert_eq!((r1.first, r1.last), (1, 1000), "a register's receipts are numbered from 1");
    // The second device of the same register gets the next numbers of the register's counter.
    let second: Vec<satchel_core::sales::NumberRange> =
        serde_json::from_value(answer["number_ranges"].clone()).expect("ranges");
    assert_eq!(prefixes(&second), ["SO-", "R1-"]);
    assert_eq!((second[1].first, second[1].last), (1001, 2000));

    // A rep has no register: document numbers only, and no `register` in the view.
    let (rep, answer) = register(&s, "rep1", "rep1-demo").await;
    assert_eq!(prefixes(&rep.number_ranges), ["SO-"]);
    assert!(answer["user"].get("register").is_none(), "{answer}");

    // A push that says the register's receipts run low tops up those only.
    let body = json!({"device_id": cashier.id, "mutations": [], "receipts_left": 10});
    let (status, v) = s.push_raw(Some(&cashier.token), body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let leased: Vec<satchel_core::sales::NumberRange> = serde_json::from_value(v["number_ranges"].clone()).expect("ranges");
    assert_eq!(prefixes(&leased), ["R1-"]);
    assert_eq!((leased[0].first, leased[0].last), (2001, 3000));
    // And a rep's push never leases receipt numbers.
    let body = json!({"device_id": rep.id, "mutations": [], "numbers_left": 10, "receipts_left": 10});
    let (status, v) = s.push_raw(Some(&rep.token), body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let leased: Vec<satchel_core::sales::NumberRange> = serde_json::from_value(v["number_ranges"].clone()).expect("ranges");
    assert_eq!(prefixes(&leased), ["SO-"]);

    // A rep cannot open a shift: no register; nor in another user's name.
    let opening = |cashier: &str| ShiftOpening {
        shift_id: Uuid::now_v7(),
        register: "R1".into(),
        cashier: cashier.into(),
        opened_at: Utc::now(),
        float: denominations(&[("20", 1)]),
    };
    let m = |seq: u64, o: ShiftOpening| Mutation { device_id: rep.id, seq, id: Uuid::now_v7(), body: MutationBody::ShiftOpen(o), created_at: Utc::now(), depends_on: Vec::new() };
    let v = push(&s, &rep, &[m(1, opening("rep1")), m(2, opening("cashier1"))]).await;
    assert_eq!((code(&v, 0), v["results"][0]["field"].as_str()), ("wrong_register", Some("register")), "{v}");
    assert_eq!((code(&v, 1), v["results"][1]["field"].as_str()), ("wrong_cashier", Some("cashier")), "{v}");
}

/// What the test's device knows: its reference data, rules and sequence.
struct Till<'a> {
    dev: &'a Device,
    sales: &'a SalesReference,
    rules: RuleSet,
    seq: u64,
    next_receipt: u64,
    /// Receipts without `refund_of` are returns (without a receipt).
    returning: bool,
}

/// A receipt as built on the device: the document and, when core accepts it, its figures.
struct Built {
    doc: SalesDocument,
    figures: Option<ReceiptFigures>,
}

impl Till<'_> {
    fn settings(&self) -> &pos::CounterSettings {
        self.sales.settings.counter.as_ref().expect("the deployment has a counter")
    }

    fn number(&mut self) -> String {
        let n = format_number("R1-", self.next_receipt);
        self.next_receipt += 1;
        n
    }

    /// A receipt for `outlet` priced and taxed by core; `tenders` gets the amount to settle.
    fn receipt(
        &mut self,
        shift_id: Uuid,
        outlet: &str,
        lines: &[(&str, &str)],
        refund_of: Option<&SalesDocument>,
        tenders: impl Fn(Decimal) -> Vec<Tender>,
    ) -> Built {
        let outlet = self.sales.outlets.iter().find(|o| o.id == outlet).expect("outlet in the reference");
        let catalog = Catalog::new(&self.sales.products, &self.sales.price_lists);
        let now = Utc::now();
        let order = SalesOrder {
            outlet_id: outlet.id.clone(),
            business_date: now.date_naive(),
            lines: lines.iter().map(|(sku, q)| SalesLine { sku: (*sku).into(), quantity: dec(q), discount_percent: None }).collect(),
            order_discount_percent: None,
            note: None,
            requested_delivery_date: None,
            customer_reference: None,
            cash: false,
            kind: if refund_of.is_some() || self.returning { OrderKind::Return } else { OrderKind::Sale },
        };
        let ctx = SalesContext {
            role: self.sales.role.clone(),
            now,
            stock: self.sales.van_stock.clone(),
            pending_on_device: Dec::default(),
            recent_orders: Vec::new(),
        };
        let q = quote(&self.sales.settings, &self.rules, &catalog, outlet, &order, &ctx).expect("the receipt prices");
        let number = self.number();
        let mut doc = SalesDocument::from_quote(Uuid::now_v7(), number.clone(), now, order, &q).expect("the quote commits");
        doc.counter = Some(CounterSale {
            shift_id,
            register: "R1".into(),
            tenders: tenders(doc.total.value().abs()),
            refund_of: refund_of.map(|o| RefundOf { order_id: o.order_id, receipt_number: o.document_number.clone() }),
            approval: None,
        });
        let taxes = q.taxes.as_ref().expect("taxed");
        let figures = pos::check(&doc, taxes, &self.rules, self.settings()).ok().map(|c| c.figures);
        Built { doc, figures }
    }

    fn mutation(&mut self, body: MutationBody, depends_on: &[&Mutation]) -> Mutation {
        self.seq += 1;
        Mutation {
            device_id: self.dev.id,
            seq: self.seq,
            id: Uuid::now_v7(),
            body,
            created_at: Utc::now(),
            depends_on: depends_on.iter().map(|m| m.id).collect(),
        }
    }
}

fn cash(amount: Decimal) -> Tender {
    Tender::Cash { amount: Dec(amount) }
}

/// `amount` rounded up to the nickel: what cash must cover where cash is rounded.
fn nickels(amount: Decimal) -> Decimal {
    (amount / d("0.05")).ceil() * d("0.05")
}

fn card(amount: Decimal) -> Tender {
    Tender::Card { amount: Dec(amount), reference: Some("AUTH-0042".into()) }
}

fn denominations(list: &[(&str, u32)]) -> Vec<Denomination> {
    list.iter().map(|(v, n)| Denomination { value: dec(v), count: *n }).collect()
}

/// The drawer counted as exactly `amount` (in nickels).
fn counted_as(amount: Decimal) -> Vec<Denomination> {
    let nickels: u32 = (amount / d("0.05")).trunc().normalize().to_string().parse().expect("a count");
    vec![Denomination { value: dec("0.05"), count: nickels }]
}

fn outcome(v: &Value, i: usize) -> &str {
    v["results"][i]["status"].as_str().unwrap_or_else(|| panic!("result {i}: {v}"))
}

fn code(v: &Value, i: usize) -> &str {
    v["results"][i]["code"].as_str().unwrap_or_else(|| panic!("result {i} has a code: {v}"))
}

async fn push(s: &TestServer, dev: &Device, mutations: &[Mutation]) -> Value {
    let (status, v) = s.push(dev, mutations).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{name} in\n{text}"))
}

async fn a_full_shift_at_the_counter(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("cashier1", "cashier1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let counter = sales.settings.counter.as_ref().expect("counter settings in the reference");
    assert_eq!(counter.walk_in_outlet, "WALK-IN");
    assert_eq!(counter.quick_keys.len(), 8);
    let ids: Vec<&str> = sales.outlets.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["CUST-0001", "CUST-0002", "WALK-IN"], "the shop's customers only");
    let rules = satchel_core::tax::builtin::rule_set("ca").expect("rule set");
    let mut till = Till { dev: &dev, sales, rules, seq: 0, next_receipt: 1, returning: false };

    // Open with a float of 110.
    let shift_id = Uuid::now_v7();
    let float = denominations(&[("20", 5), ("0.25", 40)]);
    let open = till.mutation(
        MutationBody::ShiftOpen(ShiftOpening { shift_id, register: "R1".into(), cashier: "cashier1".into(), opened_at: Utc::now(), float: float.clone() }),
        &[],
    );
    // Cash with change, card, split card and cash, mobile money for a weighed product.
    let with_change = till.receipt(shift_id, "WALK-IN", &[("SKU-00001", "2")], None, |t| vec![cash(t.ceil() + d("10"))]);
    let by_card = till.receipt(shift_id, "WALK-IN", &[("SKU-00004", "1")], None, |t| vec![card(t)]);
    let split = till.receipt(shift_id, "CUST-0002", &[("SKU-00005", "3"), ("SKU-00007", "1")], None, |t| {
        vec![card(d("5.00")), cash((t - d("5.00")).ceil())]
    });
    let weighed = till.receipt(shift_id, "CUST-0001", &[("SKU-00002", "0.750")], None, |t| {
        vec![Tender::Other { method: "mobile_money".into(), amount: Dec(t), reference: "MM-7731".into() }]
    });
    // One of the two sold goes back, in cash; then two more, which were never sold.
    let refund = till.receipt(shift_id, "WALK-IN", &[("SKU-00001", "1")], Some(&with_change.doc), |t| vec![cash(nickels(t))]);
    let too_many = till.receipt(shift_id, "WALK-IN", &[("SKU-00001", "2")], Some(&with_change.doc), |t| vec![cash(nickels(t))]);
    let short = till.receipt(shift_id, "WALK-IN", &[("SKU-00008", "1")], None, |t| vec![card(t - d("1.00"))]);
    assert!(short.figures.is_none(), "core refuses it on the device too");
    let built = [&with_change, &by_card, &split, &weighed, &refund];
    for b in built {
        assert!(b.figures.is_some(), "{} settles", b.doc.document_number);
    }

    let mut batch = vec![open.clone()];
    let mut receipt_mutations = Vec::new();
    for b in [&with_change, &by_card, &split, &weighed] {
        let m = till.mutation(MutationBody::SalesOrderCreate(Box::new(b.doc.clone())), &[&open]);
        receipt_mutations.push(m.clone());
        batch.push(m);
    }
    let m = till.mutation(MutationBody::SalesOrderCreate(Box::new(refund.doc.clone())), &[&open, &receipt_mutations[0]]);
    receipt_mutations.push(m.clone());
    batch.push(m);
    let first_sale = receipt_mutations[0].clone();
    batch.push(till.mutation(MutationBody::SalesOrderCreate(Box::new(too_many.doc.clone())), &[&open, &first_sale]));
    batch.push(till.mutation(MutationBody::SalesOrderCreate(Box::new(short.doc.clone())), &[&open]));
    let movements = [
        CashMovement::PaidOut { amount: dec("5.00"), reason: "window cleaner".into() },
        CashMovement::NoSale { reason: "change for the bus".into() },
    ];
    let mut movement_mutations = Vec::new();
    for mv in &movements {
        let m = till.mutation(MutationBody::CashMovement(MovementEntry { shift_id, at: Utc::now(), movement: mv.clone() }), &[&open]);
        movement_mutations.push(m.clone());
        batch.push(m);
    }
    // A movement of nothing is refused by core's rule.
    batch.push(till.mutation(
        MutationBody::CashMovement(MovementEntry { shift_id, at: Utc::now(), movement: CashMovement::PaidIn { amount: dec("0"), reason: "x".into() } }),
        &[&open],
    ));

    // The device's Z report, by core, from the receipts it committed.
    let figures: Vec<ReceiptFigures> = built.iter().map(|b| b.figures.clone().expect("figures")).collect();
    let x = pos::report(pos::count_drawer(&float), &figures, &movements, None);
    let counted = counted_as(x.expected_cash.value());
    let z = pos::report(pos::count_drawer(&float), &figures, &movements, Some(&counted));
    assert_eq!(z.variance, Some(Dec(Decimal::ZERO)));
    assert_eq!((z.sales, z.refunds, z.no_sales), (4, 1, 1));
    let mut parents: Vec<&Mutation> = vec![&open];
    parents.extend(receipt_mutations.iter());
    parents.extend(movement_mutations.iter());
    let close = till.mutation(
        MutationBody::ShiftClose(Box::new(ShiftClosing {
            shift_id,
            closed_at: Utc::now(),
            counted: counted.clone(),
            receipts: 5,
            movements: 2,
            report: z.clone(),
        })),
        &parents,
    );
    batch.push(close);
    // A receipt after the close.
    let late = till.receipt(shift_id, "WALK-IN", &[("SKU-00010", "1")], None, |t| vec![card(t)]);
    batch.push(till.mutation(MutationBody::SalesOrderCreate(Box::new(late.doc.clone())), &[&open]));

    let v = push(&s, &dev, &batch).await;
    let statuses: Vec<&str> = (0..batch.len()).map(|i| outcome(&v, i)).collect();
    assert_eq!(
        statuses,
        ["applied", "applied", "applied", "applied", "applied", "applied", "rejected", "rejected", "applied", "applied", "rejected", "applied", "rejected"],
        "{v}"
    );
    assert_eq!(code(&v, 6), "more_than_sold");
    assert_eq!(v["results"][6]["field"], "order.lines");
    assert_eq!(code(&v, 7), "tenders_incomplete");
    assert_eq!(v["results"][7]["field"], "counter.tenders");
    assert_eq!(code(&v, 10), "non_positive");
    assert_eq!(code(&v, 12), "shift_closed");
    assert_eq!(v["results"][12]["field"], "counter.shift_id");

    // The supervisor sees the shift, and the server's Z report equals the device's.
    let (status, detail) = s.get(&format!("/api/v1/shifts/{shift_id}"), &sup.token).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let server: ShiftReport = serde_json::from_value(detail["server_report"].clone()).expect("server report");
    let device: ShiftReport = serde_json::from_value(detail["device_report"].clone()).expect("device report");
    assert_eq!(server, z);
    assert_eq!(device, z);
    assert_eq!(detail["shift"]["receipts"], 5);
    assert_eq!(detail["shift"]["flagged"], false);
    assert_eq!(server.receipt_range, Some(("R1-0000001".into(), "R1-0000005".into())));
    // A cashier may not read it.
    let (status, _) = s.get("/api/v1/shifts", &dev.token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.get(&format!("/api/v1/shifts/{}", Uuid::now_v7()), &sup.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A second shift whose closing report was tampered with: applied, flagged, listed.
    let shift2 = Uuid::now_v7();
    let open2 = till.mutation(
        MutationBody::ShiftOpen(ShiftOpening { shift_id: shift2, register: "R1".into(), cashier: "cashier1".into(), opened_at: Utc::now(), float: float.clone() }),
        &[],
    );
    let sale2 = till.receipt(shift2, "WALK-IN", &[("SKU-00011", "1")], None, |t| vec![card(t)]);
    let sale2_m = till.mutation(MutationBody::SalesOrderCreate(Box::new(sale2.doc.clone())), &[&open2]);
    let figures2 = [sale2.figures.clone().expect("settles")];
    let counted2 = denominations(&[("20", 5), ("0.25", 40)]);
    let mut z2 = pos::report(pos::count_drawer(&float), &figures2, &[], Some(&counted2));
    z2.net_total = Dec(z2.net_total.value() - d("1.00"));
    let close2 = till.mutation(
        MutationBody::ShiftClose(Box::new(ShiftClosing { shift_id: shift2, closed_at: Utc::now(), counted: counted2, receipts: 1, movements: 0, report: z2 })),
        &[&open2, &sale2_m],
    );
    let second = vec![open2, sale2_m, close2];
    let v = push(&s, &dev, &second).await;
    let statuses: Vec<&str> = (0..3).map(|i| outcome(&v, i)).collect();
    assert_eq!(statuses, ["applied", "applied", "flagged"], "{v}");
    assert_eq!(v["results"][2]["reasons"][0]["rule"], "z_report_mismatch");
    let (status, list) = s.get("/api/v1/shifts", &sup.token).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let shifts = list["shifts"].as_array().expect("shifts");
    assert_eq!(shifts.len(), 2);
    assert_eq!(shifts[0]["shift_id"], shift2.to_string(), "newest first");
    assert_eq!(shifts[0]["flagged"], true);
    assert_eq!(shifts[0]["register"], "R1");
    assert_eq!(shifts[0]["cashier"], "cashier1");
    let fields: Vec<&str> = shifts[0]["differences"].as_array().expect("differences").iter().filter_map(|d| d["field"].as_str()).collect();
    assert_eq!(fields, ["net_total"]);
    assert_eq!(shifts[1]["flagged"], false);
    assert_eq!(shifts[1]["net_total"].as_str().map(d), Some(z.net_total.value()));
    assert_eq!(shifts[1]["variance"].as_str().map(d), Some(Decimal::ZERO));

    // The whole first batch again: duplicates, nothing stored twice; the flagged close of the
    // second is answered flagged again.
    let v = push(&s, &dev, &batch).await;
    assert!((0..batch.len()).all(|i| outcome(&v, i) == "duplicate"), "{v}");
    let v = push(&s, &dev, &second).await;
    assert_eq!(outcome(&v, 2), "flagged", "{v}");
    let (_, detail) = s.get(&format!("/api/v1/shifts/{shift_id}"), &sup.token).await;
    assert_eq!(detail["shift"]["receipts"], 5);
    let orders = s.orders(&sup).await;
    assert_eq!(orders.len(), 6, "five receipts of the first shift, one of the second");

    let text = s.metrics().await;
    assert_eq!(metric(&text, "satchel_receipts_total{kind=\"sale\"}"), 5);
    assert_eq!(metric(&text, "satchel_receipts_total{kind=\"refund\"}"), 1);
    assert_eq!(metric(&text, "satchel_shifts_closed_total"), 2);
    assert_eq!(metric(&text, "satchel_shifts_closed_with_differences_total"), 1);
}

/// The demo asks for a manager's approval of a return without a receipt: none, or a forged one,
/// is refused; one made with the manager's PIN (as the device makes it, by core) is applied.
async fn a_return_without_a_receipt_needs_a_managers_approval(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("cashier1", "cashier1-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let managers = sales.settings.counter.as_ref().expect("counter settings").managers.clone();
    assert_eq!(managers.iter().map(|m| m.username.as_str()).collect::<Vec<_>>(), ["super"]);
    let rules = satchel_core::tax::builtin::rule_set("ca").expect("rule set");
    let mut till = Till { dev: &dev, sales, rules, seq: 0, next_receipt: 1, returning: true };
    let shift_id = Uuid::now_v7();
    let open = till.mutation(
        MutationBody::ShiftOpen(ShiftOpening { shift_id, register: "R1".into(), cashier: "cashier1".into(), opened_at: Utc::now(), float: denominations(&[("20", 1)]) }),
        &[],
    );
    let back = |t: Decimal| vec![cash(nickels(t))];
    let unapproved = till.receipt(shift_id, "WALK-IN", &[("SKU-00001", "1")], None, back);
    assert!(unapproved.figures.is_none(), "core refuses it on the device too");
    let mut forged = till.receipt(shift_id, "WALK-IN", &[("SKU-00001", "1")], None, back);
    let fake = pos::ManagerApproval { manager: "super".into(), proof: "00".repeat(32) };
    forged.doc.counter.as_mut().expect("counter").approval = Some(fake);
    let mut approved = till.receipt(shift_id, "WALK-IN", &[("SKU-00001", "1")], None, back);
    assert!(pos::approval::approve(&managers, "super", "000000", approved.doc.order_id).is_err(), "a wrong PIN approves nothing");
    let approval = pos::approval::approve(&managers, "super", "135790", approved.doc.order_id).expect("the demo manager's PIN");
    approved.doc.counter.as_mut().expect("counter").approval = Some(approval.clone());
    // The same approval copied onto another document.
    let mut copied = till.receipt(shift_id, "WALK-IN", &[("SKU-00004", "1")], None, back);
    copied.doc.counter.as_mut().expect("counter").approval = Some(approval);
    let mut batch = vec![open.clone()];
    for b in [&unapproved, &forged, &approved, &copied] {
        batch.push(till.mutation(MutationBody::SalesOrderCreate(Box::new(b.doc.clone())), &[&open]));
    }
    let v = push(&s, &dev, &batch).await;
    let statuses: Vec<&str> = (0..batch.len()).map(|i| outcome(&v, i)).collect();
    assert_eq!(statuses, ["applied", "rejected", "rejected", "applied", "rejected"], "{v}");
    assert_eq!(code(&v, 1), "manager_approval_required");
    assert_eq!(code(&v, 2), "bad_approval");
    assert_eq!(v["results"][2]["field"], "counter.approval");
    assert_eq!(code(&v, 4), "bad_approval");
    let text = s.metrics().await;
    assert_eq!(metric(&text, "satchel_receipts_total{kind=\"refund\"}"), 1);
}
