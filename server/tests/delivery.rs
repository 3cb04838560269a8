//! The delivery day end to end over real HTTP: the demo driver pulls the route (delivery
//! settings, customers with their older invoices and visit notes, tasks with their items),
//! starts a day with the van as sent, bills from stops (linked to the day, a return too),
//! collects (partial cash, a cheque for an older invoice, mobile money), proves deliveries with
//! signatures uploaded as blobs, fails one with goods back, skips one, adds one on the road, and
//! ends with the device's settlement computed by core from the device's own records; the server
//! recomputes it from its tables. Documents are priced and taxed by core on the test's side
//! exactly as a device does.

mod common;

use std::collections::BTreeMap;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use satchel_core::delivery::{
    self, Allocation, Collection, CollectionEntry, DayDocument, DayEnd, DayLink, DayRecords, DayStart, DayStop, Method, Settlement, Stop,
    StopOutcome,
};
use satchel_core::money::Dec;
use satchel_core::sales::numbering::format_number;
use satchel_core::sales::{OrderKind, OutletInfo, SalesDocument};
use satchel_core::sync::protocol::{BlobRef, Mutation, MutationBody, PullResponse, SalesReference, TaskCompletion};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

backend_tests! {
    a_full_day_settles_to_the_cent_on_both_sides,
    a_tampered_settlement_is_flagged_with_the_figure,
    a_collection_of_more_than_owed_is_refused_and_writes_nothing,
    a_day_is_the_signed_in_crews_own,
    only_a_supervisor_approves_an_ended_day,
    a_demo_database_without_the_crew_gets_it_on_restart,
}

fn d(s: &str) -> Decimal {
    dec(s).value()
}

fn outcome(v: &Value, i: usize) -> &str {
    v["results"][i]["status"].as_str().unwrap_or_else(|| panic!("result {i}: {v}"))
}

fn code(v: &Value, i: usize) -> &str {
    v["results"][i]["code"].as_str().unwrap_or_else(|| panic!("result {i} has a code: {v}"))
}

