//! The server's answers to a push, settled on the device.
//!
//! Unlocked, the answered entries leave the outbox and their fates go straight onto their orders
//! and task completions, in one transaction ([`settle`]). Locked, the device cannot open its
//! orders: the entries leave the outbox and the answers are kept sealed to the device's own key
//! ([`keep`]), then settled at the next unlock ([`settle_kept`]). Either way an answer whose
//! entry holds another mutation under that sequence number is left alone for a person to look
//! at, and the leases the answer brought are added to the counters.
//!
//! An order the server applied keeps counting on top of the server's figures until the next
//! complete pull brings the figures that include it ([`super::records::LocalOrder::awaiting_pull`]):
//! it is marked with the number of pulls completed when the answer was settled, read in the
//! settling transaction.

use std::collections::HashMap;

use super::plan::{MetaRecord, Record, RecordId, WritePlan};
use super::records::{Ack, Counters, LocalOrder, LocalTask, OutboxEntry, PendingOutletEdit, TASK_TARGET};
use super::store::RawKey;
use crate::sales::NumberRange;
use crate::sync::protocol::{MutationResult, Outcome};

/// How many commit-to-acknowledgement samples are kept.
pub const LATENCY_SAMPLES: usize = 500;

/// What settling answers changed in memory, for the page.
#[derive(Debug, Default, Clone)]
pub struct Settled {
    /// Answers taken in.
    pub applied: usize,
    /// Orders that left `pending`, as they are now.
    pub orders: Vec<LocalOrder>,
    /// Tasks whose completion an answer settled, as they are now.
    pub tasks: Vec<LocalTask>,
}

/// A decoded record an answer may settle, by the `order_key` its outbox entry names.
// Short-lived values of one settling pass; boxing the order would only add an allocation each.
#[allow(clippy::large_enum_variant)]
pub enum Target {
    /// An order.
    Order(LocalOrder),
    /// A task (its completion).
    Task(LocalTask),
}

/// The raw key (and store) of the record an outbox entry's `order_key` names.
pub fn target_key(order_key: &str) -> Option<(super::schema::StoreId, RawKey)> {
    use super::schema::StoreId;
    if order_key.is_empty() {
        None
    } else if let Some(task) = order_key.strip_prefix(TASK_TARGET) {
        Some((StoreId::Tasks, RawKey::Text(task.to_string())))
    } else {
        Some((StoreId::Orders, RawKey::Text(order_key.to_string())))
    }
}

/// An order told `outcome`, with `pulls_completed` pulls completed on the device.
pub fn told_order(order: &LocalOrder, outcome: &Outcome, pulls_completed: u64) -> LocalOrder {
    let mut next = order.clone();
    next.fate = order.fate.told(outcome);
    // Newly applied: the server's figures on this device do not include it until the next pull.
    next.awaiting_pull = match (next.fate.is_applied(), order.fate.is_applied()) {
        (false, _) => None,
        (true, false) => Some(pulls_completed),
        (true, true) => order.awaiting_pull,
    };
    next
}

/// A task told `outcome` about its completion.
pub fn told_task(task: &LocalTask, outcome: &Outcome) -> LocalTask {
    let mut next = task.clone();
    if let Some(c) = next.completion.as_mut() {
        c.fate = c.fate.told(outcome);
    }
    next
}

fn settle_targets(answers: &[(&MutationResult, &str)], targets: &HashMap<String, Target>, pulls_completed: u64, plan: &mut WritePlan, done: &mut Settled) {
    for (r, order_key) in answers {
        match targets.get(*order_key) {
            Some(Target::Order(o)) => {
                let next = told_order(o, &r.outcome, pulls_completed);
                if o.fate.is_pending() {
                    done.orders.push(next.clone());
                }
                plan.put(Record::Order(next));
            }
            Some(Target::Task(t)) => {
                let next = told_task(t, &r.outcome);
                done.tasks.push(next.clone());
                plan.put(Record::Task(next));
            }
            _ => {}
        }
    }
}

fn forget_edits(edits: Vec<PendingOutletEdit>, answered: &[u64], plan: &mut WritePlan) {
    if edits.iter().any(|e| answered.contains(&e.seq)) {
        let kept: Vec<PendingOutletEdit> = edits.into_iter().filter(|e| !answered.contains(&e.seq)).collect();
        plan.put(Record::Meta(MetaRecord::OutletEdits(kept)));
    }
}

