//! The conformance suite every [`DeviceStore`] passes: natively over [`super::store::MemoryStore`]
//! (`core/tests/device_store.rs`) and in Chromium over IndexedDB (`tests/browser_device_store.rs`).
//! The names are listed once, in [`conformance_tests!`](crate::conformance_tests); each test
//! takes a fresh, empty store and returns an error naming what did not hold.
//!
//! The first half checks the port itself (atomic updates, reads in key order, values byte for
//! byte); the second runs the device's use cases over it (nothing readable on disk, memory equal
//! to the disk, two tabs, answers while locked, pulls, sign-out, rotation, the catalog opened lazily).

use std::collections::BTreeMap;

use super::app::Device;
use super::commit::CommitRequest;
use super::app::Ids;
use super::error::DeviceError;
use super::plan::RecordId;
use super::schema::{StoreId, STORES};
use super::store::{DeviceStore, Durability, Fetched, RawKey, RawOp, RawValue, Read, Step, StoreError};
use super::testkit::{self, Fixture};
use super::views;
use crate::sync::lifecycle::Status;
use crate::sync::protocol::{MutationResult, Outcome};
use crate::vault::InsecureTestRng;

/// Lists the suite's tests once; `$m!` receives every name.
#[macro_export]
macro_rules! conformance_tests {
    ($m:ident) => {
        $m!(
            absent_records_read_as_nothing,
            an_update_writes_all_or_nothing,
            a_refused_decision_writes_nothing,
            reads_come_in_key_order_and_values_byte_for_byte,
            an_update_reads_again_in_its_own_transaction,
            concurrent_updates_are_serialized,
            nothing_readable_lands_on_disk,
            memory_equals_what_the_disk_reloads,
            two_tabs_never_share_a_number_and_agree_after_refresh,
            answers_received_while_locked_are_settled_at_unlock,
            a_pull_never_overwrites_an_unanswered_change,
            sign_out_names_the_drafts_and_clears_every_store,
            rotation_reseals_every_record,
            products_stay_sealed_until_needed_and_never_overwrite_newer
        );
    };
}

/// What a failed check says.
pub type Checked = Result<(), String>;

fn check(cond: bool, what: &str) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.to_string()) }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn text(k: &str) -> RawKey {
    RawKey::Text(k.into())
}

async fn put<S: DeviceStore>(store: &S, ops: Vec<RawOp>) -> Result<(), StoreError> {
    store.update(&[StoreId::Meta, StoreId::Outbox], Durability::Strict, Vec::new(), |_| Ok::<_, StoreError>(Step::Write(ops.clone(), ()))).await
}

/// Reads of absent keys find nothing; empty stores count zero.
pub async fn absent_records_read_as_nothing<S: DeviceStore>(store: S) -> Checked {
    let f = store.read(vec![Read::Get { store: StoreId::Meta, keys: vec![text("nope")] }, Read::Count { store: StoreId::Orders }, Read::All { store: StoreId::Outbox }]).await.map_err(err)?;
    check(f == vec![Fetched::Values(vec![None]), Fetched::Count(0), Fetched::Records(vec![])], "an empty store reads as empty")
}

/// An update's writes land together; an `Add` on a taken key fails it whole.
pub async fn an_update_writes_all_or_nothing<S: DeviceStore>(store: S) -> Checked {
    let a = RawOp::Put { store: StoreId::Meta, key: text("a"), value: RawValue::Text("1".into()) };
    let seq = RawOp::Add { store: StoreId::Outbox, key: RawKey::Seq(1), value: RawValue::Text("one".into()) };
    put(&store, vec![a, seq.clone()]).await.map_err(err)?;
    let b = RawOp::Put { store: StoreId::Meta, key: text("b"), value: RawValue::Text("2".into()) };
    let taken = put(&store, vec![b, seq]).await;
    check(matches!(taken, Err(StoreError::Exists { .. })), "an Add on a taken key fails with Exists")?;
    let f = store.read(vec![Read::Get { store: StoreId::Meta, keys: vec![text("a"), text("b")] }]).await.map_err(err)?;
    check(f[0] == Fetched::Values(vec![Some(RawValue::Text("1".into())), None]), "the failed update wrote nothing of itself")
}

