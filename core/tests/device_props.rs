//! Property test of the device core: random interleavings of commits from two tabs of one device
//! (one shared store), pushes whose answers may be lost, syncs (push, then pull, as the sync
//! engine orders them) and refreshes, against a model of the server.
//!
//! After every step, each tab, refreshed, shows what the server last sent less what the
//! device's orders since then took: the van per SKU and each outlet's balance (the server's
//! figure, plus this device's pending amount). Once everything has synced, both tabs show
//! exactly the server's figures, nothing is pending, and no sequence number or document number
//! was used twice.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rust_decimal::Decimal;
use satchel_core::device::app::{Device, Ids};
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::error::DeviceError;
use satchel_core::device::store::MemoryStore;
use satchel_core::device::testkit::{self, block_on, Fixture};
use satchel_core::device::views;
use satchel_core::sync::protocol::{MutationResult, Outcome};
use satchel_core::vault::InsecureTestRng;
use uuid::Uuid;

const SKUS: [&str; 3] = ["SKU-00001", "SKU-00002", "SKU-00003"];
const OUTLETS: [(&str, &str, &str); 2] =
    [("OUT-0001", "Joy's Grocery", "+1 416 555 0101"), ("OUT-0002", "Corner Mart", "+1 416 555 0102")];

#[derive(Debug, Clone)]
enum Op {
    /// A tab commits an order of one line.
    Commit { tab: usize, outlet: usize, sku: usize, qty: u32 },
    /// A tab pushes the outbox; the server applies it; the answers reach the device or are lost.
    Push { tab: usize, lose_answers: bool },
    /// A tab syncs: pushes everything (answers delivered), then pulls the server's figures.
    Sync { tab: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..2usize, 0..2usize, 0..3usize, 1..=3u32).prop_map(|(tab, outlet, sku, qty)| Op::Commit { tab, outlet, sku, qty }),
        2 => (0..2usize, any::<bool>()).prop_map(|(tab, lose_answers)| Op::Push { tab, lose_answers }),
        1 => (0..2usize).prop_map(|tab| Op::Sync { tab }),
    ]
}

/// What the server holds, and what it last sent the device.
struct Server {
    van: BTreeMap<&'static str, Decimal>,
    outstanding: BTreeMap<&'static str, Decimal>,
    /// Orders by mutation id: outlet, SKU, quantity, total.
    orders: BTreeMap<Uuid, (usize, usize, Decimal, Decimal)>,
    applied: BTreeSet<Uuid>,
    pulls: u64,
    /// The figures of the last pull, and the orders committed since.
    pulled_van: BTreeMap<&'static str, Decimal>,
    pulled_outstanding: BTreeMap<&'static str, Decimal>,
    since_pull: Vec<Uuid>,
}

impl Server {
    fn new() -> Self {
        // The shop's first page (testkit::shop_page): van 40/12/30, balances 120.00 and 0.00.
        let van: BTreeMap<_, _> = SKUS.iter().copied().zip([Decimal::from(40), Decimal::from(12), Decimal::from(30)]).collect();
        let outstanding: BTreeMap<_, _> = [(OUTLETS[0].0, Decimal::new(12000, 2)), (OUTLETS[1].0, Decimal::ZERO)].into_iter().collect();
        Server {
            pulled_van: van.clone(),
            pulled_outstanding: outstanding.clone(),
            van,
            outstanding,
            orders: BTreeMap::new(),
            applied: BTreeSet::new(),
            pulls: 0,
            since_pull: Vec::new(),
        }
    }

    /// Applies a pushed mutation (once) and answers as the server does.
    fn receive(&mut self, id: Uuid) -> Outcome {
        if !self.applied.insert(id) {
            return Outcome::Duplicate { original: "applied".into() };
        }
        if let Some((outlet, sku, qty, total)) = self.orders.get(&id) {
            *self.van.entry(SKUS[*sku]).or_default() -= *qty;
            *self.outstanding.entry(OUTLETS[*outlet].0).or_default() += *total;
        }
        Outcome::Applied
    }

    /// The page a pull returns: every outlet and van figure as they stand now.
    fn page(&mut self) -> satchel_core::sync::protocol::PullResponse {
        self.pulls += 1;
        let version = 3 + self.pulls;
        let mut changes = Vec::new();
        for (id, name, phone) in OUTLETS {
            let outstanding = format!("{:.2}", self.outstanding[id]);
            changes.push(serde_json::json!({"entity": "outlet", "key": id, "data": testkit::outlet_json(id, name, phone, &outstanding, version)}));
        }
        for sku in SKUS {
            changes.push(serde_json::json!({"entity": "van_stock", "key": sku, "data": testkit::van_json(&self.van[sku].to_string())}));
        }
        self.pulled_van = self.van.clone();
        self.pulled_outstanding = self.outstanding.clone();
        self.since_pull.clear();
        #[allow(clippy::expect_used)]
        testkit::page(&format!("v2.{}", self.pulls), false, serde_json::Value::Array(changes)).expect("page")
    }
}

type Tab = Device<MemoryStore>;

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

async fn push(tab: &Tab, server: &mut Server, lose: bool, n: &mut u64) -> Result<(), TestCaseError> {
    loop {
        let batch = tab.outbox_batch(None, 50).await.map_err(fail)?;
        if batch.sealed.is_empty() {
            return Ok(());
        }
        let results: Vec<MutationResult> =
            batch.sealed.iter().map(|m| MutationResult { seq: m.seq, id: m.id, outcome: server.receive(m.id) }).collect();
        if lose {
            return Ok(());
        }
        *n += 1;
        tab.acknowledge(&results, &[], 1_000 + *n, &mut InsecureTestRng::new(*n)).await.map_err(fail)?;
    }
}

