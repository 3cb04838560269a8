//! The device's sync loop, as a pure state machine.
//!
//! The browser shell feeds it events (the app started, the network came back, a timer fired,
//! a push finished) and performs the commands it returns (push a batch, arm a timer, publish a
//! status). Because it reads no clock and draws no random number itself, every race and every
//! backoff schedule is testable natively and deterministically.

use serde::Serialize;

/// Why the loop was woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WakeReason {
    /// The app (or the module) just started.
    Start,
    /// The browser reported the network is back.
    Online,
    /// Something was committed to the outbox.
    Committed,
    /// The backoff or idle timer fired.
    Timer,
    /// The page became visible again.
    Visible,
    /// The user asked to sync now.
    Manual,
}

/// How a push attempt ended, as seen by the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// The server answered with per-mutation results; `more_pending` says whether the outbox
    /// still holds mutations after removing the acknowledged ones.
    Acknowledged {
        /// Mutations still queued after this batch.
        more_pending: bool,
    },
    /// Nothing was queued; no request was made.
    NothingToSend,
    /// No answer: offline, connection reset, timeout, or a 5xx. Retry with backoff.
    Unreachable,
    /// The server refused our credentials (401/403). Retrying will not help until the user
    /// signs in again.
    AuthRefused,
    /// The server refused the batch as a whole (4xx other than auth). Retried with backoff, since
    /// the cause may be on either side; the status shows the code.
    BatchRefused,
}

/// Events fed to [`SyncEngine::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncEvent {
    /// Please sync.
    Wake(WakeReason),
    /// The push the engine asked for has finished.
    PushFinished(PushOutcome),
    /// The user signed in again after [`PushOutcome::AuthRefused`].
    Reauthenticated,
}

/// Commands returned by [`SyncEngine::step`], for the shell to perform in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncCommand {
    /// Push the next batch from the outbox, then report [`SyncEvent::PushFinished`].
    PushBatch,
    /// Arm the wake-up timer (replacing any armed one) to fire after this many milliseconds.
    WakeAfter(u64),
    /// Cancel the wake-up timer.
    CancelTimer,
}

/// The loop's phase, as shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Nothing in flight.
    Idle,
    /// A push is in flight.
    Pushing,
    /// Waiting before retrying after failures.
    BackingOff,
    /// Stopped until the user signs in again.
    NeedsSignIn,
}

/// Timing of retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Delay before the first retry, in ms.
    pub base_ms: u64,
    /// Longest delay between retries, in ms.
    pub max_ms: u64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy { base_ms: 2_000, max_ms: 300_000 }
    }
}

impl BackoffPolicy {
    /// The delay after `failures` consecutive failures (≥ 1), with "equal jitter": half the
    /// exponential delay is fixed, the other half is spread by `random` so that a fleet of phones
    /// coming back online together does not retry in lockstep.
    pub fn delay_ms(&self, failures: u32, random: u32) -> u64 {
        let exp = failures.saturating_sub(1).min(32);
        let ceiling = self.base_ms.saturating_mul(1u64 << exp).min(self.max_ms);
        let half = ceiling / 2;
        half + u64::from(random) % (ceiling - half + 1)
    }
}

/// The sync loop's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncEngine {
    phase: Phase,
    failures: u32,
    wake_while_pushing: bool,
    policy: BackoffPolicy,
}

impl Default for SyncEngine {
    fn default() -> Self {
        Self::new(BackoffPolicy::default())
    }
}

