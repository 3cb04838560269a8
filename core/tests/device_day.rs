//! The delivery day on the device, natively over the memory store: start with the load sheet
//! as sent, bill from stops with their items prefilled, collect (partial, cheque, against an
//! older invoice), prove deliveries with a signature, fail one with goods back, skip one, add an
//! unplanned one, end with a counted van; the settlement recomputed from what the server
//! receives (the outbox opened with its key) equals the device's; and a collection whose
//! invoice the server refuses shows held.

use std::collections::BTreeMap;

use satchel_core::delivery::{self, DayDocument, DayRecords, Method, Stop, StopOutcome};
use satchel_core::device::app::{Ids, NewVault};
use satchel_core::device::changes::Photo;
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::day::{CollectRequest, EndRequest, StartRequest, StopRequest};
use satchel_core::device::store::MemoryStore;
use satchel_core::device::testkit::{block_on, id, now, page, Fixture};
use satchel_core::device::Device;
use satchel_core::money::{parse_decimal, Dec};
use satchel_core::sales::{NumberRange, OrderKind};
use satchel_core::sync::protocol::{BlobRef, MutationBody, MutationResult, Outcome};
use satchel_core::vault::{InsecureTestRng, LockState, Zeroizing};

fn d(s: &str) -> Dec {
    Dec(parse_decimal(s).expect("a decimal literal"))
}

fn route() -> serde_json::Value {
    let product = |sku: &str, name: &str| serde_json::json!({"sku": sku, "name": name, "unit": "case", "quantity_places": 0});
    let outlet = |id: &str, name: &str, invoices: serde_json::Value| {
        serde_json::json!({"id": id, "name": name, "route": "D1", "address": "2 Depot Road", "phone": "+254 700 000 000",
            "contact_name": "Amina", "group": "retail", "place_of_supply": "CA-ON", "version": 1,
            "credit": {"limit": "2000.00", "outstanding": "300.00", "as_of": "2026-11-22T06:00:00Z"},
            "invoices": invoices, "visit_notes": [{"on": "2026-11-15", "by": "driver1", "note": "Back door after 2 pm"}]})
    };
    let task = |id: &str, outlet: &str, items: serde_json::Value| {
        serde_json::json!({"id": id, "outlet_id": outlet, "kind": "delivery", "title": format!("Deliver {id}"), "details": "", "status": "open",
            "due_date": "2026-11-22", "items": items})
    };
    serde_json::json!([
        {"entity": "settings", "key": "sales", "data": {"settings": {"rule_set": "ca", "currency": "CAD",
            "delivery": {"routes": ["D1"], "sites": ["North depot"], "trucks": [{"id": "KDA-101", "label": "Van 1"}],
                "failure_reasons": ["Shop closed"], "skip_reasons": ["Out of time"]}}, "role": "rep"}},
        {"entity": "price_list", "key": "PL-1", "data": {"id": "PL-1", "outlet_group": "retail", "valid_from": "2020-01-01",
            "prices": {"SKU-00001": "10.00", "SKU-00002": "20.00"}}},
        {"entity": "product", "key": "SKU-00001", "data": product("SKU-00001", "Rice 10 kg")},
        {"entity": "product", "key": "SKU-00002", "data": product("SKU-00002", "Oil 5 L")},
        {"entity": "outlet", "key": "D-01", "data": outlet("D-01", "Amina Stores", serde_json::json!([
            {"order_id": id(900), "number": "SO-0900", "issued_on": "2026-10-20", "total": "300.00", "outstanding": "300.00"}]))},
        {"entity": "outlet", "key": "D-02", "data": outlet("D-02", "Baraka Shop", serde_json::json!([]))},
        {"entity": "outlet", "key": "D-03", "data": outlet("D-03", "Chai Point", serde_json::json!([]))},
        {"entity": "outlet", "key": "D-04", "data": outlet("D-04", "Duka Moja", serde_json::json!([]))},
        {"entity": "van_stock", "key": "SKU-00001", "data": {"available": "20", "as_of": "2026-11-22T06:00:00Z"}},
        {"entity": "van_stock", "key": "SKU-00002", "data": {"available": "10", "as_of": "2026-11-22T06:00:00Z"}},
        {"entity": "task", "key": "T-1", "data": task("T-1", "D-01", serde_json::json!([{"sku": "SKU-00001", "quantity": "2"}]))},
        {"entity": "task", "key": "T-2", "data": task("T-2", "D-02", serde_json::json!([{"sku": "SKU-00001", "quantity": "1"}, {"sku": "SKU-00002", "quantity": "1"}]))},
        {"entity": "task", "key": "T-3", "data": task("T-3", "D-03", serde_json::json!([{"sku": "SKU-00002", "quantity": "3"}]))},
        {"entity": "task", "key": "T-4", "data": task("T-4", "D-04", serde_json::json!([{"sku": "SKU-00001", "quantity": "1"}]))},
    ])
}

