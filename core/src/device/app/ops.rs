//! The device's use cases as the page calls them: quote and commit an order, edit an outlet,
//! complete a task, handle a held order, keep drafts.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{meta_get, Device, Want};
use crate::device::changes::{self, Photo};
use crate::device::commit::{self, CommitRequest};
use crate::device::error::DeviceError;
use crate::device::plan::{MetaRecord, RecordId, WritePlan};
use crate::device::records::{Draft, LocalOrder, LocalTask};
use crate::device::schema::{MetaKey, StoreId};
use crate::device::store::{DeviceStore, Durability};
use crate::sales::{Quote, SalesOrder};
use crate::vault::Rng;

/// Fresh ids for a change (UUIDv7, drawn by the caller from its clock and random source).
#[derive(Debug, Clone, Copy)]
pub struct Ids {
    /// For the record the change creates (an order, a draft).
    pub record: Uuid,
    /// For the mutation it queues.
    pub mutation: Uuid,
}

impl<S: DeviceStore> Device<S> {
    pub(super) fn device_id(&self) -> Result<Uuid, DeviceError> {
        self.record().map(|r| r.device_id).ok_or(DeviceError::NotSignedIn)
    }

    /// Quotes an order with this device's data.
    pub fn quote(&self, order: &SalesOrder, now: DateTime<Utc>) -> Result<Quote, DeviceError> {
        commit::quote(&*self.unlocked_state()?, order, now)
    }

    /// Quotes the order, refuses it if a finding blocks, numbers it from the leased ranges and
    /// stores it with its sealed outbox entry (and deletes its draft) in one strict transaction.
    pub async fn commit_order(&self, req: CommitRequest, now: DateTime<Utc>, ids: Ids, rng: &mut dyn Rng) -> Result<(LocalOrder, Quote), DeviceError> {
        let prepared = commit::prepare(&*self.unlocked_state()?, req, now, ids.record, ids.mutation)?;
        let device = self.record().ok_or(DeviceError::NotSignedIn)?;
        let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        let scope = [StoreId::Meta, StoreId::Orders, StoreId::Outbox, StoreId::Drafts];
        let task_id = prepared_task(&prepared);
        let order = self
            .run(&scope, Durability::Strict, vec![meta_get(&[MetaKey::Day])], rng, |codec, counters, mut f| {
                // Billed from a stop of the open day (as this transaction reads the day): the
                // invoice belongs to the day.
                let day = Self::day_from(codec, f.remove(0));
                let in_day = task_id.as_deref().and_then(|t| crate::device::day::bill_link(&day, t).ok());
                let p = match in_day {
                    Some((link, start)) => prepared.in_day(link, start),
                    None => prepared.clone(),
                };
                let (plan, order) = commit::plan(&p, counters, &device, now_ms)?;
                Ok(Want::Done(plan, order))
            })
            .await?;
        Ok((order, prepared.quote))
    }

    /// Changes an outlet's shared fields; returns how many fields changed (0: nothing to send).
    pub async fn edit_outlet(
        &self,
        outlet_id: &str,
        wanted: &std::collections::BTreeMap<String, String>,
        now: DateTime<Utc>,
        mutation_id: Uuid,
        rng: &mut dyn Rng,
    ) -> Result<usize, DeviceError> {
        self.keys()?;
        let device_id = self.device_id()?;
        let reads = vec![meta_get(&[MetaKey::OutletEdits])];
        self.run(&[StoreId::Meta, StoreId::Outbox], Durability::Strict, reads, rng, |codec, counters, mut f| {
            let edits = Self::edits_from(codec, f.remove(0));
            let state = self.state.borrow();
            match changes::edit_outlet(&state, outlet_id, wanted, counters, edits, device_id, mutation_id, now)? {
                Some((plan, n)) => Ok(Want::Done(plan, n)),
                None => Ok(Want::Done(WritePlan::new(), 0)),
            }
        })
        .await
    }