/// An error from the decision writes nothing.
pub async fn a_refused_decision_writes_nothing<S: DeviceStore>(store: S) -> Checked {
    let r: Result<(), StoreError> = store.update(&[StoreId::Meta], Durability::Strict, vec![Read::Count { store: StoreId::Meta }], |_| Err(StoreError::Failed("no".into()))).await;
    check(r.is_err(), "the decision's error is returned")?;
    let f = store.read(vec![Read::Count { store: StoreId::Meta }]).await.map_err(err)?;
    check(f[0].count() == 0, "nothing was written")
}

/// Records come back in key order (numbers numerically), values exactly as written.
pub async fn reads_come_in_key_order_and_values_byte_for_byte<S: DeviceStore>(store: S) -> Checked {
    let bytes: Vec<u8> = (0..=255).collect();
    let mut ops = Vec::new();
    for seq in [10u64, 2, 33] {
        ops.push(RawOp::Put { store: StoreId::Outbox, key: RawKey::Seq(seq), value: RawValue::Text(format!("e{seq}")) });
    }
    ops.push(RawOp::Put { store: StoreId::Meta, key: text("bytes"), value: RawValue::Bytes(bytes.clone()) });
    ops.push(RawOp::Put { store: StoreId::Meta, key: text("n"), value: RawValue::Number(42.0) });
    put(&store, ops).await.map_err(err)?;
    let f = store.read(vec![Read::All { store: StoreId::Outbox }, Read::First { store: StoreId::Outbox, limit: 2 }, Read::Get { store: StoreId::Meta, keys: vec![text("n"), text("bytes")] }]).await.map_err(err)?;
    let keys: Vec<RawKey> = f[0].clone().records().into_iter().map(|(k, _)| k).collect();
    check(keys == vec![RawKey::Seq(2), RawKey::Seq(10), RawKey::Seq(33)], "numeric keys in numeric order")?;
    check(f[1].clone().records().len() == 2, "First honours its limit")?;
    let after = store
        .read(vec![Read::After { store: StoreId::Outbox, after: RawKey::Seq(2), limit: 1 }, Read::After { store: StoreId::Outbox, after: RawKey::Seq(10), limit: 5 }])
        .await
        .map_err(err)?;
    let keys = |f: &Fetched| f.clone().records().into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    check(keys(&after[0]) == vec![RawKey::Seq(10)], "After starts above its key (numerically) and honours its limit")?;
    check(keys(&after[1]) == vec![RawKey::Seq(33)], "After leaves its own key out")?;
    check(f[2] == Fetched::Values(vec![Some(RawValue::Number(42.0)), Some(RawValue::Bytes(bytes))]), "values round-trip byte for byte")?;
    let cleared = vec![RawOp::Clear { store: StoreId::Outbox }, RawOp::Delete { store: StoreId::Meta, key: text("absent") }];
    put(&store, cleared).await.map_err(err)?;
    let f = store.read(vec![Read::Count { store: StoreId::Outbox }]).await.map_err(err)?;
    check(f[0].count() == 0, "Clear empties the store; deleting an absent key is no error")
}

/// A decision may read again; both rounds see the same transaction.
pub async fn an_update_reads_again_in_its_own_transaction<S: DeviceStore>(store: S) -> Checked {
    put(&store, vec![RawOp::Put { store: StoreId::Meta, key: text("next"), value: RawValue::Text("target".into()) }]).await.map_err(err)?;
    put(&store, vec![RawOp::Put { store: StoreId::Meta, key: text("target"), value: RawValue::Text("found".into()) }]).await.map_err(err)?;
    let mut round = 0;
    let found = store
        .update(&[StoreId::Meta], Durability::Relaxed, vec![Read::Get { store: StoreId::Meta, keys: vec![text("next")] }], |f| {
            round += 1;
            let v = f.into_iter().next().map(Fetched::values).unwrap_or_default().into_iter().next().flatten();
            match (round, v) {
                (1, Some(RawValue::Text(t))) => Ok(Step::Read(vec![Read::Get { store: StoreId::Meta, keys: vec![RawKey::Text(t)] }])),
                (2, Some(RawValue::Text(t))) => Ok(Step::Write(Vec::new(), t)),
                _ => Err(StoreError::Failed("unexpected read".into())),
            }
        })
        .await
        .map_err(err)?;
    check(found == "found", "the second round read what the first named")
}