impl SyncEngine {
    /// A new, idle engine.
    pub fn new(policy: BackoffPolicy) -> Self {
        SyncEngine { phase: Phase::Idle, failures: 0, wake_while_pushing: false, policy }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Consecutive failed attempts since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Advances the machine. `random` is a fresh random number used only for jitter.
    pub fn step(&mut self, event: SyncEvent, random: u32) -> Vec<SyncCommand> {
        use SyncCommand::*;
        match (self.phase, event) {
            (Phase::NeedsSignIn, SyncEvent::Reauthenticated) => {
                self.failures = 0;
                self.phase = Phase::Pushing;
                vec![PushBatch]
            }
            (Phase::NeedsSignIn, _) => vec![],
            (Phase::Pushing, SyncEvent::Wake(_)) => {
                // One push at a time; remember to look again when this one ends.
                self.wake_while_pushing = true;
                vec![]
            }
            (Phase::Idle | Phase::BackingOff, SyncEvent::Wake(_) | SyncEvent::Reauthenticated) => {
                self.phase = Phase::Pushing;
                self.wake_while_pushing = false;
                vec![CancelTimer, PushBatch]
            }
            (Phase::Pushing, SyncEvent::PushFinished(outcome)) => {
                let again = std::mem::take(&mut self.wake_while_pushing);
                match outcome {
                    PushOutcome::Acknowledged { more_pending } => {
                        self.failures = 0;
                        if more_pending || again {
                            vec![PushBatch]
                        } else {
                            self.phase = Phase::Idle;
                            vec![]
                        }
                    }
                    PushOutcome::NothingToSend => {
                        self.failures = 0;
                        if again {
                            vec![PushBatch]
                        } else {
                            self.phase = Phase::Idle;
                            vec![]
                        }
                    }
                    PushOutcome::Unreachable | PushOutcome::BatchRefused => {
                        self.failures = self.failures.saturating_add(1);
                        self.phase = Phase::BackingOff;
                        vec![WakeAfter(self.policy.delay_ms(self.failures, random))]
                    }
                    PushOutcome::AuthRefused => {
                        self.phase = Phase::NeedsSignIn;
                        vec![CancelTimer]
                    }
                }
            }
            // A finish report with no push in flight is stale (e.g. after a restart): ignore it.
            (_, SyncEvent::PushFinished(_)) => vec![],
            (Phase::Pushing, SyncEvent::Reauthenticated) => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SyncCommand::*;

    #[test]
    fn a_wake_pushes_until_the_outbox_is_empty() {
        let mut e = SyncEngine::default();
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Start), 0), vec![CancelTimer, PushBatch]);
        let more = SyncEvent::PushFinished(PushOutcome::Acknowledged { more_pending: true });
        assert_eq!(e.step(more, 0), vec![PushBatch]);
        let done = SyncEvent::PushFinished(PushOutcome::Acknowledged { more_pending: false });
        assert_eq!(e.step(done, 0), vec![]);
        assert_eq!(e.phase(), Phase::Idle);
    }

    #[test]
    fn a_commit_during_a_push_is_not_forgotten() {
        let mut e = SyncEngine::default();
        e.step(SyncEvent::Wake(WakeReason::Start), 0);
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Committed), 0), vec![], "one push at a time");
        let done = SyncEvent::PushFinished(PushOutcome::Acknowledged { more_pending: false });
        assert_eq!(e.step(done, 0), vec![PushBatch], "looks again for the new commit");
    }

    #[test]
    fn failures_back_off_exponentially_with_jitter_and_a_cap() {
        let mut e = SyncEngine::new(BackoffPolicy { base_ms: 1_000, max_ms: 8_000 });
        let mut delays = vec![];
        for _ in 0..6 {
            e.step(SyncEvent::Wake(WakeReason::Timer), 0);
            match e.step(SyncEvent::PushFinished(PushOutcome::Unreachable), u32::MAX).as_slice() {
                [WakeAfter(ms)] => delays.push(*ms),
                other => panic!("expected a timer, got {other:?}"),
            }
        }
        // ceilings 1s, 2s, 4s, 8s, 8s, 8s; each delay within [ceiling/2, ceiling]
        for (d, c) in delays.iter().zip([1_000u64, 2_000, 4_000, 8_000, 8_000, 8_000]) {
            assert!(*d >= c / 2 && *d <= c, "{d} not within {c}");
        }
        assert_eq!(e.failures(), 6);
        e.step(SyncEvent::Wake(WakeReason::Online), 0);
        e.step(SyncEvent::PushFinished(PushOutcome::Acknowledged { more_pending: false }), 0);
        assert_eq!(e.failures(), 0, "a success resets the backoff");
    }

    #[test]
    fn jitter_spreads_retries() {
        let p = BackoffPolicy::default();
        assert_ne!(p.delay_ms(3, 1), p.delay_ms(3, 3_000));
        assert_eq!(p.delay_ms(40, 0), p.max_ms / 2);
    }

    #[test]
    fn refused_credentials_stop_the_loop_until_sign_in() {
        let mut e = SyncEngine::default();
        e.step(SyncEvent::Wake(WakeReason::Start), 0);
        assert_eq!(e.step(SyncEvent::PushFinished(PushOutcome::AuthRefused), 0), vec![CancelTimer]);
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Online), 0), vec![]);
        assert_eq!(e.phase(), Phase::NeedsSignIn);
        assert_eq!(e.step(SyncEvent::Reauthenticated, 0), vec![PushBatch]);
    }
}