fn with_ranges(counters: &Counters, new_ranges: &[NumberRange]) -> Option<Counters> {
    if new_ranges.is_empty() {
        return None;
    }
    let mut next = counters.clone();
    for r in new_ranges {
        if !next.number_ranges.contains(r) {
            next.number_ranges.push(r.clone());
        }
    }
    Some(next)
}

fn keep_latency(mut latency: Vec<u64>, plan: &mut WritePlan) {
    let excess = latency.len().saturating_sub(LATENCY_SAMPLES);
    latency.drain(..excess);
    plan.put(Record::Meta(MetaRecord::Latency(latency)));
}

/// The entries `results` answer: those still in the outbox under the same mutation id.
pub fn answered<'a>(results: &'a [MutationResult], entries: &'a [Option<OutboxEntry>]) -> Vec<(&'a MutationResult, &'a OutboxEntry)> {
    results.iter().zip(entries).filter_map(|(r, e)| e.as_ref().filter(|e| e.id == r.id).map(|e| (r, e))).collect()
}

/// Settles answers while unlocked, with what was read in the transaction: the outbox entries
/// (in the order of `results`), the records their `order_key`s name, the unanswered outlet
/// edits, the counters, the pulls completed and the latency samples.
#[allow(clippy::too_many_arguments)]
pub fn settle(
    results: &[MutationResult],
    entries: &[Option<OutboxEntry>],
    targets: &HashMap<String, Target>,
    edits: Vec<PendingOutletEdit>,
    counters: &Counters,
    pulls_completed: u64,
    mut latency: Vec<u64>,
    new_ranges: &[NumberRange],
    now_ms: u64,
) -> (WritePlan, Settled) {
    let mut plan = WritePlan::new();
    let mut done = Settled::default();
    let answered = answered(results, entries);
    for (_, e) in &answered {
        plan.delete(RecordId::Outbox(e.seq));
        if e.committed_ms > 0 {
            latency.push(now_ms.saturating_sub(e.committed_ms));
        }
    }
    done.applied = answered.len();
    let pairs: Vec<(&MutationResult, &str)> = answered.iter().map(|(r, e)| (*r, e.order_key.as_str())).collect();
    settle_targets(&pairs, targets, pulls_completed, &mut plan, &mut done);
    forget_edits(edits, &answered.iter().map(|(r, _)| r.seq).collect::<Vec<_>>(), &mut plan);
    keep_latency(latency, &mut plan);
    plan.counters = with_ranges(counters, new_ranges);
    (plan, done)
}

/// Keeps answers received while locked: the entries leave the outbox and each answer is kept
/// under its sequence number, sealed to the device's own key.
pub fn keep(results: &[MutationResult], entries: &[Option<OutboxEntry>], counters: &Counters, mut latency: Vec<u64>, new_ranges: &[NumberRange], now_ms: u64) -> WritePlan {
    let mut plan = WritePlan::new();
    for (r, e) in answered(results, entries) {
        plan.delete(RecordId::Outbox(e.seq));
        plan.put(Record::Ack(e.seq, Ack { order_key: e.order_key.clone(), result: r.clone() }));
        if e.committed_ms > 0 {
            latency.push(now_ms.saturating_sub(e.committed_ms));
        }
    }
    keep_latency(latency, &mut plan);
    plan.counters = with_ranges(counters, new_ranges);
    plan
}

/// Settles the answers kept while locked (at unlock): onto their records, and out of `acks`.
/// `pulls_completed` as read in the settling transaction.
pub fn settle_kept(acks: &[Ack], targets: &HashMap<String, Target>, edits: Vec<PendingOutletEdit>, pulls_completed: u64) -> (WritePlan, Settled) {
    let mut plan = WritePlan::new();
    let mut done = Settled { applied: acks.len(), ..Settled::default() };
    for a in acks {
        plan.delete(RecordId::Ack(a.result.seq));
    }
    let pairs: Vec<(&MutationResult, &str)> = acks.iter().map(|a| (&a.result, a.order_key.as_str())).collect();
    settle_targets(&pairs, targets, pulls_completed, &mut plan, &mut done);
    forget_edits(edits, &acks.iter().map(|a| a.result.seq).collect::<Vec<_>>(), &mut plan);
    (plan, done)
}
