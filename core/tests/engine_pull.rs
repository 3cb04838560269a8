//! The sync engine's push-then-pull loop, as properties.
//!
//! 1. Random events, fed by a model of the shell that performs each command and reports its end
//!    (or sends stale reports): never two requests in flight, the phase always says which one is,
//!    a page with more behind it is always followed by the next page, a pull never starts while
//!    a push is in flight, and a wake during a pull (or a push) always leads to another push
//!    round before the loop rests.
//! 2. The engine driving a device against a model server with a hostile network, pulls
//!    included: every mutation is applied exactly once, and when the loop rests the device has
//!    pulled everything the server had, its own mutations' results included.

use proptest::prelude::*;
use satchel_core::sync::engine::{
    Phase, PullOutcome, PushOutcome, SyncCommand, SyncEngine, SyncEvent, WakeReason,
};
use satchel_core::sync::sequencing::{plan, Step};

fn wake_reason() -> impl Strategy<Value = WakeReason> {
    prop_oneof![
        Just(WakeReason::Start),
        Just(WakeReason::Online),
        Just(WakeReason::Committed),
        Just(WakeReason::Timer),
        Just(WakeReason::Visible),
        Just(WakeReason::Manual),
    ]
}

fn push_outcome() -> impl Strategy<Value = PushOutcome> {
    prop_oneof![
        3 => any::<bool>().prop_map(|more_pending| PushOutcome::Acknowledged { more_pending }),
        3 => Just(PushOutcome::NothingToSend),
        2 => Just(PushOutcome::Unreachable),
        1 => Just(PushOutcome::AuthRefused),
        1 => Just(PushOutcome::BatchRefused),
    ]
}

fn pull_outcome() -> impl Strategy<Value = PullOutcome> {
    prop_oneof![
        6 => any::<bool>().prop_map(|has_more| PullOutcome::Page { has_more }),
        2 => Just(PullOutcome::Unreachable),
        1 => Just(PullOutcome::AuthRefused),
        1 => Just(PullOutcome::Refused),
    ]
}

