//! The counter's use cases as the page calls them: open a shift, sell, refund, move cash, park
//! a cart, close the shift. Each reads `meta/counter` and the counters in its own transaction.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{meta_get, Device, Ids, Want};
use crate::device::counter::{self, ClosedShift, CounterState, ParkedCart, RefundProposal, Tendered};
use crate::device::counter_views::{self, CounterView, ReceiptHit, ReceiptView};
use crate::device::error::DeviceError;
use crate::device::plan::{MetaRecord, WritePlan};
use crate::device::schema::{MetaKey, StoreId};
use crate::device::store::{DeviceStore, Durability, Fetched};
use crate::pos::{CashMovement, Denomination, ReturnLine, Settlement, Tender};
use crate::sales::SalesOrder;
use crate::vault::Rng;

impl<S: DeviceStore> Device<S> {
    fn counter_from(codec: &crate::device::codec::Codec<'_>, fetched: Fetched) -> CounterState {
        match Self::meta_records(codec, &[MetaKey::Counter], fetched).remove(&MetaKey::Counter) {
            Some(MetaRecord::Counter(c)) => c,
            _ => CounterState::default(),
        }
    }

    /// Runs a counter change: `decide` gets the counter record and the counters as this
    /// transaction read them.
    async fn counter_change<T>(
        &self,
        scope: &[StoreId],
        rng: &mut dyn Rng,
        mut decide: impl FnMut(&CounterState, &crate::device::records::Counters) -> Result<(WritePlan, T), DeviceError>,
    ) -> Result<T, DeviceError> {
        self.keys()?;
        self.run(scope, Durability::Strict, vec![meta_get(&[MetaKey::Counter])], rng, |codec, counters, mut f| {
            let state = Self::counter_from(codec, f.remove(0));
            let (plan, out) = decide(&state, counters)?;
            Ok(Want::Done(plan, out))
        })
        .await
    }

    /// The counter's screen.
    pub fn counter_view(&self) -> Result<CounterView, DeviceError> {
        let device = self.record().ok_or(DeviceError::NotSignedIn)?;
        Ok(counter_views::counter_view(&*self.unlocked_state()?, &device))
    }

    /// Opens a shift at the user's register with the float counted by denomination.
    pub async fn open_shift(&self, float: Vec<Denomination>, now: DateTime<Utc>, ids: Ids, rng: &mut dyn Rng) -> Result<CounterView, DeviceError> {
        let device = self.record().ok_or(DeviceError::NotSignedIn)?;
        self.counter_change(&[StoreId::Meta, StoreId::Outbox], rng, |c, counters| counter::open_shift(c, counters, &device, float.clone(), now, ids.record, ids.mutation))
            .await?;
        self.counter_view()
    }

    /// Records a paid-in, paid-out or no-sale.
    pub async fn record_movement(&self, movement: CashMovement, now: DateTime<Utc>, mutation_id: Uuid, rng: &mut dyn Rng) -> Result<CounterView, DeviceError> {
        let device = self.record().ok_or(DeviceError::NotSignedIn)?;
        self.counter_change(&[StoreId::Meta, StoreId::Outbox], rng, |c, counters| counter::record_movement(c, counters, device.device_id, movement.clone(), now, mutation_id))
            .await?;
        self.counter_view()
    }

    /// Closes the shift with the counted drawer; returns the Z report's shift.
    pub async fn close_shift(&self, counted: Vec<Denomination>, now: DateTime<Utc>, mutation_id: Uuid, rng: &mut dyn Rng) -> Result<ClosedShift, DeviceError> {
        let device = self.record().ok_or(DeviceError::NotSignedIn)?;
        self.counter_change(&[StoreId::Meta, StoreId::Outbox], rng, |c, counters| counter::close_shift(c, counters, device.device_id, counted.clone(), now, mutation_id))
            .await
    }

    /// Completes a sale (or a refund) whose tenders cover it: numbered from the register's
    /// range, stored with its outbox entry and counted in the shift, in one strict transaction.
    pub async fn tender(&self, t: Tendered, now: DateTime<Utc>, ids: Ids, rng: &mut dyn Rng) -> Result<ReceiptView, DeviceError> {
        let device = self.record().ok_or(DeviceError::NotSignedIn)?;
        let prepared = {
            let state = self.unlocked_state()?;
            counter::prepare(&state, state.counter(), &device, t, now)?
        };
        let scope = [StoreId::Meta, StoreId::Orders, StoreId::Outbox];
        let order = self
            .counter_change(&scope, rng, |c, counters| {
                let state = self.state.borrow();
                counter::plan_receipt(&state, &prepared, c, counters, device.device_id, now, ids.record, ids.mutation)
            })
            .await?;
        counter_views::receipt_view(&*self.unlocked_state()?, &order)
    }

    /// Quotes a cart of the counter (no duplicate or credit rule: the tenders pay it).
    pub fn quote_sale(&self, order: &SalesOrder, now: DateTime<Utc>) -> Result<crate::sales::Quote, DeviceError> {
        crate::device::commit::quote_at_counter(&*self.unlocked_state()?, order, now)
    }

    /// A manager's approval of the document `order_id` (their PIN checked offline).
    pub fn approve(&self, manager: &str, pin: &str, order_id: Uuid) -> Result<crate::pos::ManagerApproval, DeviceError> {
        counter::approve(&*self.unlocked_state()?, manager, pin, order_id)
    }

    /// The tender screen's figures for `total` with the tenders so far.
    pub fn tender_preview(&self, total: Decimal, tenders: &[Tender]) -> Result<Settlement, DeviceError> {
        counter::tender_preview(&*self.unlocked_state()?, total, tenders)
    }

    /// Lays out the refund of some lines of a receipt.
    pub fn propose_refund(&self, original: Uuid, lines: &[ReturnLine], now: DateTime<Utc>) -> Result<RefundProposal, DeviceError> {
        counter::propose_refund(&*self.unlocked_state()?, original, lines, now)
    }

    /// A receipt of this device as printed.
    pub fn receipt(&self, order_id: Uuid) -> Result<ReceiptView, DeviceError> {
        let state = self.unlocked_state()?;
        let order = state.order(&order_id).ok_or_else(|| DeviceError::invalid("receipt", "unknown_receipt", "no such receipt on this device"))?;
        counter_views::receipt_view(&state, order)
    }

    /// Receipts matching a number, scanned barcode or amount.
    pub fn find_receipts(&self, query: &str, limit: usize) -> Result<Vec<ReceiptHit>, DeviceError> {
        Ok(counter_views::find_receipts(&*self.unlocked_state()?, query, limit))
    }

    /// Puts a cart aside.
    pub async fn park(&self, order: SalesOrder, label: &str, now: DateTime<Utc>, id: Uuid, rng: &mut dyn Rng) -> Result<CounterView, DeviceError> {
        self.counter_change(&[StoreId::Meta], rng, |c, _| counter::park(c, order.clone(), label, now, id)).await?;
        self.counter_view()
    }

    /// A parked cart, to resume (it stays parked until sold with it, or dropped).
    pub fn parked(&self, id: Uuid) -> Result<ParkedCart, DeviceError> {
        counter::parked(self.unlocked_state()?.counter(), id)
    }

    /// Drops a parked cart.
    pub async fn drop_parked(&self, id: Uuid, rng: &mut dyn Rng) -> Result<CounterView, DeviceError> {
        self.counter_change(&[StoreId::Meta], rng, |c, _| counter::drop_parked(c, id)).await?;
        self.counter_view()
    }
}