/// Two updates that read-increment-write one record, started together, both count.
pub async fn concurrent_updates_are_serialized<S: DeviceStore>(store: S) -> Checked {
    let bump = || {
        store.update(&[StoreId::Meta], Durability::Strict, vec![Read::Get { store: StoreId::Meta, keys: vec![text("c")] }], |f| {
            let n = match f.into_iter().next().map(Fetched::values).unwrap_or_default().into_iter().next().flatten() {
                Some(RawValue::Number(n)) => n,
                _ => 0.0,
            };
            Ok::<_, StoreError>(Step::Write(vec![RawOp::Put { store: StoreId::Meta, key: text("c"), value: RawValue::Number(n + 1.0) }], ()))
        })
    };
    let (a, b) = futures_join(bump(), bump()).await;
    a.map_err(err)?;
    b.map_err(err)?;
    let f = store.read(vec![Read::Get { store: StoreId::Meta, keys: vec![text("c")] }]).await.map_err(err)?;
    check(f[0] == Fetched::Values(vec![Some(RawValue::Number(2.0))]), "both increments counted")
}

/// Polls two futures together (what `join` does), without a dependency.
async fn futures_join<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let mut ra = None;
    let mut rb = None;
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let std::task::Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    match (ra, rb) {
        (Some(a), Some(b)) => (a, b),
        _ => unreachable_pair(),
    }
}

#[allow(clippy::panic)]
fn unreachable_pair<T>() -> T {
    panic!("poll_fn resolved before both futures")
}

async fn shop<S: DeviceStore>(fixture: &Fixture, store: S) -> Result<Device<S>, String> {
    let device = fixture.sign_in(store).await.map_err(err)?;
    device.apply_pull_page(&testkit::shop_page().map_err(err)?, &mut InsecureTestRng::new(5)).await.map_err(err)?;
    Ok(device)
}

async fn commit<S: DeviceStore>(device: &Device<S>, n: u64, outlet: &str, lines: &[(&str, &str)]) -> Result<super::records::LocalOrder, DeviceError> {
    let order = testkit::order(outlet, lines).map_err(|e| DeviceError::Internal(e.to_string()))?;
    let req = CommitRequest { order, draft_id: None, task_id: None };
    let ids = Ids { record: testkit::id(n), mutation: testkit::id(1000 + n) };
    device.commit_order(req, testkit::now(), ids, &mut InsecureTestRng::new(n)).await.map(|(o, _)| o)
}

fn stock<S: DeviceStore>(device: &Device<S>, sku: &str) -> Option<String> {
    device.state().van_available(sku).map(|s| s.available.to_string())
}

/// After sign-in, a pull, a commit, an edit and a draft, no business value is readable in any
/// store, and the outbox opens only with the server's key.
pub async fn nothing_readable_lands_on_disk<S: DeviceStore>(store: S) -> Checked {
    let f = Fixture::new(11);
    let device = shop(&f, store).await?;
    commit(&device, 1, "OUT-0001", &[("SKU-00001", "3")]).await.map_err(err)?;
    let mut wanted = BTreeMap::new();
    wanted.insert("phone".to_string(), "+1 416 555 0177".to_string());
    device.edit_outlet("OUT-0002", &wanted, testkit::now(), testkit::id(77), &mut InsecureTestRng::new(7)).await.map_err(err)?;
    device.save_draft(testkit::id(78), serde_json::json!({"outlet_id": "OUT-0001", "note": "Joy wants Sea Salt"}), testkit::now(), &mut InsecureTestRng::new(8)).await.map_err(err)?;
    let reads = STORES.iter().map(|s| Read::All { store: s.id }).collect();
    let all = device.store().read(reads).await.map_err(err)?;
    let secrets = ["SKU-0000", "Joy", "Basmati", "Corner Mart", "555 0177", "Market Lane", "13.50", "OUT-000", "full-token"];
    for (spec, f) in STORES.iter().zip(all) {
        for (k, v) in f.records() {
            let shown = match (&k, &v) {
                (RawKey::Text(k), RawValue::Text(t)) => format!("{k} {t}"),
                (RawKey::Text(k), RawValue::Bytes(b)) => format!("{k} {}", String::from_utf8_lossy(b)),
                (k, v) => format!("{k:?} {v:?}"),
            };
            if let Some(s) = secrets.iter().find(|s| shown.contains(**s)) {
                return Err(format!("{s:?} is readable in {}: {}", spec.name, &shown[..shown.len().min(120)]));
            }
        }
    }
    let batch = device.outbox_batch(None, 10).await.map_err(err)?;
    check(batch.sealed.len() == 2, "an order and an edit wait")?;
    let m = crate::sync::sealing::open_mutation(&f.server, 1, f.device.device_id, &f.device_secret, &batch.sealed[0]).map_err(err)?;
    check(m.seq == 1 && m.body.kind() == "sales_order.create", "the server opens the order")
}