fn field(v: &Value, i: usize) -> &str {
    v["results"][i]["field"].as_str().unwrap_or_else(|| panic!("result {i} has a field: {v}"))
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

/// A signature drawn on the screen: some PNG-typed bytes, and their reference.
fn signature(salt: u8) -> (Vec<u8>, BlobRef) {
    let bytes: Vec<u8> = (0..300u32).map(|i| (i as u8).wrapping_mul(7) ^ salt).collect();
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let r = BlobRef { sha256: sha, size: bytes.len() as u64, content_type: "image/png".into() };
    (bytes, r)
}

/// Announces and uploads a blob whole, in one chunk.
async fn upload(s: &TestServer, dev: &Device, bytes: &[u8], blob: &BlobRef) {
    let res = s.http.post(s.url("/api/v1/blobs")).bearer_auth(&dev.token).json(blob).send().await.expect("announce");
    assert!(res.status().is_success(), "announce: {}", res.status());
    let res = s
        .http
        .patch(s.url(&format!("/api/v1/blobs/{}", blob.sha256)))
        .bearer_auth(&dev.token)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("upload");
    let status = res.status();
    let v: Value = res.json().await.expect("json");
    assert!(status.is_success() && v["complete"] == true, "{status} {v}");
}

/// Every record the user's devices pull, in one page.
async fn pulled(s: &TestServer, dev: &Device) -> PullResponse {
    let (status, v) = s.get("/api/v1/sync/pull?limit=2000", &dev.token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let p: PullResponse = serde_json::from_value(v).expect("a pull response");
    assert!(!p.has_more);
    p
}

fn pulled_data(p: &PullResponse, entity: &str, key: &str) -> Value {
    p.changes
        .iter()
        .find(|c| serde_json::to_value(c.entity).ok().and_then(|e| e.as_str().map(|e| e == entity)).unwrap_or(false) && c.key == key)
        .and_then(|c| c.decode::<Value>().expect("the record is JSON"))
        .unwrap_or_else(|| panic!("{entity} {key} in the pull"))
}

/// The outlet as the user's reference data has it now.
async fn outlet(s: &TestServer, dev: &Device, id: &str) -> OutletInfo {
    let r = s.reference(dev).await;
    sales_of(&r).outlets.iter().find(|o| o.id == id).cloned().unwrap_or_else(|| panic!("outlet {id}"))
}

/// A crew member's device, as the test plays it: the reference data, the sequence, the leased
/// numbers, and the day's records as the device holds them (core's `device::day::records`).
struct Crew {
    dev: Device,
    sales: SalesReference,
    seq: u64,
    next_number: u64,
    day_id: Uuid,
    start: Option<Mutation>,
    records: DayRecords,
    stop_mutations: Vec<Mutation>,
}

impl Crew {
    async fn new(s: &TestServer, username: &str, password: &str) -> Crew {
        let dev = s.register(username, password).await;
        let reference = s.reference(&dev).await;
        let sales = sales_of(&reference).clone();
        let next_number = dev.number_ranges.iter().find(|r| r.prefix == "SO-").expect("document numbers").first;
        Crew { dev, sales, seq: 0, next_number, day_id: Uuid::now_v7(), start: None, records: DayRecords::default(), stop_mutations: Vec::new() }
    }

    fn mutation(&mut self, body: MutationBody, depends_on: &[&Mutation]) -> Mutation {
        self.seq += 1;
        Mutation { device_id: self.dev.id, seq: self.seq, id: Uuid::now_v7(), body, created_at: Utc::now(), depends_on: depends_on.iter().map(|m| m.id).collect() }
    }

    fn start_mutation(&self) -> Mutation {
        self.start.clone().expect("the day started")
    }

    /// `day.start` with the van as sent, the float and the plan, in `crew`'s name.
    fn start_day(&mut self, crew: &str, route: &str, plan: &[&str], float: &str) -> Mutation {
        let loaded: BTreeMap<String, Dec> =
            self.sales.van_stock.iter().filter(|(_, l)| l.available.value() > Decimal::ZERO).map(|(sku, l)| (sku.clone(), l.available)).collect();
        let start = DayStart {
            day_id: self.day_id,
            crew: crew.into(),
            site: "North depot".into(),
            route: route.into(),
            truck: "KDA-101".into(),
            started_at: Utc::now(),
            loaded: loaded.clone(),
            accepted_as_sent: true,
            odometer: 48_200,
            float: dec(float),
            plan: plan.iter().map(|t| (*t).to_string()).collect(),
        };
        self.records = DayRecords {
            opening_float: dec(float),
            loaded,
            stops: plan.iter().map(|t| Stop { task_id: (*t).into(), unplanned: false, outcome: None }).collect(),
            ..DayRecords::default()
        };
        let m = self.mutation(MutationBody::DayStart(start), &[]);
        self.start = Some(m.clone());
        m
    }

    /// An invoice (or a return) billed from a stop, linked to the day, priced by core.
    fn bill(&mut self, outlet: &str, task: &str, lines: &[(&str, &str)], kind: OrderKind) -> (SalesDocument, Mutation) {
        let number = format_number("SO-", self.next_number);
        self.next_number += 1;
        let mut doc = sales_doc(&self.sales, outlet, lines, kind, number);
        doc.delivery = Some(DayLink { day_id: self.day_id, task_id: task.into() });
        // As the device counts it (core's `device::day::records`).
        let mut per_sku: BTreeMap<String, Decimal> = BTreeMap::new();
        for l in &doc.order.lines {
            *per_sku.entry(l.sku.clone()).or_default() += l.quantity.value();
        }
        self.records.documents.push(DayDocument {
            order_id: doc.order_id,
            number: doc.document_number.clone(),
            returned: kind == OrderKind::Return,
            total: Dec(doc.total.value().abs()),
            lines: per_sku.into_iter().map(|(k, v)| (k, Dec(v))).collect(),
        });
        let start = self.start_mutation();
        let m = self.mutation(MutationBody::SalesOrderCreate(Box::new(doc.clone())), &[&start]);
        (doc, m)
    }

    /// A collection against invoices, depending on the start and on the invoices of the day it pays.
    fn collect(&mut self, outlet: &str, method: Method, amount: &str, parts: &[(Uuid, &str)], invoices: &[&Mutation]) -> (Collection, Mutation) {
        let collection = Collection {
            collection_id: Uuid::now_v7(),
            outlet_id: outlet.into(),
            method,
            amount: dec(amount),
            allocations: parts.iter().map(|(o, a)| Allocation { order_id: *o, amount: dec(a) }).collect(),
        };
        self.records.collections.push(collection.clone());
        let start = self.start_mutation();
        let mut deps = vec![&start];
        deps.extend(invoices.iter().copied());
        let entry = CollectionEntry { day_id: self.day_id, at: Utc::now(), collection: collection.clone() };
        let m = self.mutation(MutationBody::CollectionRecord(entry), &deps);
        (collection, m)
    }

    /// A stop's outcome on its task's completion.
    fn stop(&mut self, task: &str, outcome: StopOutcome, unplanned_at: Option<&str>, proof: Option<(&str, &BlobRef)>, goods_back: &[(&str, &str)], note: &str) -> Mutation {
        let stop = DayStop {
            day_id: self.day_id,
            outcome: outcome.clone(),
            unplanned_at: unplanned_at.map(str::to_string),
            recipient: proof.map(|(who, _)| who.to_string()).unwrap_or_default(),
            signature: proof.map(|(_, sig)| sig.clone()),
            goods_back: goods_back.iter().map(|(sku, q)| ((*sku).to_string(), dec(q))).collect(),
        };
        match self.records.stops.iter_mut().find(|s| s.task_id == task) {
            Some(s) => s.outcome = Some(outcome),
            None => self.records.stops.push(Stop { task_id: task.into(), unplanned: unplanned_at.is_some(), outcome: Some(outcome) }),
        }
        let completion = TaskCompletion { task_id: task.into(), completed_at: Utc::now(), note: note.into(), photos: Vec::new(), day: Some(stop) };
        let start = self.start_mutation();
        let m = self.mutation(MutationBody::TaskComplete(completion), &[&start]);
        self.stop_mutations.push(m.clone());
        m
    }

    /// The settlement the device seals with these counts, from its own records.
    fn settlement(&self, counted_van: &BTreeMap<String, Dec>, counted_cash: &str) -> Settlement {
        delivery::settle(&self.records, Some(counted_van), Some(dec(counted_cash)))
    }

    /// `day.end` with the device's settlement (as given), depending on the start and every stop.
    fn end_day(&mut self, counted_van: BTreeMap<String, Dec>, counted_cash: &str, signature: &BlobRef, settlement: Settlement) -> Mutation {
        let end = DayEnd {
            day_id: self.day_id,
            ended_at: Utc::now(),
            counted_van,
            counted_cash: dec(counted_cash),
            odometer: 48_291,
            signature: Some(signature.clone()),
            stops: u32::try_from(self.records.stops.iter().filter(|s| s.outcome.is_some()).count()).expect("a count"),
            settlement,
        };
        let start = self.start_mutation();
        let stops = self.stop_mutations.clone();
        let mut deps = vec![&start];
        deps.extend(stops.iter());
        self.mutation(MutationBody::DayEnd(Box::new(end)), &deps)
    }

    /// What the van should hold, by SKU, from the device's records.
    fn expected_van(&self) -> BTreeMap<String, Dec> {
        delivery::settle(&self.records, None, None).van.into_iter().map(|l| (l.sku, l.expected)).collect()
    }
}

async fn a_full_day_settles_to_the_cent_on_both_sides(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let mut crew = Crew::new(&s, "driver1", "driver1-demo").await;
    let today = Utc::now().date_naive();

    // What the driver's device is sent: the delivery settings, the route's customers with their
    // older invoices and visit notes, today's tasks with their items, the van.
    let settings = crew.sales.settings.delivery.clone().expect("delivery settings in the reference");
    assert_eq!(settings.sites, ["North depot", "South depot"]);
    assert_eq!(settings.trucks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["KDA-101", "KDA-102"]);
    assert_eq!(settings.failure_reasons, ["Shop closed", "Refused", "No cash"]);
    assert_eq!(settings.skip_reasons, ["Out of time", "Road closed"]);
    let ids: Vec<&str> = crew.sales.outlets.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["DLV-0001", "DLV-0002", "DLV-0003", "DLV-0004", "DLV-0005", "DLV-0006", "DLV-0007", "DLV-0008"]);
    assert_eq!(crew.sales.van_stock.len(), 6);
    let lakeshore = crew.sales.outlets[0].clone();
    let older = &lakeshore.invoices[0];
    assert_eq!((older.number.as_str(), older.outstanding, older.total), ("SO-0000101", dec("412.50"), dec("412.50")));
    assert_eq!((today - older.issued_on).num_days(), 12);
    assert!(lakeshore.visit_notes[0].note.contains("back door"), "{:?}", lakeshore.visit_notes);
    let danforth = crew.sales.outlets[3].clone();
    assert_eq!((danforth.invoices[0].number.as_str(), (today - danforth.invoices[0].issued_on).num_days()), ("SO-0000103", 61));
    let p = pulled(&s, &crew.dev).await;
    let task = pulled_data(&p, "task", "DEL-0003");
    assert_eq!(task["kind"], "delivery");
    assert_eq!(task["items"], json!([{"sku": "SKU-00001", "quantity": "2"}, {"sku": "SKU-00025", "quantity": "6"}, {"sku": "SKU-00031", "quantity": "2"}]));
    assert_eq!(pulled_data(&p, "settings", "sales")["settings"]["delivery"]["trucks"][1]["label"], "Van 2");
    assert_eq!(pulled_data(&p, "outlet", "DLV-0002")["invoices"][0]["number"], "SO-0000102");

    // The day: six stops planned; bill, collect, prove, fail, skip, add one on the road.
    let start = crew.start_day("driver1", "D1", &["DEL-0001", "DEL-0002", "DEL-0003", "DEL-0004", "DEL-0005", "DEL-0006"], "50");
    let (inv1, inv1_m) = crew.bill("DLV-0001", "DEL-0001", &[("SKU-00001", "4"), ("SKU-00022", "2")], OrderKind::Sale);
    let (inv2, inv2_m) = crew.bill("DLV-0002", "DEL-0002", &[("SKU-00023", "3")], OrderKind::Sale);
    let (back, back_m) = crew.bill("DLV-0002", "DEL-0002", &[("SKU-00023", "1")], OrderKind::Return);
    let unplanned = format!("U-{}", Uuid::now_v7());
    let (_, inv_u_m) = crew.bill("DLV-0007", &unplanned, &[("SKU-00025", "1")], OrderKind::Sale);
    let older_id = older.order_id;
    let (partial, c1) = crew.collect("DLV-0001", Method::Cash, "10.00", &[(inv1.order_id, "10.00")], &[&inv1_m]);
    let cheque = Method::Cheque { number: "004512".into(), bank: "TD".into(), date: today };
    let (by_cheque, c2) = crew.collect("DLV-0001", cheque, "412.50", &[(older_id, "412.50")], &[]);
    let whole = inv2.total.value().to_string();
    let (_, c3) = crew.collect("DLV-0002", Method::MobileMoney { reference: "QX12".into() }, &whole, &[(inv2.order_id, &whole)], &[&inv2_m]);
    let (_, c4) = crew.collect("DLV-0004", Method::Cash, "50.00", &[(danforth.invoices[0].order_id, "50.00")], &[]);
    let (sig1_bytes, sig1) = signature(1);
    let (sig2_bytes, sig2) = signature(2);
    let (sig_u_bytes, sig_u) = signature(3);
    let (sig_end_bytes, sig_end) = signature(4);
    let s1 = crew.stop("DEL-0001", StopOutcome::Done, None, Some(("Amina", &sig1)), &[], "Left with the manager; side door next time.");
    let s2 = crew.stop("DEL-0002", StopOutcome::Done, None, Some(("Tom", &sig2)), &[], "");
    let s3 = crew.stop(
        "DEL-0003",
        StopOutcome::Failed { reason: "Shop closed".into() },
        None,
        None,
        &[("SKU-00001", "2"), ("SKU-00025", "6"), ("SKU-00031", "2")],
        "",
    );
    let s4 = crew.stop("DEL-0004", StopOutcome::Skipped { reason: "Out of time".into() }, None, None, &[], "");
    let su = crew.stop(&unplanned, StopOutcome::Done, Some("DLV-0007"), Some(("Claire", &sig_u)), &[], "");
    // The van counted one olive oil short; the cash as expected (float + cash collected).
    let mut counted = crew.expected_van();
    assert_eq!(counted.get("SKU-00023"), Some(&dec("28")), "30 loaded - 3 delivered + 1 returned");
    counted.insert("SKU-00025".into(), dec("34"));
    let settlement = crew.settlement(&counted, "110.00");
    assert_eq!((settlement.done, settlement.failed, settlement.skipped, settlement.open, settlement.unplanned), (3, 1, 1, 2, 1));
    assert_eq!((settlement.invoices, settlement.returns, settlement.van_variances), (3, 1, 1));
    assert_eq!(settlement.cash_variance, Some(dec("0.00")));
    let end = crew.end_day(counted, "110.00", &sig_end, settlement.clone());

    // Two signatures are here before the push; the unplanned stop's and the end's are not.
    upload(&s, &crew.dev, &sig1_bytes, &sig1).await;
    upload(&s, &crew.dev, &sig2_bytes, &sig2).await;
    let batch = vec![start, inv1_m, inv2_m, back_m, inv_u_m, c1, c2, c3, c4, s1, s2, s3, s4, su, end.clone()];
    let v = push(&s, &crew.dev, &batch).await;
    let statuses: Vec<&str> = (0..batch.len()).map(|i| outcome(&v, i)).collect();
    let mut want = vec!["applied"; 13];
    want.extend(["deferred", "deferred"]);
    assert_eq!(statuses, want, "{v}");
    assert_eq!(v["results"][13]["waiting_for"], json!([format!("blob:{}", sig_u.sha256)]), "{v}");

    // While the day runs, the supervisor sees it open, its figures so far recomputed.
    let day_path = format!("/api/v1/days/{}", crew.day_id);
    let (status, open) = s.get(&day_path, &sup.token).await;
    assert_eq!(status, StatusCode::OK, "{open}");
    assert_eq!(open["day"]["ended_at"], Value::Null);
    assert_eq!(open["day"]["stops"], 4);
    assert_eq!(open["device_settlement"], Value::Null);
    assert_eq!(open["server_settlement"]["invoices"], 3);

    // The unplanned stop's signature arrives: the stop is applied, the end then waits for its own.
    upload(&s, &crew.dev, &sig_u_bytes, &sig_u).await;
    let (_, still) = s.get(&day_path, &sup.token).await;
    assert_eq!(still["day"]["ended_at"], Value::Null, "{still}");
    assert_eq!(still["day"]["stops"], 5);
    upload(&s, &crew.dev, &sig_end_bytes, &sig_end).await;

    // The server's settlement, from its own tables, equals the device's to the cent.
    let (status, detail) = s.get(&day_path, &sup.token).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["day"]["flagged"], false, "{detail}");
    assert_eq!(detail["day"]["differences"], json!([]));
    let server: Settlement = serde_json::from_value(detail["server_settlement"].clone()).expect("server settlement");
    let device: Settlement = serde_json::from_value(detail["device_settlement"].clone()).expect("device settlement");
    assert_eq!(device, settlement);
    assert_eq!(delivery::differences(&settlement, &server), vec![]);
    assert_eq!(server, Settlement { uploads_pending: 0, ..settlement.clone() });
    // Figure by figure as the device wrote them, to the digit (a float typed as "50" included).
    let mut as_sent = serde_json::to_value(&settlement).expect("json");
    as_sent["uploads_pending"] = json!(0);
    assert_eq!(detail["server_settlement"], as_sent);
    assert_eq!(detail["day"]["cash_variance"].as_str().map(d), Some(Decimal::ZERO));
    assert_eq!(detail["day"]["van_variances"], 1);
    assert_eq!((detail["day"]["planned"].as_u64(), detail["day"]["invoices"].as_u64(), detail["day"]["collections"].as_u64()), (Some(6), Some(4), Some(4)));
    let stops = detail["stops"].as_array().expect("stops");
    let order: Vec<&str> = stops.iter().filter_map(|s| s["task_id"].as_str()).collect();
    assert_eq!(order, ["DEL-0001", "DEL-0002", "DEL-0003", "DEL-0004", "DEL-0005", "DEL-0006", unplanned.as_str()]);
    assert_eq!(stops[0]["recipient"], "Amina");
    assert_eq!(stops[0]["signature"], sig1.sha256.as_str());
    assert_eq!(stops[2]["outcome"], json!({"outcome": "failed", "reason": "Shop closed"}));
    assert_eq!(stops[2]["goods_back"]["SKU-00025"], "6");
    assert_eq!(stops[4]["outcome"], Value::Null);
    assert_eq!((stops[6]["unplanned"].as_bool(), stops[6]["outlet_id"].as_str()), (Some(true), Some("DLV-0007")));
    let (_, list) = s.get("/api/v1/days", &sup.token).await;
    assert_eq!(list["days"][0]["day_id"], crew.day_id.to_string(), "{list}");
    assert_eq!(list["days"][0]["crew"], "driver1");
    assert_eq!(list["days"][0]["route"], "D1");
    assert_eq!(list["days"][0]["truck"], "KDA-101");

    // The tasks: delivered and failed ones done, the skipped one open again, the unplanned one created.
    let (_, tasks) = s.get("/api/v1/tasks?status=all", &crew.dev.token).await;
    let status_of = |id: &str| -> String {
        tasks["items"].as_array().expect("items").iter().find(|t| t["id"] == id).map(|t| t["status"].as_str().unwrap_or_default().to_string()).unwrap_or_default()
    };
    assert_eq!(
        [status_of("DEL-0001"), status_of("DEL-0003"), status_of("DEL-0004"), status_of("DEL-0005"), status_of(&unplanned)],
        ["done", "done", "open", "open", "done"].map(String::from)
    );

    // What the outlets owe now, and which collections the figures include.
    let lakeshore_now = outlet(&s, &crew.dev, "DLV-0001").await;
    let mine = lakeshore_now.invoices.iter().find(|i| i.order_id == inv1.order_id).expect("the day's invoice");
    assert_eq!((mine.outstanding.value(), mine.collections.clone()), (inv1.total.value() - d("10.00"), vec![partial.collection_id]));
    let old = lakeshore_now.invoices.iter().find(|i| i.order_id == older_id).expect("paid lately, still listed");
    assert_eq!((old.outstanding.value(), old.collections.clone()), (Decimal::ZERO, vec![by_cheque.collection_id]));
    let credit = lakeshore_now.credit.expect("credit terms");
    assert_eq!(credit.outstanding.value(), d("412.50") + inv1.total.value() - d("10.00") - d("412.50"));
    assert_eq!(lakeshore_now.visit_notes[0].note, "Left with the manager; side door next time.");
    let danforth_now = outlet(&s, &crew.dev, "DLV-0004").await;
    assert_eq!(danforth_now.invoices[0].outstanding, dec("48.15"));
    let baraka = outlet(&s, &crew.dev, "DLV-0002").await;
    assert!(baraka.invoices.iter().all(|i| i.order_id != back.order_id), "a return owes nothing");

    // Everything again: duplicates, nothing counted twice.
    let v = push(&s, &crew.dev, &batch).await;
    assert!((0..batch.len()).all(|i| outcome(&v, i) == "duplicate"), "{v}");
    assert_eq!(outlet(&s, &crew.dev, "DLV-0004").await.invoices[0].outstanding, dec("48.15"));
    let (_, again) = s.get(&day_path, &sup.token).await;
    assert_eq!((again["day"]["collections"].as_u64(), again["day"]["flagged"].as_bool()), (Some(4), Some(false)));

    let text = s.metrics().await;
    assert_eq!(metric(&text, "satchel_days_started_total"), 1);
    assert_eq!(metric(&text, "satchel_days_ended_total"), 1);
    assert_eq!(metric(&text, "satchel_days_flagged_total"), 0);
    assert_eq!(metric(&text, "satchel_collections_total{method=\"cash\"}"), 2);
    assert_eq!(metric(&text, "satchel_collections_total{method=\"cheque\"}"), 1);
    assert_eq!(metric(&text, "satchel_collections_total{method=\"mobile_money\"}"), 1);
}