/// What a refreshed tab shows must be the last pull less the orders committed since.
fn check_tab(tab: &Tab, server: &Server, which: usize) -> Result<(), TestCaseError> {
    let state = tab.state();
    for (i, sku) in SKUS.iter().enumerate() {
        let taken: Decimal = server.since_pull.iter().filter_map(|id| server.orders.get(id)).filter(|o| o.1 == i).map(|o| o.2).sum();
        let shown = state.van_available(sku).map(|s| s.available.value());
        prop_assert_eq!(shown, Some(server.pulled_van[sku] - taken), "tab {} van {}", which, sku);
    }
    for (i, (id, _, _)) in OUTLETS.iter().enumerate() {
        let pending: Decimal = server.since_pull.iter().filter_map(|m| server.orders.get(m)).filter(|o| o.0 == i).map(|o| o.3).sum();
        let credit = views::outlet(&state, id).and_then(|o| o.credit).ok_or_else(|| fail("the outlet has credit"))?;
        prop_assert_eq!(credit.outstanding.value(), server.pulled_outstanding[id], "tab {} outstanding of {}", which, id);
        prop_assert_eq!(credit.pending_on_device.value(), pending, "tab {} pending of {}", which, id);
    }
    Ok(())
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let fixture = Fixture::new(40);
    let store = MemoryStore::new();
    let a = fixture.sign_in(store.clone()).await.map_err(fail)?;
    a.apply_pull_page(&testkit::shop_page().map_err(fail)?, &mut InsecureTestRng::new(1)).await.map_err(fail)?;
    let b = fixture.open_tab(store.clone()).await.map_err(fail)?;
    let tabs = [a, b];
    let mut server = Server::new();
    let (mut n, mut seqs, mut numbers) = (0u64, BTreeSet::new(), BTreeSet::new());
    for op in ops {
        match op {
            Op::Commit { tab, outlet, sku, qty } => {
                n += 1;
                let order = testkit::order(OUTLETS[outlet].0, &[(SKUS[sku], &qty.to_string())]).map_err(fail)?;
                let ids = Ids { record: testkit::id(n), mutation: testkit::id(100_000 + n) };
                let req = CommitRequest { order, draft_id: None, task_id: None };
                match tabs[tab].commit_order(req, testkit::now(), ids, &mut InsecureTestRng::new(n)).await {
                    Ok((stored, _)) => {
                        prop_assert!(seqs.insert(stored.seq), "sequence number {} used twice", stored.seq);
                        prop_assert!(numbers.insert(stored.document.document_number.clone()), "document number used twice");
                        server.orders.insert(stored.mutation_id, (outlet, sku, Decimal::from(qty), stored.document.total.value()));
                        server.since_pull.push(stored.mutation_id);
                    }
                    // The quote refused it (stock, credit): nothing was written.
                    Err(DeviceError::Invalid { .. }) => {}
                    Err(e) => return Err(fail(format!("commit: {e}"))),
                }
            }
            Op::Push { tab, lose_answers } => push(&tabs[tab], &mut server, lose_answers, &mut n).await?,
            Op::Sync { tab } => {
                push(&tabs[tab], &mut server, false, &mut n).await?;
                let page = server.page();
                n += 1;
                tabs[tab].apply_pull_page(&page, &mut InsecureTestRng::new(n)).await.map_err(fail)?;
            }
        }
        for (i, tab) in tabs.iter().enumerate() {
            tab.refresh(None).await.map_err(fail)?;
            check_tab(tab, &server, i)?;
        }
    }
    // Everything syncs: both tabs show exactly the server's figures.
    push(&tabs[0], &mut server, false, &mut n).await?;
    let page = server.page();
    tabs[1].apply_pull_page(&page, &mut InsecureTestRng::new(n + 1)).await.map_err(fail)?;
    for (i, tab) in tabs.iter().enumerate() {
        tab.refresh(None).await.map_err(fail)?;
        check_tab(tab, &server, i)?;
        let state = tab.state();
        for sku in SKUS {
            prop_assert_eq!(state.van_available(sku).map(|s| s.available.value()), Some(server.van[sku]));
        }
        for (id, _, _) in OUTLETS {
            let credit = views::outlet(&state, id).and_then(|o| o.credit).ok_or_else(|| fail("credit"))?;
            prop_assert_eq!(credit.outstanding.value(), server.outstanding[id]);
            prop_assert_eq!(credit.pending_on_device.value(), Decimal::ZERO);
        }
    }
    prop_assert_eq!(tabs[0].outbox_batch(None, 10).await.map_err(fail)?.sealed.len(), 0, "nothing left to push");
    let shown = |t: &Tab| serde_json::to_string(&(views::outlets(&t.state()), views::orders(&t.state()))).unwrap_or_default();
    prop_assert_eq!(shown(&tabs[0]), shown(&tabs[1]), "both tabs show the same");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn two_tabs_show_the_server_figures_less_their_own_orders(ops in proptest::collection::vec(op(), 1..30)) {
        block_on(run(ops)).unwrap_or_else(|| Err(fail("the memory store never waits")))?;
    }
}
