//! The delivery day's use cases as the page calls them: start the day, reorder the route, add
//! an unplanned stop, record a stop (with its proof), collect, end the day. Each reads
//! `meta/day` and the counters in its own transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{meta_get, Device, Ids, Want};
use crate::device::changes::Photo;
use crate::device::codec::Codec;
use crate::device::day::{self, CollectRequest, DayState, EndRequest, EndedDay, StartRequest, StopRequest};
use crate::device::day_views::{self, DayView};
use crate::device::error::DeviceError;
use crate::device::plan::{MetaRecord, WritePlan};
use crate::device::records::{Counters, PendingUpload};
use crate::device::schema::{MetaKey, StoreId};
use crate::device::store::{DeviceStore, Durability, Fetched};
use crate::sales::SalesOrder;
use crate::vault::Rng;

impl<S: DeviceStore> Device<S> {
    pub(super) fn day_from(codec: &Codec<'_>, fetched: Fetched) -> DayState {
        match Self::meta_records(codec, &[MetaKey::Day], fetched).remove(&MetaKey::Day) {
            Some(MetaRecord::Day(d)) => d,
            _ => DayState::default(),
        }
    }

    /// Runs a change of the day: `decide` gets the day's record, the upload list and the
    /// counters as this transaction read them.
    async fn day_change<T>(
        &self,
        scope: &[StoreId],
        rng: &mut dyn Rng,
        mut decide: impl FnMut(&DayState, Vec<PendingUpload>, &Counters) -> Result<(WritePlan, T), DeviceError>,
    ) -> Result<T, DeviceError> {
        self.keys()?;
        let reads = vec![meta_get(&[MetaKey::Day, MetaKey::Uploads])];
        self.run(scope, Durability::Strict, reads, rng, |codec, counters, mut f| {
            let mut metas = Self::meta_records(codec, &[MetaKey::Day, MetaKey::Uploads], f.remove(0));
            let day = match metas.remove(&MetaKey::Day) {
                Some(MetaRecord::Day(d)) => d,
                _ => DayState::default(),
            };
            let uploads = match metas.remove(&MetaKey::Uploads) {
                Some(MetaRecord::Uploads(u)) => u,
                _ => Vec::new(),
            };
            let (plan, out) = decide(&day, uploads, counters)?;
            Ok(Want::Done(plan, out))
        })
        .await
    }

    /// The day's screens.
    pub fn day_view(&self, now: DateTime<Utc>) -> Result<DayView, DeviceError> {
        Ok(day_views::day_view(&*self.unlocked_state()?, now))
    }

    /// Starts the day.
    pub async fn start_day(&self, req: StartRequest, now: DateTime<Utc>, ids: Ids, rng: &mut dyn Rng) -> Result<DayView, DeviceError> {
        let device = self.record().ok_or(DeviceError::NotSignedIn)?;
        self.day_change(&[StoreId::Meta, StoreId::Outbox], rng, |d, _, counters| {
            let state = self.state.borrow();
            day::start_day(d, counters, &state, &device, &req, now, ids.record, ids.mutation)
        })
        .await?;
        self.day_view(now)
    }

    /// Puts the stops in the crew's order.
    pub async fn reorder_stops(&self, order: Vec<String>, now: DateTime<Utc>, rng: &mut dyn Rng) -> Result<DayView, DeviceError> {
        self.day_change(&[StoreId::Meta], rng, |d, _, _| day::reorder(d, &order)).await?;
        self.day_view(now)
    }

    /// Adds an unplanned stop at an outlet.
    pub async fn add_unplanned_stop(&self, outlet_id: &str, title: &str, now: DateTime<Utc>, task_id: &str, rng: &mut dyn Rng) -> Result<DayView, DeviceError> {
        self.day_change(&[StoreId::Meta, StoreId::Tasks], rng, |d, _, _| {
            let state = self.state.borrow();
            day::add_unplanned(d, &state, outlet_id, task_id, title)
        })
        .await?;
        self.day_view(now)
    }

    /// The order a stop starts with (its outlet and what its task asks for).
    pub fn stop_order(&self, task_id: &str, today: chrono::NaiveDate) -> Result<SalesOrder, DeviceError> {
        day::stop_order(&*self.unlocked_state()?, task_id, today)
    }

    /// Records a stop's outcome with its proof.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_stop(
        &self,
        req: StopRequest,
        signature: Option<Photo>,
        photos: Vec<Photo>,
        now: DateTime<Utc>,
        mutation_id: Uuid,
        rng: &mut dyn Rng,
    ) -> Result<DayView, DeviceError> {
        let device_id = self.device_id()?;
        let scope = [StoreId::Meta, StoreId::Tasks, StoreId::Outbox, StoreId::Blobs];
        let mut blobs = Some((signature, photos));
        self.day_change(&scope, rng, |d, uploads, counters| {
            let (signature, photos) = blobs.take().ok_or_else(|| DeviceError::Internal("photos taken twice".into()))?;
            let state = self.state.borrow();
            day::record_stop(d, &state, counters, uploads, device_id, &req, signature, photos, now, mutation_id)
        })
        .await?;
        self.day_view(now)
    }

    /// Records a collection.
    pub async fn collect(&self, req: CollectRequest, now: DateTime<Utc>, ids: Ids, rng: &mut dyn Rng) -> Result<DayView, DeviceError> {
        let device_id = self.device_id()?;
        self.day_change(&[StoreId::Meta, StoreId::Outbox], rng, |d, _, counters| {
            let state = self.state.borrow();
            day::collect(d, &state, counters, device_id, &req, now, ids.record, ids.mutation)
        })
        .await?;
        self.day_view(now)
    }

    /// The settlement the end would seal with these counts.
    pub fn preview_end(&self, req: &EndRequest) -> Result<crate::delivery::Settlement, DeviceError> {
        let state = self.unlocked_state()?;
        day::preview_end(state.day(), &state, req)
    }

    /// Ends the day with the counts and the crew's signature.
    pub async fn end_day(&self, req: EndRequest, signature: Option<Photo>, now: DateTime<Utc>, mutation_id: Uuid, rng: &mut dyn Rng) -> Result<EndedDay, DeviceError> {
        let device_id = self.device_id()?;
        let scope = [StoreId::Meta, StoreId::Outbox, StoreId::Blobs];
        let mut signature = Some(signature);
        self.day_change(&scope, rng, |d, uploads, counters| {
            let signature = signature.take().ok_or_else(|| DeviceError::Internal("signature taken twice".into()))?;
            let state = self.state.borrow();
            day::end_day(d, &state, counters, uploads, device_id, &req, signature, now, mutation_id)
        })
        .await
    }
}