async fn crew(f: &Fixture) -> Device<MemoryStore> {
    let device = Device::open(MemoryStore::new()).await.expect("opens");
    let new = NewVault {
        device: f.device.clone(),
        vault: f.vault.clone(),
        lock: LockState { locked: false, ..LockState::default() },
        number_ranges: vec![NumberRange { prefix: "SO-".into(), first: 1000, last: 1999 }],
    };
    device.create_vault(new, f.keys().expect("keys"), &mut InsecureTestRng::new(7)).await.expect("signs in");
    device.apply_pull_page(&page("v1", false, route()).expect("a page"), &mut InsecureTestRng::new(8)).await.expect("pulls");
    device
}

fn ids(n: u64) -> Ids {
    Ids { record: id(n), mutation: id(n + 1000) }
}

fn blob(n: u8) -> Photo {
    let bytes = vec![n; 64];
    let sha = satchel_core::sync::blobs::sha256_hex(&bytes);
    Photo { blob: BlobRef { sha256: sha, size: 64, content_type: "image/png".into() }, bytes: Zeroizing::new(bytes) }
}

fn stop(task: &str, outcome: &str, reason: &str, recipient: &str) -> StopRequest {
    StopRequest { task_id: task.into(), outcome: outcome.into(), reason: reason.into(), recipient: recipient.into(), note: String::new() }
}