/// What the shell feeds the engine. A report of a kind that is not in flight is a stale one.
fn event() -> impl Strategy<Value = SyncEvent> {
    prop_oneof![
        3 => wake_reason().prop_map(SyncEvent::Wake),
        1 => Just(SyncEvent::Reauthenticated),
        3 => push_outcome().prop_map(SyncEvent::PushFinished),
        4 => pull_outcome().prop_map(SyncEvent::PullFinished),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Push,
    Pull,
}

/// The shell's view: what it is performing, and what the properties remember.
#[derive(Default)]
struct Shell {
    in_flight: Option<Request>,
    /// A wake arrived while a request was in flight and no push has been asked for since.
    owed_push: bool,
    armed_timer: bool,
}

impl Shell {
    /// Feeds `event` to the engine and checks every property on the commands it returns.
    fn feed(&mut self, engine: &mut SyncEngine, event: SyncEvent, random: u32) -> Result<Vec<SyncCommand>, TestCaseError> {
        let before = self.in_flight;
        // The report ends the request it is about; one of another kind is stale.
        let completes = matches!(
            (before, event),
            (Some(Request::Push), SyncEvent::PushFinished(_)) | (Some(Request::Pull), SyncEvent::PullFinished(_))
        );
        if completes {
            self.in_flight = None;
        }
        if before.is_some() && matches!(event, SyncEvent::Wake(_)) {
            self.owed_push = true;
        }
        let phase_before = engine.phase();
        let commands = engine.step(event, random);
        let requests = commands.iter().filter(|c| matches!(c, SyncCommand::PushBatch | SyncCommand::PullPage)).count();
        prop_assert!(requests <= 1, "{event:?} in {phase_before:?} asked for several requests: {commands:?}");
        for &command in &commands {
            match command {
                SyncCommand::PushBatch => {
                    prop_assert_eq!(self.in_flight, None, "push while {:?} in flight ({:?})", self.in_flight, event);
                    self.in_flight = Some(Request::Push);
                    self.owed_push = false;
                }
                SyncCommand::PullPage => {
                    prop_assert_eq!(self.in_flight, None, "pull while {:?} in flight ({:?})", self.in_flight, event);
                    // A pull starts only at the end of a push round or of a page with more behind it.
                    let ok = completes
                        && matches!(
                            event,
                            SyncEvent::PushFinished(PushOutcome::NothingToSend | PushOutcome::Acknowledged { more_pending: false })
                                | SyncEvent::PullFinished(PullOutcome::Page { has_more: true })
                        );
                    prop_assert!(ok, "pull started by {:?}", event);
                    // A wake during the round must be served by a push first, unless a pull is
                    // going on page by page.
                    prop_assert!(
                        !self.owed_push || event == SyncEvent::PullFinished(PullOutcome::Page { has_more: true }),
                        "pull asked for by {:?} though a wake during the round is owed a push",
                        event
                    );
                    self.in_flight = Some(Request::Pull);
                }
                SyncCommand::WakeAfter(_) => self.armed_timer = true,
                SyncCommand::CancelTimer => self.armed_timer = false,
            }
        }
        if completes && event == SyncEvent::PullFinished(PullOutcome::Page { has_more: true }) {
            prop_assert_eq!(&commands, &vec![SyncCommand::PullPage], "a page with more behind it is followed by the next");
        }
        let phase = engine.phase();
        let expected = match phase {
            Phase::Pushing => Some(Request::Push),
            Phase::Pulling => Some(Request::Pull),
            Phase::Idle | Phase::BackingOff | Phase::NeedsSignIn => None,
        };
        prop_assert_eq!(self.in_flight, expected, "phase {:?} after {:?}", phase, event);
        if phase == Phase::Idle {
            prop_assert!(!self.owed_push, "rests after {event:?} though a wake during the round was owed a push");
        }
        if phase == Phase::BackingOff && phase_before != Phase::BackingOff {
            prop_assert!(self.armed_timer, "backs off without a timer");
        }
        if phase == Phase::NeedsSignIn {
            prop_assert!(!self.armed_timer, "a timer stays armed while signed out");
        }
        Ok(commands)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn one_request_at_a_time_pages_run_to_the_end_and_wakes_get_their_push(
        events in prop::collection::vec(event(), 0..80),
        randoms in prop::collection::vec(any::<u32>(), 80),
    ) {
        let mut engine = SyncEngine::default();
        let mut shell = Shell::default();
        for (event, random) in events.into_iter().zip(randoms) {
            shell.feed(&mut engine, event, random)?;
        }
        // Then the world heals: requests succeed, timers fire, the user signs in. The loop must
        // come to rest, and not before any owed push round has run.
        let mut steps = 0;
        while engine.phase() != Phase::Idle {
            let event = match shell.in_flight {
                Some(Request::Push) => SyncEvent::PushFinished(PushOutcome::NothingToSend),
                Some(Request::Pull) => SyncEvent::PullFinished(PullOutcome::Page { has_more: false }),
                None if engine.phase() == Phase::NeedsSignIn => SyncEvent::Reauthenticated,
                None => SyncEvent::Wake(WakeReason::Timer),
            };
            shell.feed(&mut engine, event, 0)?;
            steps += 1;
            prop_assert!(steps < 10, "the loop comes to rest");
        }
        prop_assert_eq!(shell.in_flight, None);
        prop_assert!(!shell.owed_push);
    }
}

// ---------------------------------------------------------------------------------------------
// The engine against a model server, pulls included.

/// The server's durable state.
#[derive(Default)]
struct Server {
    last_seq: u64,
    applied: Vec<u64>,
    /// The change feed the pull reads: each entry is a change (here: the mutation applied, or
    /// `0` for a change made by someone else, e.g. the office).
    feed: Vec<u64>,
}

impl Server {
    fn push(&mut self, batch: &[u64]) -> Option<Vec<u64>> {
        let steps = plan(self.last_seq, batch).ok()?;
        for (seq, step) in batch.iter().zip(steps) {
            if step == Step::Apply {
                self.applied.push(*seq);
                self.feed.push(*seq);
                self.last_seq = *seq;
            }
        }
        Some(batch.to_vec())
    }

    /// One page after `checkpoint`: the changes, the new checkpoint and whether more follow.
    fn pull(&self, checkpoint: usize, page: usize) -> (Vec<u64>, usize, bool) {
        let end = (checkpoint + page).min(self.feed.len());
        (self.feed[checkpoint..end].to_vec(), end, end < self.feed.len())
    }
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Deliver,
    /// The request never reaches the server.
    DropRequest,
    /// The server answers, the answer is lost.
    DropResponse,
    /// The device commits a mutation while this request is in flight.
    CommitMeanwhile,
    /// The office changes something on the server while this request is in flight.
    OfficeChange,
}

fn net_fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        4 => Just(Fault::Deliver),
        1 => Just(Fault::DropRequest),
        1 => Just(Fault::DropResponse),
        2 => Just(Fault::CommitMeanwhile),
        1 => Just(Fault::OfficeChange),
    ]
}

