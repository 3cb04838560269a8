//! The device's sync engine and the server's sequencing rule, together, over a transport that
//! drops requests, loses responses after the server committed, delivers requests twice,
//! redelivers stale batches late and restarts the server. Property: every mutation is applied
//! exactly once, in order, and the outbox drains.

use proptest::prelude::*;
use satchel_core::sync::engine::{PullOutcome, PushOutcome, SyncCommand, SyncEngine, SyncEvent, WakeReason};
use satchel_core::sync::sequencing::{plan, Step};

#[derive(Debug, Clone, Copy)]
enum Fault {
    /// The request never reaches the server.
    DropRequest,
    /// The server commits, the response is lost.
    DropResponse,
    /// The request is delivered twice; the device sees the second answer.
    Duplicate,
    /// A copy of this request is kept and delivered again later, out of order.
    DelayCopy,
    /// The server restarts before the request: durable state survives, nothing else.
    RestartServer,
    /// Delivered normally.
    Deliver,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        Just(Fault::DropRequest),
        Just(Fault::DropResponse),
        Just(Fault::Duplicate),
        Just(Fault::DelayCopy),
        Just(Fault::RestartServer),
        Just(Fault::Deliver),
    ]
}

/// The server's durable state: what the SQL transaction writes.
#[derive(Default)]
struct Server {
    last_seq: u64,
    applied: Vec<u64>,
}

impl Server {
    /// One push, all-or-nothing like the SQL transaction. Returns the acknowledged seqs.
    fn push(&mut self, batch: &[u64]) -> Option<Vec<u64>> {
        let steps = plan(self.last_seq, batch).ok()?;
        for (seq, step) in batch.iter().zip(steps) {
            if step == Step::Apply {
                self.applied.push(*seq);
                self.last_seq = *seq;
            }
        }
        Some(batch.to_vec())
    }
}

const BATCH: usize = 3;

fn run(orders: u64, faults: Vec<Fault>, commit_every: usize) -> (Server, Vec<u64>) {
    let mut server = Server::default();
    let mut outbox: Vec<u64> = Vec::new();
    let mut next_seq = 1;
    let mut engine = SyncEngine::default();
    let mut delayed: Vec<Vec<u64>> = Vec::new();
    let mut faults = faults.into_iter();
    let mut events = vec![SyncEvent::Wake(WakeReason::Start)];
    let mut steps = 0;
    while steps < 10_000 {
        steps += 1;
        // The rep keeps taking orders while sync runs.
        if next_seq <= orders && steps % commit_every == 0 {
            outbox.push(next_seq);
            next_seq += 1;
            events.push(SyncEvent::Wake(WakeReason::Committed));
        }
        let Some(event) = events.pop() else {
            if next_seq > orders && outbox.is_empty() {
                break;
            }
            // The backoff timer fires (time is not simulated: only the order of events matters).
            events.push(SyncEvent::Wake(WakeReason::Timer));
            continue;
        };
        for command in engine.step(event, steps as u32) {
            if command == SyncCommand::PullPage {
                // Pulls carry nothing this test counts: each page is the last.
                events.push(SyncEvent::PullFinished(PullOutcome::Page { has_more: false }));
                continue;
            }
            if command != SyncCommand::PushBatch {
                continue;
            }
            let batch: Vec<u64> = outbox.iter().take(BATCH).copied().collect();
            if batch.is_empty() {
                events.push(SyncEvent::PushFinished(PushOutcome::NothingToSend));
                continue;
            }
            let answer = match faults.next().unwrap_or(Fault::Deliver) {
                Fault::DropRequest => None,
                Fault::DropResponse => {
                    server.push(&batch);
                    None
                }
                Fault::Duplicate => {
                    server.push(&batch);
                    server.push(&batch)
                }
                Fault::DelayCopy => {
                    delayed.push(batch.clone());
                    server.push(&batch)
                }
                Fault::RestartServer => {
                    let durable = std::mem::take(&mut server);
                    server = Server { last_seq: durable.last_seq, applied: durable.applied };
                    server.push(&batch)
                }
                Fault::Deliver => server.push(&batch),
            };
            // Late deliveries of stale copies arrive whenever; they must change nothing.
            if let Some(stale) = delayed.pop() {
                server.push(&stale);
            }
            let outcome = match answer {
                Some(acked) => {
                    outbox.retain(|s| !acked.contains(s));
                    PushOutcome::Acknowledged { more_pending: !outbox.is_empty() }
                }
                None => PushOutcome::Unreachable,
            };
            events.push(SyncEvent::PushFinished(outcome));
        }
    }
    (server, outbox)
}

proptest! {
    #[test]
    fn every_order_reaches_the_server_exactly_once_and_in_order(
        orders in 1u64..40,
        faults in proptest::collection::vec(fault(), 0..60),
        commit_every in 1usize..5,
    ) {
        let (server, outbox) = run(orders, faults, commit_every);
        prop_assert!(outbox.is_empty(), "outbox not drained: {outbox:?}");
        prop_assert_eq!(server.applied, (1..=orders).collect::<Vec<_>>());
        prop_assert_eq!(server.last_seq, orders);
    }
}

#[test]
fn a_lost_response_costs_one_replay_not_a_duplicate() {
    let (server, outbox) = run(3, vec![Fault::DropResponse, Fault::DropResponse], 1);
    assert!(outbox.is_empty());
    assert_eq!(server.applied, vec![1, 2, 3]);
}