/// A day with one delivered stop, its invoice and a cash collection, ready to end.
async fn a_small_day(s: &TestServer, crew: &mut Crew) -> Vec<Mutation> {
    let start = crew.start_day("driver1", "D1", &["DEL-0005"], "20.00");
    let (inv, inv_m) = crew.bill("DLV-0005", "DEL-0005", &[("SKU-00022", "1"), ("SKU-00031", "4")], OrderKind::Sale);
    let (_, c) = crew.collect("DLV-0005", Method::Cash, "5.00", &[(inv.order_id, "5.00")], &[&inv_m]);
    let (bytes, sig) = signature(9);
    upload(s, &crew.dev, &bytes, &sig).await;
    let stop = crew.stop("DEL-0005", StopOutcome::Done, None, Some(("Rosa", &sig)), &[], "");
    vec![start, inv_m, c, stop]
}

async fn a_tampered_settlement_is_flagged_with_the_figure(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let mut crew = Crew::new(&s, "driver1", "driver1-demo").await;
    let mut batch = a_small_day(&s, &mut crew).await;
    let counted = crew.expected_van();
    let mut settlement = crew.settlement(&counted, "25.00");
    settlement.invoiced = Dec(settlement.invoiced.value() + d("1.00"));
    let (bytes, sig) = signature(10);
    upload(&s, &crew.dev, &bytes, &sig).await;
    batch.push(crew.end_day(counted, "25.00", &sig, settlement));
    let v = push(&s, &crew.dev, &batch).await;
    let statuses: Vec<&str> = (0..batch.len()).map(|i| outcome(&v, i)).collect();
    assert_eq!(statuses, ["applied", "applied", "applied", "applied", "flagged"], "{v}");
    assert_eq!(v["results"][4]["reasons"][0]["rule"], "settlement_mismatch");
    assert!(v["results"][4]["reasons"][0]["message"].as_str().is_some_and(|m| m.starts_with("invoiced:")), "{v}");
    let (_, list) = s.get("/api/v1/days", &sup.token).await;
    let day = &list["days"][0];
    assert_eq!(day["flagged"], true, "{list}");
    let fields: Vec<&str> = day["differences"].as_array().expect("differences").iter().filter_map(|d| d["field"].as_str()).collect();
    assert_eq!(fields, ["invoiced"]);
    // The answer that carried the flag may be lost: a replay says flagged again.
    let v = push(&s, &crew.dev, &batch).await;
    assert_eq!(outcome(&v, 4), "flagged", "{v}");
    assert_eq!(metric(&s.metrics().await, "satchel_days_flagged_total"), 1);
}