#[test]
fn a_day_from_load_sheet_to_settlement_equal_on_both_sides() {
    block_on(async {
        let f = Fixture::new(41);
        let device = crew(&f).await;
        let rng = &mut InsecureTestRng::new(9);
        let view = device.day_view(now()).expect("view");
        assert_eq!(view.routes.iter().map(|r| (r.route.as_str(), r.planned)).collect::<Vec<_>>(), vec![("D1", 4)]);
        assert_eq!(view.van.len(), 2);

        let bad = StartRequest { site: "North depot".into(), route: "D1".into(), truck: "NOPE".into(), counted: None, odometer: 1200, float: d("50.00") };
        let e = device.start_day(bad, now(), ids(1), rng).await.expect_err("unknown truck");
        assert!(e.to_string().contains("truck"), "{e}");
        let start = StartRequest { truck: "KDA-101".into(), site: "North depot".into(), route: "D1".into(), counted: None, odometer: 1200, float: d("50.00") };
        let view = device.start_day(start.clone(), now(), ids(2), rng).await.expect("starts");
        let open = view.open.expect("open");
        assert_eq!(open.stops.iter().map(|s| s.task_id.as_str()).collect::<Vec<_>>(), vec!["T-1", "T-2", "T-3", "T-4"]);
        assert_eq!(open.stops[0].invoices.len(), 1, "the older invoice is in the customer's context");
        assert_eq!(open.stops[0].oldest_days, Some(33));
        assert_eq!(open.stops[0].notes[0].note, "Back door after 2 pm");
        assert!(device.start_day(start, now(), ids(3), rng).await.is_err(), "one day at a time");

        // Reorder, then an unplanned stop.
        let v = device.reorder_stops(vec!["T-2".into(), "T-1".into(), "T-3".into(), "T-4".into()], now(), rng).await.expect("reordered");
        assert_eq!(v.open.as_ref().map(|o| o.stops[0].task_id.clone()), Some("T-2".into()));
        assert!(device.reorder_stops(vec!["T-2".into()], now(), rng).await.is_err(), "every stop once");
        device.add_unplanned_stop("D-03", "", now(), "U-1", rng).await.expect("added");

        // Bill T-1 and T-2 from their items; T-1 is 2 x 10.00 + 13 % = 22.60.
        let mut invoices = Vec::new();
        for (n, task) in [(10u64, "T-1"), (11, "T-2"), (12, "U-1")] {
            let mut order = device.stop_order(task, now().date_naive()).expect("prefilled");
            if task == "U-1" {
                order.lines = vec![satchel_core::sales::SalesLine { sku: "SKU-00002".into(), quantity: d("1"), discount_percent: None }];
            }
            let req = CommitRequest { order, draft_id: None, task_id: Some(task.into()) };
            let (o, _) = device.commit_order(req, now(), ids(n), rng).await.expect("billed");
            assert_eq!(o.document.delivery.as_ref().map(|l| l.task_id.as_str()), Some(task));
            invoices.push(o);
        }
        assert_eq!(invoices[0].document.order.lines[0].quantity, d("2"));
        assert_eq!(invoices[0].document.total, d("22.60"));

        // Collect: a partial 10.00 in cash on T-1's invoice, the older invoice by cheque, T-2's in full by mobile money.
        let alloc = |o: uuid::Uuid, a: &str| satchel_core::delivery::Allocation { order_id: o, amount: d(a) };
        let partial = CollectRequest { outlet_id: "D-01".into(), method: Method::Cash, amount: d("10.00"), allocations: Some(vec![alloc(invoices[0].document.order_id, "10.00")]) };
        device.collect(partial, now(), ids(20), rng).await.expect("partial");
        let too_much = CollectRequest { outlet_id: "D-01".into(), method: Method::Cash, amount: d("20.00"), allocations: Some(vec![alloc(invoices[0].document.order_id, "20.00")]) };
        let e = device.collect(too_much, now(), ids(21), rng).await.expect_err("more than owed");
        assert!(matches!(&e, satchel_core::device::DeviceError::Invalid { code, .. } if code == "more_than_owed"), "{e:?}");
        let cheque = Method::Cheque { number: "000123".into(), bank: "KCB".into(), date: "2026-11-22".parse().expect("date") };
        let by_cheque = CollectRequest { outlet_id: "D-01".into(), method: cheque, amount: d("300.00"), allocations: Some(vec![alloc(id(900), "300.00")]) };
        device.collect(by_cheque, now(), ids(22), rng).await.expect("cheque");
        let mm = CollectRequest { outlet_id: "D-02".into(), method: Method::MobileMoney { reference: "QX12".into() }, amount: invoices[1].document.total, allocations: None };
        let v = device.collect(mm, now(), ids(23), rng).await.expect("oldest first");
        let open = v.open.expect("open");
        let t1 = open.stops.iter().find(|s| s.task_id == "T-1").expect("T-1");
        assert_eq!(t1.invoices.iter().map(|i| (i.number.as_str(), i.outstanding)).collect::<Vec<_>>(), vec![(invoices[0].document.document_number.as_str(), d("12.60"))]);
        let credit = t1.credit.as_ref().expect("credit");
        assert_eq!(credit.pending_on_device, d("-287.40"), "22.60 billed less 310.00 collected, on top of the server's 300.00");

        // Stops: T-2 delivered with a signature and a photo; T-1 too; T-3 fails (goods back); T-4 skipped; U-1 delivered.
        let no_sig = device.record_stop(stop("T-2", "done", "", "Baraka"), None, vec![], now(), id(30), rng).await.expect_err("needs a signature");
        assert!(no_sig.to_string().contains("signature"), "{no_sig}");
        device.record_stop(stop("T-2", "done", "", "Baraka"), Some(blob(1)), vec![blob(2)], now(), id(31), rng).await.expect("done");
        device.record_stop(stop("T-1", "done", "", "Amina"), Some(blob(3)), vec![], now(), id(32), rng).await.expect("done");
        let e = device.record_stop(stop("U-1", "failed", "Shop closed", ""), None, vec![], now(), id(33), rng).await.expect_err("billed stop");
        assert!(matches!(&e, satchel_core::device::DeviceError::Invalid { code, .. } if code == "stop_invoiced"), "{e:?}");
        device.record_stop(stop("U-1", "done", "", "Wanjiru"), Some(blob(4)), vec![], now(), id(34), rng).await.expect("done");
        device.record_stop(stop("T-3", "failed", "Shop closed", ""), None, vec![], now(), id(35), rng).await.expect("failed");
        device.record_stop(stop("T-4", "skipped", "Out of time", ""), None, vec![], now(), id(36), rng).await.expect("skipped");
        assert!(device.record_stop(stop("T-4", "done", "", "x"), Some(blob(5)), vec![], now(), id(37), rng).await.is_err(), "once");

        // End: the van counted one rice short.
        let summary = device.day_view(now()).expect("view").open.expect("open").summary;
        assert_eq!((summary.done, summary.failed, summary.skipped, summary.unplanned, summary.invoices), (3, 1, 1, 1, 3));
        let expected: BTreeMap<String, Dec> = summary.van.iter().map(|l| (l.sku.clone(), l.expected)).collect();
        assert_eq!(expected.get("SKU-00001"), Some(&d("17")), "20 loaded - 2 - 1");
        let mut counted = expected.clone();
        counted.insert("SKU-00001".into(), d("16"));
        let end = EndRequest { counted_van: counted.clone(), counted_cash: d("60.00"), odometer: 1290 };
        let ended = device.end_day(end, Some(blob(6)), now(), id(40), rng).await.expect("ended");
        assert_eq!(ended.settlement.van_variances, 1);
        assert_eq!(ended.settlement.cash_variance, Some(d("0.00")));
        assert_eq!(ended.settlement.collected.get("cheque"), Some(&d("300.00")));
        assert!(device.day_view(now()).expect("view").open.is_none());

        // What the server receives, recomputed the server's way from the mutations alone.
        let sent = f.sent(&device).await.expect("the server opens the outbox");
        let start = sent.iter().find_map(|m| match &m.body { MutationBody::DayStart(s) => Some((m.id, s.clone())), _ => None }).expect("start");
        let mut records = DayRecords { opening_float: start.1.float, loaded: start.1.loaded.clone(), ..DayRecords::default() };
        let mut stops: BTreeMap<String, Stop> = start.1.plan.iter().map(|t| (t.clone(), Stop { task_id: t.clone(), unplanned: false, outcome: None })).collect();
        let mut end = None;
        for m in &sent {
            match &m.body {
                MutationBody::SalesOrderCreate(doc) if doc.delivery.is_some() => {
                    assert!(m.depends_on.contains(&start.0), "an invoice of the day depends on its start");
                    records.documents.push(DayDocument {
                        order_id: doc.order_id,
                        number: doc.document_number.clone(),
                        returned: doc.order.kind == OrderKind::Return,
                        total: doc.total,
                        lines: doc.order.lines.iter().map(|l| (l.sku.clone(), l.quantity)).collect(),
                    })
                }
                MutationBody::TaskComplete(c) => {
                    let s = c.day.as_ref().expect("a stop");
                    assert_eq!(m.depends_on, vec![start.0]);
                    stops.insert(c.task_id.clone(), Stop { task_id: c.task_id.clone(), unplanned: s.unplanned_at.is_some(), outcome: Some(s.outcome.clone()) });
                    if let StopOutcome::Failed { .. } = s.outcome {
                        assert_eq!(s.goods_back.get("SKU-00002"), Some(&d("3")), "the goods stay on the van");
                    }
                }
                MutationBody::CollectionRecord(c) => {
                    assert!(m.depends_on.contains(&start.0));
                    records.collections.push(c.collection.clone())
                }
                MutationBody::DayEnd(e) => {
                    assert_eq!(m.depends_on.len(), 6, "the start and the five stops");
                    end = Some(e.clone());
                }
                _ => {}
            }
        }
        let end = end.expect("the end is queued");
        assert_eq!(sent.last().map(|m| m.body.kind()), Some("day.end"), "the end comes after everything it counts");
        records.stops = stops.into_values().collect();
        records.uploads_pending = end.settlement.uploads_pending;
        let server = delivery::settle(&records, Some(&end.counted_van), Some(end.counted_cash));
        assert_eq!(delivery::differences(&end.settlement, &server), vec![], "the server's settlement equals the device's");
    });
}