const BATCH: usize = 3;

struct Device {
    outbox: Vec<u64>,
    next_seq: u64,
    /// Stored with each page, in the page's transaction.
    checkpoint: usize,
    /// What the pull brought in, in order.
    pulled: Vec<u64>,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn with_pulls_every_mutation_is_applied_once_and_its_result_pulled(
        initial in 0u64..8,
        office in 0usize..12,
        page in 1usize..4,
        faults in prop::collection::vec(net_fault(), 0..60),
    ) {
        let mut server = Server { feed: vec![0; office], ..Server::default() };
        let mut device = Device { outbox: (1..=initial).collect(), next_seq: initial + 1, checkpoint: 0, pulled: vec![] };
        let mut engine = SyncEngine::default();
        let mut faults = faults.into_iter();
        let mut events = vec![SyncEvent::Wake(WakeReason::Start)];
        let mut steps = 0;
        loop {
            steps += 1;
            prop_assert!(steps < 5_000, "the loop comes to rest");
            let Some(event) = events.pop() else {
                match engine.phase() {
                    Phase::Idle => break,
                    // The backoff timer fires (only the order of events matters).
                    Phase::BackingOff => {
                        events.push(SyncEvent::Wake(WakeReason::Timer));
                        continue;
                    }
                    other => return Err(TestCaseError::fail(format!("stuck in {other:?} with nothing in flight"))),
                }
            };
            let commands = engine.step(event, steps);
            for command in commands {
                let fault = match command {
                    SyncCommand::PushBatch | SyncCommand::PullPage => faults.next().unwrap_or(Fault::Deliver),
                    SyncCommand::WakeAfter(_) | SyncCommand::CancelTimer => continue,
                };
                let fault = match fault {
                    Fault::CommitMeanwhile => {
                        device.outbox.push(device.next_seq);
                        device.next_seq += 1;
                        events.push(SyncEvent::Wake(WakeReason::Committed));
                        Fault::Deliver
                    }
                    Fault::OfficeChange => {
                        server.feed.push(0);
                        Fault::Deliver
                    }
                    f => f,
                };
                // The finish report comes after any wake raised while the request was in flight.
                let report = match command {
                    SyncCommand::PushBatch => {
                        let batch: Vec<u64> = device.outbox.iter().take(BATCH).copied().collect();
                        let outcome = if batch.is_empty() {
                            PushOutcome::NothingToSend
                        } else {
                            match fault {
                                Fault::DropRequest => PushOutcome::Unreachable,
                                Fault::DropResponse => {
                                    server.push(&batch);
                                    PushOutcome::Unreachable
                                }
                                _ => match server.push(&batch) {
                                    Some(acked) => {
                                        device.outbox.retain(|s| !acked.contains(s));
                                        PushOutcome::Acknowledged { more_pending: !device.outbox.is_empty() }
                                    }
                                    None => PushOutcome::BatchRefused,
                                },
                            }
                        };
                        SyncEvent::PushFinished(outcome)
                    }
                    _ => {
                        let outcome = match fault {
                            Fault::DropRequest | Fault::DropResponse => PullOutcome::Unreachable,
                            _ => {
                                let (changes, checkpoint, has_more) = server.pull(device.checkpoint, page);
                                // Applied and checkpointed together.
                                device.pulled.extend(changes);
                                device.checkpoint = checkpoint;
                                PullOutcome::Page { has_more }
                            }
                        };
                        SyncEvent::PullFinished(outcome)
                    }
                };
                events.insert(0, report);
            }
        }
        prop_assert!(device.outbox.is_empty(), "outbox drained: {:?}", device.outbox);
        let total = device.next_seq - 1;
        prop_assert_eq!(&server.applied, &(1..=total).collect::<Vec<_>>(), "each applied once, in order");
        prop_assert_eq!(device.checkpoint, server.feed.len(), "at rest, the device has pulled everything");
        prop_assert_eq!(&device.pulled, &server.feed, "each change pulled once, in order");
    }
}