async fn a_collection_of_more_than_owed_is_refused_and_writes_nothing(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let mut crew = Crew::new(&s, "driver1", "driver1-demo").await;
    let danforth = crew.sales.outlets.iter().find(|o| o.id == "DLV-0004").cloned().expect("DLV-0004");
    let owed = danforth.invoices[0].order_id;
    let start = crew.start_day("driver1", "D1", &["DEL-0004"], "0.00");
    let (_, too_much) = crew.collect("DLV-0004", Method::Cash, "100.00", &[(owed, "100.00")], &[]);
    let (_, unallocated) = crew.collect("DLV-0004", Method::Cash, "60.00", &[(owed, "50.00")], &[]);
    let (_, not_theirs) = crew.collect("DLV-0004", Method::Cash, "10.00", &[(Uuid::now_v7(), "10.00")], &[]);
    let (_, no_reference) = crew.collect("DLV-0004", Method::MobileMoney { reference: " ".into() }, "10.00", &[(owed, "10.00")], &[]);
    let (_, elsewhere) = crew.collect("OUT-0001", Method::Cash, "10.00", &[(owed, "10.00")], &[]);
    let mut other_day = crew.collect("DLV-0004", Method::Cash, "10.00", &[(owed, "10.00")], &[]).1;
    if let MutationBody::CollectionRecord(e) = &mut other_day.body {
        e.day_id = Uuid::now_v7();
    }
    let batch = vec![start, too_much, unallocated, not_theirs, no_reference, elsewhere, other_day];
    let v = push(&s, &crew.dev, &batch).await;
    let statuses: Vec<&str> = (0..batch.len()).map(|i| outcome(&v, i)).collect();
    assert_eq!(statuses, ["applied", "rejected", "rejected", "rejected", "rejected", "rejected", "rejected"], "{v}");
    assert_eq!((code(&v, 1), field(&v, 1)), ("more_than_owed", "collection.allocations[0]"));
    assert!(v["results"][1]["reason"].as_str().is_some_and(|r| r.contains("98.15")), "{v}");
    assert_eq!((code(&v, 2), field(&v, 2)), ("unallocated", "collection.allocations"));
    assert_eq!((code(&v, 3), field(&v, 3)), ("unknown_invoice", "collection.allocations[0]"));
    assert_eq!((code(&v, 4), field(&v, 4)), ("missing", "collection.method"));
    assert_eq!((code(&v, 5), field(&v, 5)), ("unknown_outlet", "collection.outlet_id"));
    assert_eq!((code(&v, 6), field(&v, 6)), ("unknown_day", "day_id"));
    // Nothing written: the invoice owes as much as before, the day holds no collection.
    let now = outlet(&s, &crew.dev, "DLV-0004").await;
    assert_eq!((now.invoices[0].outstanding, now.invoices[0].collections.len()), (dec("98.15"), 0));
    assert_eq!(now.credit.expect("credit").outstanding, dec("98.15"));
    let (_, detail) = s.get(&format!("/api/v1/days/{}", crew.day_id), &sup.token).await;
    assert_eq!(detail["day"]["collections"], 0, "{detail}");
    assert_eq!(metric(&s.metrics().await, "satchel_collections_total{method=\"cash\"}"), 0);
}