fn views_of<S: DeviceStore>(d: &Device<S>) -> String {
    let s = d.state();
    format!("{:?}|{:?}|{:?}|{:?}", views::orders(&s), views::outlets(&s), views::tasks(&s), ["SKU-00001", "SKU-00002", "SKU-00003"].map(|k| s.van_available(k)))
}

/// What a tab holds in memory is what a fresh tab reads from the disk.
pub async fn memory_equals_what_the_disk_reloads<S: DeviceStore + Clone>(store: S) -> Checked {
    let f = Fixture::new(12);
    let device = shop(&f, store.clone()).await?;
    commit(&device, 1, "OUT-0001", &[("SKU-00001", "3"), ("SKU-00002", "1")]).await.map_err(err)?;
    commit(&device, 2, "OUT-0002", &[("SKU-00001", "2")]).await.map_err(err)?;
    let results = vec![MutationResult { seq: 1, id: testkit::id(1001), outcome: Outcome::Applied }];
    device.acknowledge(&results, &[], 1, &mut InsecureTestRng::new(3)).await.map_err(err)?;
    check(stock(&device, "SKU-00001").as_deref() == Some("35"), "an answered order counts until the next pull")?;
    let fresh = f.open_tab(store).await.map_err(err)?;
    check(views_of(&fresh) == views_of(&device), "the reloaded tab shows what the working one shows")
}

/// Two tabs commit into one outbox: distinct sequence and document numbers; after each re-reads
/// what the other wrote, both show the same van and credit.
pub async fn two_tabs_never_share_a_number_and_agree_after_refresh<S: DeviceStore + Clone>(store: S) -> Checked {
    let f = Fixture::new(13);
    let a = shop(&f, store.clone()).await?;
    let b = f.open_tab(store).await.map_err(err)?;
    let (x, y) = futures_join(commit(&a, 1, "OUT-0001", &[("SKU-00001", "3")]), commit(&b, 2, "OUT-0001", &[("SKU-00001", "4")])).await;
    let (x, y) = (x.map_err(err)?, y.map_err(err)?);
    check(x.seq != y.seq && x.document.document_number != y.document.document_number, "two tabs never share a number")?;
    a.refresh(Some(&[RecordId::Order(y.order_id())])).await.map_err(err)?;
    b.refresh(Some(&[RecordId::Order(x.order_id())])).await.map_err(err)?;
    check(stock(&a, "SKU-00001").as_deref() == Some("33") && stock(&b, "SKU-00001").as_deref() == Some("33"), "both tabs take both orders off the van")?;
    check(views_of(&a) == views_of(&b), "both tabs show the same")
}

/// Answers received while locked are kept sealed, and settle onto the orders at unlock.
pub async fn answers_received_while_locked_are_settled_at_unlock<S: DeviceStore + Clone>(store: S) -> Checked {
    let f = Fixture::new(14);
    let device = shop(&f, store.clone()).await?;
    commit(&device, 1, "OUT-0001", &[("SKU-00001", "1")]).await.map_err(err)?;
    commit(&device, 2, "OUT-0001", &[("SKU-00002", "1")]).await.map_err(err)?;
    device.lock();
    let held = Outcome::Held { parent: testkit::id(9), code: "task_closed".into(), reason: "the task was cancelled".into() };
    let results = vec![
        MutationResult { seq: 1, id: testkit::id(1001), outcome: Outcome::Applied },
        MutationResult { seq: 2, id: testkit::id(1002), outcome: held },
    ];
    let settled = device.acknowledge(&results, &[], 5, &mut InsecureTestRng::new(4)).await.map_err(err)?;
    check(settled.is_none(), "locked: nothing settled yet")?;
    check(device.outbox_batch(None, 10).await.map_err(err)?.sealed.is_empty(), "the answered entries left the outbox")?;
    let acks = device.store().read(vec![Read::Count { store: StoreId::Acks }]).await.map_err(err)?;
    check(acks[0].count() == 2, "both answers kept")?;
    let unlocked = f.open_tab(store).await.map_err(err)?;
    let orders = views::orders(&unlocked.state());
    check(orders.iter().map(|o| o.status).collect::<Vec<_>>() == vec![Status::Held, Status::Synced], "the answers settled at unlock")?;
    let acks = unlocked.store().read(vec![Read::Count { store: StoreId::Acks }]).await.map_err(err)?;
    check(acks[0].count() == 0, "and left the acks store")
}