    /// Completes a task with a note and photos.
    pub async fn complete_task(&self, task_id: &str, note: String, photos: Vec<Photo>, now: DateTime<Utc>, mutation_id: Uuid, rng: &mut dyn Rng) -> Result<LocalTask, DeviceError> {
        self.keys()?;
        let device_id = self.device_id()?;
        let reads = vec![meta_get(&[MetaKey::Uploads])];
        let scope = [StoreId::Meta, StoreId::Tasks, StoreId::Outbox, StoreId::Blobs];
        let mut photos = Some(photos);
        self.run(&scope, Durability::Strict, reads, rng, |codec, counters, mut f| {
            let uploads = match Self::meta_records(codec, &[MetaKey::Uploads], f.remove(0)).remove(&MetaKey::Uploads) {
                Some(MetaRecord::Uploads(u)) => u,
                _ => Vec::new(),
            };
            let state = self.state.borrow();
            let photos = photos.take().ok_or_else(|| DeviceError::Internal("photos taken twice".into()))?;
            let (plan, task) = changes::complete_task(&state, task_id, note.clone(), photos, counters, uploads, device_id, mutation_id, now)?;
            Ok(Want::Done(plan, task))
        })
        .await
    }

    /// Discards an order the server holds; the server keeps a record of it.
    pub async fn discard_held(&self, order_id: Uuid, reason: &str, now: DateTime<Utc>, mutation_id: Uuid, rng: &mut dyn Rng) -> Result<LocalOrder, DeviceError> {
        let order = changes::held_order(&*self.unlocked_state()?, order_id)?.clone();
        let device_id = self.device_id()?;
        self.run(&[StoreId::Meta, StoreId::Orders, StoreId::Outbox], Durability::Strict, Vec::new(), rng, |_, counters, _| {
            let (plan, updated) = changes::discard_held(&order, reason, counters, device_id, mutation_id, now);
            Ok(Want::Done(plan, updated))
        })
        .await
    }

    /// Edits a held order: a new draft with its content, and the held one discarded, at once.
    pub async fn edit_held(&self, order_id: Uuid, now: DateTime<Utc>, ids: Ids, rng: &mut dyn Rng) -> Result<Draft, DeviceError> {
        let order = changes::held_order(&*self.unlocked_state()?, order_id)?.clone();
        let device_id = self.device_id()?;
        let scope = [StoreId::Meta, StoreId::Orders, StoreId::Outbox, StoreId::Drafts];
        self.run(&scope, Durability::Strict, Vec::new(), rng, |_, counters, _| {
            let (plan, draft) = changes::edit_held(&order, ids.record, counters, device_id, ids.mutation, now);
            Ok(Want::Done(plan, draft))
        })
        .await
    }

    /// Saves a draft durably (the rep's work in progress).
    pub async fn save_draft(&self, draft_id: Uuid, content: serde_json::Value, now: DateTime<Utc>, rng: &mut dyn Rng) -> Result<Draft, DeviceError> {
        self.keys()?;
        let (plan, draft) = changes::save_draft(draft_id, content, now)?;
        self.run(&[StoreId::Meta, StoreId::Drafts], Durability::Strict, Vec::new(), rng, |_, _, _| Ok(Want::Done(plan.clone(), draft.clone()))).await
    }

    /// Deletes a draft (deleting one that does not exist is not an error).
    pub async fn delete_draft(&self, draft_id: Uuid, rng: &mut dyn Rng) -> Result<(), DeviceError> {
        self.keys()?;
        let mut plan = WritePlan::new();
        plan.delete(RecordId::Draft(draft_id));
        self.run(&[StoreId::Meta, StoreId::Drafts], Durability::Strict, Vec::new(), rng, |_, _, _| Ok(Want::Done(plan.clone(), ()))).await
    }
}

fn prepared_task(p: &commit::Prepared) -> Option<String> {
    p.task_id().map(str::to_string)
}