async fn a_day_is_the_signed_in_crews_own(backend: Backend) {
    let s = start(backend).await;
    let mut crew = Crew::new(&s, "driver1", "driver1-demo").await;
    let mut rep = Crew::new(&s, "rep1", "rep1-demo").await;
    // In another user's name, on a route not the user's, then the driver's own.
    let impostor = crew.start_day("rep1", "D1", &["DEL-0001"], "0.00");
    crew.day_id = Uuid::now_v7();
    let own = crew.start_day("driver1", "D1", &["DEL-0001"], "0.00");
    let first_day = crew.day_id;
    crew.day_id = Uuid::now_v7();
    let second = crew.start_day("driver1", "D1", &["DEL-0002"], "0.00");
    let bad_truck = {
        crew.day_id = Uuid::now_v7();
        let mut m = crew.start_day("driver1", "D1", &[], "0.00");
        if let MutationBody::DayStart(s) = &mut m.body {
            s.truck = "KDA-999".into();
        }
        m
    };
    let v = push(&s, &crew.dev, &[impostor, own.clone(), second, bad_truck]).await;
    assert_eq!((outcome(&v, 0), code(&v, 0), field(&v, 0)), ("rejected", "wrong_crew", "crew"), "{v}");
    assert_eq!(outcome(&v, 1), "applied", "{v}");
    assert_eq!((code(&v, 2), field(&v, 2)), ("day_open", "day_id"), "one open day at a time");
    assert_eq!((code(&v, 3), field(&v, 3)), ("unknown", "truck"));

    // Another rep: not on the route, and not on the driver's day.
    let off_route = rep.start_day("rep1", "D1", &[], "0.00");
    rep.day_id = first_day;
    let mut on_their_day = rep.collect("OUT-0001", Method::Cash, "1.00", &[], &[]).1;
    on_their_day.depends_on.clear();
    let mut stop = rep.stop("TASK-0001", StopOutcome::Skipped { reason: "Out of time".into() }, None, None, &[], "");
    stop.depends_on.clear();
    let v = push(&s, &rep.dev, &[off_route, on_their_day, stop]).await;
    assert_eq!((code(&v, 0), field(&v, 0)), ("unknown", "route"), "{v}");
    assert_eq!((code(&v, 1), field(&v, 1)), ("day_not_yours", "day_id"), "{v}");
    assert_eq!((code(&v, 2), field(&v, 2)), ("day_not_yours", "day.day_id"), "{v}");

    // On the driver's own day: a stop of a task neither planned nor said to be unplanned, a
    // delivery without proof, an unplanned stop at an outlet off the route.
    crew.day_id = first_day;
    crew.start = Some(own);
    let not_planned = crew.stop("DEL-0002", StopOutcome::Skipped { reason: "Road closed".into() }, None, None, &[], "");
    let unproved = crew.stop("DEL-0001", StopOutcome::Done, None, None, &[], "");
    let off = crew.stop("U-1", StopOutcome::Skipped { reason: "Road closed".into() }, Some("OUT-0001"), None, &[], "");
    let v = push(&s, &crew.dev, &[not_planned, unproved, off]).await;
    assert_eq!((code(&v, 0), field(&v, 0)), ("not_a_stop", "task_id"), "{v}");
    assert_eq!((code(&v, 1), field(&v, 1)), ("proof_required", "day.recipient"), "{v}");
    assert_eq!((code(&v, 2), field(&v, 2)), ("unknown_outlet", "day.unplanned_at"), "{v}");
}