/// A pull page keeps the device's unanswered edit on top and its pending order's take.
pub async fn a_pull_never_overwrites_an_unanswered_change<S: DeviceStore + Clone>(store: S) -> Checked {
    let f = Fixture::new(15);
    let device = shop(&f, store.clone()).await?;
    let mut wanted = BTreeMap::new();
    wanted.insert("phone".to_string(), "+1 416 555 0199".to_string());
    device.edit_outlet("OUT-0001", &wanted, testkit::now(), testkit::id(50), &mut InsecureTestRng::new(1)).await.map_err(err)?;
    commit(&device, 1, "OUT-0001", &[("SKU-00001", "4")]).await.map_err(err)?;
    let p = testkit::page("v1.10", false, serde_json::json!([
        {"entity": "outlet", "key": "OUT-0001", "data": testkit::outlet_json("OUT-0001", "Joy's Grocery", "+1 416 555 0101", "130.00", 4)},
        {"entity": "van_stock", "key": "SKU-00001", "data": testkit::van_json("38")},
    ]))
    .map_err(err)?;
    device.apply_pull_page(&p, &mut InsecureTestRng::new(2)).await.map_err(err)?;
    let shown = views::outlet(&device.state(), "OUT-0001").ok_or("the outlet is there")?;
    check(shown.phone == "+1 416 555 0199", "the unanswered edit stays on top")?;
    check(stock(&device, "SKU-00001").as_deref() == Some("34"), "the server's 38 less the pending order's 4")?;
    let fresh = f.open_tab(store).await.map_err(err)?;
    check(stock(&fresh, "SKU-00001").as_deref() == Some("34"), "a fresh tab derives the same")
}

/// Sign-out is refused while anything waits, names the drafts it would lose, then clears every
/// store of the schema.
pub async fn sign_out_names_the_drafts_and_clears_every_store<S: DeviceStore + Clone>(store: S) -> Checked {
    let f = Fixture::new(16);
    let device = shop(&f, store).await?;
    commit(&device, 1, "OUT-0001", &[("SKU-00001", "1")]).await.map_err(err)?;
    check(matches!(device.sign_out(true).await, Err(DeviceError::PendingWork(_))), "refused while an order waits")?;
    device.acknowledge(&[MutationResult { seq: 1, id: testkit::id(1001), outcome: Outcome::Applied }], &[], 9, &mut InsecureTestRng::new(1)).await.map_err(err)?;
    device.save_draft(testkit::id(60), serde_json::json!({"outlet_id": "OUT-0002", "lines": [{"sku": "SKU-00003", "quantity": "2"}]}), testkit::now(), &mut InsecureTestRng::new(2)).await.map_err(err)?;
    match device.sign_out(false).await {
        Err(DeviceError::DraftsWouldBeLost(d)) => check(d.len() == 1 && d[0].outlet == "Corner Mart" && d[0].lines == 1, "the draft is named")?,
        other => return Err(format!("expected the drafts to be named, got {other:?}")),
    }
    device.sign_out(true).await.map_err(err)?;
    let all = device.store().read(STORES.iter().map(|s| Read::Count { store: s.id }).collect()).await.map_err(err)?;
    check(all.iter().all(|c| c.count() == 0), "every store is empty")
}

