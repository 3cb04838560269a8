//! The sync protocol under a hostile network, as a property: a device pushes its outbox in
//! batches of the oldest entries (what `src/sync_loop.rs` does) through a fake transport that
//! drops requests, drops responses after the server committed, duplicates and reorders requests,
//! and restarts either side; the server applies batches with `sequencing::plan` (what
//! `server/src/api/push.rs` does). Whatever the faults, once the network heals every mutation
//! is applied exactly once, in sequence order, and the device's outbox ends empty.

use std::collections::{BTreeMap, VecDeque};

use proptest::prelude::*;
use satchel_core::sync::sequencing::{plan, Step};

/// The server's durable state: what survives its restart.
#[derive(Default)]
struct Server {
    last_seq: u64,
    /// How many times each mutation's effect was applied.
    applied: BTreeMap<u64, u32>,
    /// Application order.
    log: Vec<u64>,
}

/// What the server answers a batch with: per mutation, applied or replayed; or a refusal.
type Answer = Result<Vec<(u64, Step)>, ()>;

impl Server {
    fn handle(&mut self, batch: &[u64]) -> Answer {
        let steps = plan(self.last_seq, batch).map_err(|_| ())?;
        for (&seq, step) in batch.iter().zip(&steps) {
            if *step == Step::Apply {
                *self.applied.entry(seq).or_default() += 1;
                self.log.push(seq);
                self.last_seq = seq;
            }
        }
        Ok(batch.iter().copied().zip(steps).collect())
    }
}

/// The device: a durable outbox, and an in-memory view of what is in flight.
struct Device {
    outbox: VecDeque<u64>,
    batch: usize,
}

impl Device {
    fn next_batch(&self) -> Vec<u64> {
        self.outbox.iter().take(self.batch).copied().collect()
    }

    /// Acknowledges what the answer names (a 200 for these exact numbers).
    fn acknowledge(&mut self, answer: &[(u64, Step)]) {
        for (seq, _) in answer {
            if let Some(pos) = self.outbox.iter().position(|s| s == seq) {
                self.outbox.remove(pos);
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Deliver,
    DropRequest,
    DropResponse,
    Duplicate,
    /// Hold this request and deliver it after the next one (reordering).
    Delay,
    RestartDevice,
    RestartServer,
    /// The device commits a new mutation meanwhile.
    Commit,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        4 => Just(Fault::Deliver),
        2 => Just(Fault::DropRequest),
        2 => Just(Fault::DropResponse),
        2 => Just(Fault::Duplicate),
        2 => Just(Fault::Delay),
        1 => Just(Fault::RestartDevice),
        1 => Just(Fault::RestartServer),
        2 => Just(Fault::Commit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_mutation_is_applied_exactly_once_in_order(
        initial in 1u64..30,
        batch in 1usize..8,
        faults in prop::collection::vec(fault(), 0..120),
    ) {
        let mut server = Server::default();
        let mut device = Device { outbox: (1..=initial).collect(), batch };
        let mut next_seq = initial + 1;
        let mut delayed: Vec<Vec<u64>> = Vec::new();

        for f in faults {
            let request = device.next_batch();
            match f {
                Fault::Commit => {
                    device.outbox.push_back(next_seq);
                    next_seq += 1;
                }
                Fault::RestartDevice => {
                    // The outbox is durable; in-flight knowledge is lost (nothing to model).
                    delayed.clear();
                }
                Fault::RestartServer => {
                    // Committed state survives; requests in flight to it are lost.
                    delayed.clear();
                }
                _ if request.is_empty() => {}
                Fault::DropRequest => {}
                Fault::DropResponse => {
                    let _ = server.handle(&request);
                }
                Fault::Deliver => {
                    if let Ok(answer) = server.handle(&request) {
                        device.acknowledge(&answer);
                    }
                    // A delayed request arrives late: answered as replays (or refused).
                    for old in delayed.drain(..) {
                        if let Ok(answer) = server.handle(&old) {
                            device.acknowledge(&answer);
                        }
                    }
                }
                Fault::Duplicate => {
                    for _ in 0..2 {
                        if let Ok(answer) = server.handle(&request) {
                            device.acknowledge(&answer);
                        }
                    }
                }
                Fault::Delay => delayed.push(request),
            }
        }
        // The network heals: the device keeps pushing until its outbox is empty.
        let mut rounds = 0;
        while !device.outbox.is_empty() {
            let request = device.next_batch();
            let answer = server.handle(&request);
            prop_assert!(answer.is_ok(), "a healed network never sees a refused batch: {request:?} after {}", server.last_seq);
            if let Ok(answer) = answer {
                device.acknowledge(&answer);
            }
            rounds += 1;
            prop_assert!(rounds < 1000, "the outbox drains");
        }
        let total = next_seq - 1;
        prop_assert_eq!(server.applied.len() as u64, total, "every mutation applied");
        prop_assert!(server.applied.values().all(|&n| n == 1), "none applied twice: {:?}", server.applied);
        prop_assert_eq!(server.log.clone(), (1..=total).collect::<Vec<_>>(), "applied in sequence order");
        prop_assert_eq!(server.last_seq, total);
    }
}