async fn only_a_supervisor_approves_an_ended_day(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let mut crew = Crew::new(&s, "driver1", "driver1-demo").await;
    let mut batch = a_small_day(&s, &mut crew).await;
    let path = format!("/api/v1/days/{}/approve", crew.day_id);
    let approve = |token: String| {
        let url = s.url(&path);
        let http = s.http.clone();
        async move {
            let res = http.post(url).bearer_auth(token).send().await.expect("approve");
            let status = res.status();
            (status, res.json::<Value>().await.expect("json"))
        }
    };
    let v = push(&s, &crew.dev, &batch).await;
    assert!((0..batch.len()).all(|i| outcome(&v, i) == "applied"), "{v}");
    let (status, v) = approve(sup.token.clone()).await;
    assert_error(status, &v, 409, "day_not_ended");

    let counted = crew.expected_van();
    let settlement = crew.settlement(&counted, "25.00");
    let (bytes, sig) = signature(11);
    upload(&s, &crew.dev, &bytes, &sig).await;
    let end = crew.end_day(counted, "25.00", &sig, settlement);
    batch = vec![end];
    let v = push(&s, &crew.dev, &batch).await;
    assert_eq!(outcome(&v, 0), "applied", "{v}");

    let (status, v) = approve(crew.dev.token.clone()).await;
    assert_error(status, &v, 403, "forbidden");
    let (status, v) = s.get("/api/v1/days", &crew.dev.token).await;
    assert_error(status, &v, 403, "forbidden");
    let (status, v) = approve(sup.token.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["approved"].as_bool(), v["approved_by"].as_str(), v["flagged"].as_bool()), (Some(true), Some("super"), Some(false)));
    let (status, v) = approve(sup.token.clone()).await;
    assert_error(status, &v, 409, "already_resolved");
    let (status, v) = s.get(&format!("/api/v1/days/{}", Uuid::now_v7()), &sup.token).await;
    assert_error(status, &v, 404, "not_found");
    let (status, _) = s.http.post(s.url(&format!("/api/v1/days/{}/approve", Uuid::now_v7()))).bearer_auth(&sup.token).send().await.map(|r| (r.status(), ())).expect("post");
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A demo database of the version before the delivery day (no driver, no route D1, no delivery
/// settings) gets the crew on its next start, without counting as a new seed; a start after
/// that changes nothing.
async fn a_demo_database_without_the_crew_gets_it_on_restart(backend: Backend) {
    let s = start(backend).await;
    let store = s.stop().await;
    sqlx::any::install_default_drivers();
    let url = store.database_url().unwrap_or_else(|| format!("sqlite://{}", store.data_dir().join("satchel.sqlite3").display()));
    {
        let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
        for sql in [
            "DELETE FROM tasks WHERE assignee = 'driver1'",
            "DELETE FROM van_stock WHERE username = 'driver1'",
            "DELETE FROM user_routes WHERE username = 'driver1'",
            "DELETE FROM visit_notes",
            "DELETE FROM receivables",
            "DELETE FROM outlets WHERE route = 'D1'",
            "DELETE FROM users WHERE username = 'driver1'",
            "UPDATE settings SET delivery = NULL",
        ] {
            sqlx::query(sql).execute(&pool).await.expect(sql);
        }
        pool.close().await;
    }
    let s = start_in(store).await;
    assert!(!s.server.seeded);
    let crew = Crew::new(&s, "driver1", "driver1-demo").await;
    assert!(crew.sales.settings.delivery.is_some());
    assert_eq!(crew.sales.outlets.len(), 8);
    assert_eq!(crew.sales.outlets[0].invoices[0].number, "SO-0000101");
    let p = pulled(&s, &crew.dev).await;
    assert_eq!(pulled_data(&p, "task", "DEL-0008")["items"][2]["sku"], "SKU-00025");
    let before = p.checkpoint.clone();
    let store = s.stop().await;
    let s = start_in(store).await;
    assert!(!s.server.seeded);
    let (status, v) = s.get(&format!("/api/v1/sync/pull?checkpoint={before}"), &crew.dev.token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["changes"], json!([]), "nothing seeded twice");
}