#[test]
fn a_collection_on_a_refused_invoice_shows_held() {
    block_on(async {
        let f = Fixture::new(42);
        let device = crew(&f).await;
        let rng = &mut InsecureTestRng::new(10);
        let start = StartRequest { truck: "KDA-101".into(), site: "North depot".into(), route: "D1".into(), counted: None, odometer: 1, float: d("0") };
        device.start_day(start, now(), ids(1), rng).await.expect("starts");
        let order = device.stop_order("T-2", now().date_naive()).expect("prefilled");
        let (invoice, _) = device.commit_order(CommitRequest { order, draft_id: None, task_id: Some("T-2".into()) }, now(), ids(2), rng).await.expect("billed");
        let c = CollectRequest { outlet_id: "D-02".into(), method: Method::Cash, amount: d("5.00"), allocations: None };
        let v = device.collect(c, now(), ids(3), rng).await.expect("collected");
        assert_eq!(v.open.as_ref().map(|o| o.collections[0].state.clone()), Some("queued".into()));
        let sent = f.sent(&device).await.expect("the server opens the outbox");
        let col = sent.iter().find(|m| m.body.kind() == "collection.record").expect("queued");
        assert!(col.depends_on.contains(&invoice.mutation_id), "the collection depends on its invoice");
        let inv = sent.iter().find(|m| m.id == invoice.mutation_id).expect("invoice");
        let refused = MutationResult { seq: inv.seq, id: inv.id, outcome: Outcome::Rejected { code: "price_mismatch".into(), reason: "prices changed".into(), field: None } };
        device.acknowledge(&[refused], &[], 0, rng).await.expect("answered");
        let v = device.day_view(now()).expect("view");
        let held = &v.open.as_ref().expect("open").collections[0];
        assert_eq!(held.state, "held");
        assert!(held.reason.as_deref().is_some_and(|r| r.contains("prices changed")), "{held:?}");
        let summary = &v.open.expect("open").summary;
        assert_eq!((summary.invoices, summary.collected.get("cash")), (0, None), "neither the refused invoice nor its held collection counts");
    });
}