/// A rotation re-seals every record under the new key; the device reads everything after.
pub async fn rotation_reseals_every_record<S: DeviceStore + Clone>(store: S) -> Checked {
    use crate::vault::{DataKey, Envelope};
    let f = Fixture::new(17);
    let device = shop(&f, store.clone()).await?;
    commit(&device, 1, "OUT-0001", &[("SKU-00001", "1")]).await.map_err(err)?;
    let before = views_of(&device);
    let keys = device.keys().map_err(err)?;
    let new = std::rc::Rc::new(DataKey::generate(&mut InsecureTestRng::new(99), 2));
    let ring = super::codec::KeyRing { current: new, retired: Some(keys.ring.current.clone()) };
    device.replace_keys(keys.with_ring(ring.clone()).map_err(err)?);
    let mut moved = 0;
    for spec in STORES.iter().filter(|s| s.id.under_data_key()) {
        loop {
            let n = device.reencrypt_batch(spec.id, 5, &mut InsecureTestRng::new(moved as u64)).await.map_err(err)?;
            moved += n;
            if n < 5 {
                break;
            }
        }
    }
    check(moved > 10, "records were re-sealed")?;
    let all = device.store().read(STORES.iter().map(|s| Read::All { store: s.id }).collect()).await.map_err(err)?;
    for f in all {
        for (_, v) in f.records() {
            if let RawValue::Bytes(b) = v {
                if let Ok(e) = Envelope::parse(&b) {
                    if e.version() == crate::vault::ENVELOPE_VERSION && e.key_id() == 1 {
                        return Err("a record is still under the retired key".into());
                    }
                }
            }
        }
    }
    device.replace_keys(keys.with_ring(super::codec::KeyRing { current: ring.current, retired: None }).map_err(err)?);
    device.reload().await.map_err(err)?;
    check(device.open_products(usize::MAX).map_err(err)? == 0, "the products open")?;
    check(views_of(&device) == before && device.state().unreadable() == 0, "everything reads under the new key")
}

/// An unlock leaves the products sealed; reading one opens the catalog; slices open it in the
/// store's order; a product another tab changed while this tab's copies were still sealed is
/// never overwritten by them; and a search finds what a catalog opened at once finds.
pub async fn products_stay_sealed_until_needed_and_never_overwrite_newer<S: DeviceStore + Clone>(store: S) -> Checked {
    let f = Fixture::new(18);
    let a = shop(&f, store.clone()).await?;
    let names = |d: &Device<S>| ["SKU-00001", "SKU-00002", "SKU-00003"].map(|k| d.state().product(k).map(|p| p.name));
    let search = |d: &Device<S>| views::search(&d.state(), "oil", 5, Some("OUT-0001"), testkit::now().date_naive());

    let b = f.open_tab(store.clone()).await.map_err(err)?;
    check(b.state().sealed_products() == 3, "an unlock leaves the three products sealed")?;
    check(b.open_products(1).map_err(err)? == 2, "a slice of one opens one")?;
    check(b.open_products(5).map_err(err)? == 0 && b.state().sealed_products() == 0, "the next slice opens the rest")?;
    check(names(&b) == names(&a) && search(&b) == search(&a), "the opened catalog is the one the pulling tab holds")?;
    check(search(&a).first().map(|h| h.sku.as_str()) == Some("SKU-00002"), "the search finds the oil")?;

    let c = f.open_tab(store.clone()).await.map_err(err)?;
    check(c.state().sealed_products() == 3, "a second tab's unlock leaves them sealed too")?;
    check(c.state().product("SKU-00003").map(|p| p.name).as_deref() == Some("Sea Salt 1kg"), "reading one product opens the catalog")?;
    check(c.state().sealed_products() == 0, "and leaves nothing sealed")?;

    let d = f.open_tab(store).await.map_err(err)?;
    let renamed = testkit::page("v1.10", false, serde_json::json!([
        {"entity": "product", "key": "SKU-00002", "data": {"sku": "SKU-00002", "name": "Canola Oil 2L", "unit": "each", "quantity_places": 0}},
    ]))
    .map_err(err)?;
    a.apply_pull_page(&renamed, &mut InsecureTestRng::new(6)).await.map_err(err)?;
    check(d.state().sealed_products() == 3, "the other tab's products are still sealed")?;
    d.refresh(Some(&[RecordId::Product("SKU-00002".into())])).await.map_err(err)?;
    d.open_products(usize::MAX).map_err(err)?;
    check(names(&d) == names(&a), "the renamed product is not overwritten by its sealed copy")?;
    check(d.state().product("SKU-00002").map(|p| p.name).as_deref() == Some("Canola Oil 2L"), "the rename is shown")?;
    let unreadable = d.state().unreadable();
    check(unreadable == 0, "nothing unreadable")
}
