//! The device's sync loop, as a pure state machine.
//!
//! The browser shell feeds it events (the app started, the network came back, a timer fired,
//! a push or a pull finished) and performs the commands it returns (push a batch, pull a page,
//! arm a timer). Because it reads no clock and draws no random number itself, every race and
//! every backoff schedule is testable natively and deterministically.
//!
//! **Push first, then pull.** A wake starts a push round: batches are pushed until the outbox
//! holds nothing more. Then the checkpointed pull runs, one page at a time, until the server
//! says there is no more; then the loop is idle. Exactly one command that reports back
//! ([`SyncCommand::PushBatch`] or [`SyncCommand::PullPage`]) is in flight at a time: a wake that
//! arrives meanwhile is remembered, and once the round in flight ends it starts another push
//! round (so a commit made during a pull is pushed as soon as the pull ends, followed by a fresh
//! pull that brings back what the server made of it).
//!
//! A failed push or pull backs off (one failure counter for both, reset by any answer from the
//! server); refused credentials stop the loop until the user signs in again. When the server
//! itself says when to come back (`503` or `429` with `Retry-After`: it is busy, its disk is
//! full, it throttles), the loop waits at least that long, and nothing but that timer (or a new
//! sign-in) ends the wait: a commit, the network coming back or the page becoming visible
//! does not send a fleet of phones back at a server that asked for quiet.

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
    /// The workspace was unlocked: a pull (and the photo uploads before it) cannot run locked,
    /// so what a locked pass left undone runs now.
    Unlocked,
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
    /// The server asked to be retried later (`503` or `429` with `Retry-After`), in ms: the
    /// retry waits at least that long (at most [`MAX_SERVER_WAIT_MS`]).
    RetryLater {
        /// What `Retry-After` said, in ms.
        after_ms: u64,
    },
}

/// The longest wait a server's `Retry-After` can impose (one hour): a wrong or hostile header
/// cannot park a device's outbox for days.
pub const MAX_SERVER_WAIT_MS: u64 = 3_600_000;

/// How a pull of one page ended, as seen by the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullOutcome {
    /// The page was fetched, applied and its checkpoint stored (one IndexedDB transaction);
    /// `has_more` is the server's word that more changes follow the new checkpoint.
    Page {
        /// Whether another page is waiting.
        has_more: bool,
    },
    /// No answer: offline, connection reset, timeout, or a 5xx (or the page could not be
    /// stored). Retry with backoff; the stored checkpoint is unchanged, so nothing is lost.
    Unreachable,
    /// The server refused our credentials (401/403): stop until the user signs in again.
    AuthRefused,
    /// The server refused the pull (4xx other than auth, e.g. `bad_checkpoint`). Retried with
    /// backoff; the status shows the code.
    Refused,
    /// The server asked to be retried later, in ms (see [`PushOutcome::RetryLater`]).
    RetryLater {
        /// What `Retry-After` said, in ms.
        after_ms: u64,
    },
}

/// Events fed to [`SyncEngine::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncEvent {
    /// Please sync.
    Wake(WakeReason),
    /// The push the engine asked for has finished.
    PushFinished(PushOutcome),
    /// The pull of one page the engine asked for has finished.
    PullFinished(PullOutcome),
    /// The user signed in again after [`PushOutcome::AuthRefused`] or
    /// [`PullOutcome::AuthRefused`].
    Reauthenticated,
}

/// Commands returned by [`SyncEngine::step`], for the shell to perform in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncCommand {
    /// Push the next batch from the outbox, then report [`SyncEvent::PushFinished`].
    PushBatch,
    /// Fetch one pull page after the stored checkpoint (`GET /api/v1/sync/pull?checkpoint=…`),
    /// apply it and store its checkpoint in one IndexedDB transaction, then report
    /// [`SyncEvent::PullFinished`].
    PullPage,
    /// Arm the wake-up timer (replacing any armed one) to fire after this many milliseconds.
    WakeAfter(u64),
    /// Cancel the wake-up timer.
    CancelTimer,
}

/// The loop's phase, as shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Nothing in flight.
    Idle,
    /// A push is in flight.
    Pushing,
    /// A pull (of one page) is in flight.
    Pulling,
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
    /// A wake arrived while a push or a pull was in flight: push again when the round ends.
    woken_in_flight: bool,
    /// Backing off because the server said when to come back: only the timer (or a new sign-in)
    /// ends the wait.
    server_asked_wait: bool,
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
        SyncEngine { phase: Phase::Idle, failures: 0, woken_in_flight: false, server_asked_wait: false, policy }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Consecutive failed attempts (pushes and pulls alike) since the server last answered.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Advances the machine. `random` is a fresh random number used only for jitter.
    pub fn step(&mut self, event: SyncEvent, random: u32) -> Vec<SyncCommand> {
        use SyncCommand::*;
        match (self.phase, event) {
            (Phase::NeedsSignIn, SyncEvent::Reauthenticated) => {
                self.failures = 0;
                self.woken_in_flight = false;
                self.server_asked_wait = false;
                self.phase = Phase::Pushing;
                vec![PushBatch]
            }
            (Phase::NeedsSignIn, _) => vec![],
            (Phase::Pushing | Phase::Pulling, SyncEvent::Wake(_)) => {
                // One request at a time; remember to push again when this round ends.
                self.woken_in_flight = true;
                vec![]
            }
            (Phase::BackingOff, SyncEvent::Wake(reason)) if self.server_asked_wait && reason != WakeReason::Timer => {
                // The server said when; the armed timer ends the wait and pushes everything then.
                vec![]
            }
            (Phase::Idle | Phase::BackingOff, SyncEvent::Wake(_) | SyncEvent::Reauthenticated) => {
                self.phase = Phase::Pushing;
                self.woken_in_flight = false;
                self.server_asked_wait = false;
                vec![CancelTimer, PushBatch]
            }
            (Phase::Pushing, SyncEvent::PushFinished(outcome)) => match outcome {
                PushOutcome::Acknowledged { more_pending: true } => {
                    self.failures = 0;
                    // The next batch will carry whatever a wake meanwhile was about.
                    self.woken_in_flight = false;
                    vec![PushBatch]
                }
                PushOutcome::Acknowledged { more_pending: false } => {
                    self.failures = 0;
                    self.end_of_push_round()
                }
                // No request was made, so this says nothing of the server: the failure count
                // stands (a pull that keeps failing after empty pushes still backs off further).
                PushOutcome::NothingToSend => self.end_of_push_round(),
                PushOutcome::Unreachable | PushOutcome::BatchRefused => self.back_off(random, 0),
                PushOutcome::RetryLater { after_ms } => self.back_off(random, after_ms),
                PushOutcome::AuthRefused => self.needs_sign_in(),
            },
            (Phase::Pulling, SyncEvent::PullFinished(outcome)) => match outcome {
                PullOutcome::Page { has_more: true } => {
                    self.failures = 0;
                    // Keep `woken_in_flight`: the push round it asks for comes after the last page.
                    vec![PullPage]
                }
                PullOutcome::Page { has_more: false } => {
                    self.failures = 0;
                    if std::mem::take(&mut self.woken_in_flight) {
                        // Something may have been committed during the pull: push it now (a pull
                        // follows that push round, bringing back what the server made of it).
                        self.phase = Phase::Pushing;
                        vec![PushBatch]
                    } else {
                        self.phase = Phase::Idle;
                        vec![]
                    }
                }
                PullOutcome::Unreachable | PullOutcome::Refused => self.back_off(random, 0),
                PullOutcome::RetryLater { after_ms } => self.back_off(random, after_ms),
                PullOutcome::AuthRefused => self.needs_sign_in(),
            },
            // A finish report with nothing of its kind in flight is stale (e.g. after a restart):
            // ignore it.
            (_, SyncEvent::PushFinished(_) | SyncEvent::PullFinished(_)) => vec![],
            (Phase::Pushing | Phase::Pulling, SyncEvent::Reauthenticated) => vec![],
        }
    }

    /// The outbox is empty (as far as this push round knows): push again if a wake came in
    /// meanwhile, otherwise pull.
    fn end_of_push_round(&mut self) -> Vec<SyncCommand> {
        if std::mem::take(&mut self.woken_in_flight) {
            vec![SyncCommand::PushBatch]
        } else {
            self.phase = Phase::Pulling;
            vec![SyncCommand::PullPage]
        }
    }

    /// Waits before the next round: the backoff's delay, or the server's (`server_ms`, when it
    /// said one) if longer.
    fn back_off(&mut self, random: u32, server_ms: u64) -> Vec<SyncCommand> {
        // The retry starts a new push round anyway, so a wake that came in meanwhile is served.
        self.woken_in_flight = false;
        self.failures = self.failures.saturating_add(1);
        self.phase = Phase::BackingOff;
        self.server_asked_wait = server_ms > 0;
        let delay = self.policy.delay_ms(self.failures, random).max(server_ms.min(MAX_SERVER_WAIT_MS));
        vec![SyncCommand::WakeAfter(delay)]
    }

    fn needs_sign_in(&mut self) -> Vec<SyncCommand> {
        self.woken_in_flight = false;
        self.server_asked_wait = false;
        self.phase = Phase::NeedsSignIn;
        vec![SyncCommand::CancelTimer]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SyncCommand::*;

    fn page(has_more: bool) -> SyncEvent {
        SyncEvent::PullFinished(PullOutcome::Page { has_more })
    }

    const PUSHED_ALL: SyncEvent = SyncEvent::PushFinished(PushOutcome::Acknowledged { more_pending: false });
    const NOTHING: SyncEvent = SyncEvent::PushFinished(PushOutcome::NothingToSend);

    /// An engine with a pull in flight.
    fn pulling() -> SyncEngine {
        let mut e = SyncEngine::default();
        e.step(SyncEvent::Wake(WakeReason::Start), 0);
        assert_eq!(e.step(NOTHING, 0), vec![PullPage]);
        assert_eq!(e.phase(), Phase::Pulling);
        e
    }

    #[test]
    fn a_wake_pushes_until_the_outbox_is_empty() {
        let mut e = SyncEngine::default();
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Start), 0), vec![CancelTimer, PushBatch]);
        let more = SyncEvent::PushFinished(PushOutcome::Acknowledged { more_pending: true });
        assert_eq!(e.step(more, 0), vec![PushBatch]);
        let done = SyncEvent::PushFinished(PushOutcome::Acknowledged { more_pending: false });
        assert_eq!(e.step(done, 0), vec![PullPage], "then pulls");
        assert_eq!(e.phase(), Phase::Pulling);
        assert_eq!(e.step(page(false), 0), vec![]);
        assert_eq!(e.phase(), Phase::Idle);
    }

    #[test]
    fn a_commit_during_a_push_is_not_forgotten() {
        let mut e = SyncEngine::default();
        e.step(SyncEvent::Wake(WakeReason::Start), 0);
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Committed), 0), vec![], "one push at a time");
        let done = SyncEvent::PushFinished(PushOutcome::Acknowledged { more_pending: false });
        assert_eq!(e.step(done, 0), vec![PushBatch], "looks again for the new commit");
        assert_eq!(e.phase(), Phase::Pushing, "and does not pull before that push");
        assert_eq!(e.step(done, 0), vec![PullPage]);
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

    #[test]
    fn start_and_manual_pull_even_with_nothing_to_push() {
        for reason in [WakeReason::Start, WakeReason::Manual, WakeReason::Online, WakeReason::Visible, WakeReason::Unlocked] {
            let mut e = SyncEngine::default();
            assert_eq!(e.step(SyncEvent::Wake(reason), 0), vec![CancelTimer, PushBatch], "{reason:?}: push first");
            assert_eq!(e.step(NOTHING, 0), vec![PullPage], "{reason:?}: then pull");
            assert_eq!(e.phase(), Phase::Pulling);
            assert_eq!(e.step(page(false), 0), vec![]);
            assert_eq!(e.phase(), Phase::Idle);
        }
    }

    #[test]
    fn a_push_round_that_emptied_the_outbox_is_followed_by_a_pull() {
        let mut e = SyncEngine::default();
        e.step(SyncEvent::Wake(WakeReason::Committed), 0);
        let more = SyncEvent::PushFinished(PushOutcome::Acknowledged { more_pending: true });
        assert_eq!(e.step(more, 0), vec![PushBatch], "no pull while the outbox holds more");
        assert_eq!(e.phase(), Phase::Pushing);
        assert_eq!(e.step(PUSHED_ALL, 0), vec![PullPage]);
        assert_eq!(e.phase(), Phase::Pulling);
    }

    #[test]
    fn pulls_page_after_page_until_the_server_has_no_more() {
        let mut e = pulling();
        for _ in 0..5 {
            assert_eq!(e.step(page(true), 0), vec![PullPage]);
            assert_eq!(e.phase(), Phase::Pulling);
        }
        assert_eq!(e.step(page(false), 0), vec![], "no idle timer is armed");
        assert_eq!(e.phase(), Phase::Idle);
        assert_eq!(e.failures(), 0);
    }

    #[test]
    fn a_commit_during_a_pull_starts_another_push_round_after_it() {
        let mut e = pulling();
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Committed), 0), vec![], "never a push beside a pull");
        assert_eq!(e.phase(), Phase::Pulling);
        assert_eq!(e.step(page(true), 0), vec![PullPage], "the pull finishes its pages");
        assert_eq!(e.step(page(false), 0), vec![PushBatch], "then pushes the commit");
        assert_eq!(e.phase(), Phase::Pushing);
        assert_eq!(e.step(PUSHED_ALL, 0), vec![PullPage], "and pulls what the server made of it");
        assert_eq!(e.step(page(false), 0), vec![]);
        assert_eq!(e.phase(), Phase::Idle);
    }

    #[test]
    fn several_wakes_during_a_pull_make_one_push_round() {
        let mut e = pulling();
        for reason in [WakeReason::Committed, WakeReason::Online, WakeReason::Committed] {
            assert_eq!(e.step(SyncEvent::Wake(reason), 0), vec![]);
        }
        assert_eq!(e.step(page(false), 0), vec![PushBatch]);
        assert_eq!(e.step(NOTHING, 0), vec![PullPage]);
        assert_eq!(e.step(page(false), 0), vec![]);
        assert_eq!(e.phase(), Phase::Idle);
    }

    #[test]
    fn a_failed_pull_backs_off_then_retries_with_a_push_round() {
        for failed in [PullOutcome::Unreachable, PullOutcome::Refused] {
            let mut e = SyncEngine::new(BackoffPolicy { base_ms: 1_000, max_ms: 8_000 });
            e.step(SyncEvent::Wake(WakeReason::Start), 0);
            e.step(NOTHING, 0);
            match e.step(SyncEvent::PullFinished(failed), 0).as_slice() {
                [WakeAfter(ms)] => assert!((500..=1_000).contains(ms), "{failed:?}: {ms}"),
                other => panic!("{failed:?}: expected a timer, got {other:?}"),
            }
            assert_eq!(e.phase(), Phase::BackingOff);
            assert_eq!(e.failures(), 1);
            assert_eq!(e.step(SyncEvent::Wake(WakeReason::Timer), 0), vec![CancelTimer, PushBatch]);
            assert_eq!(e.step(NOTHING, 0), vec![PullPage]);
            assert_eq!(e.step(page(false), 0), vec![]);
            assert_eq!(e.failures(), 0, "a page resets the backoff");
        }
    }

    #[test]
    fn a_wake_during_a_pull_that_then_fails_is_served_by_the_retry() {
        let mut e = pulling();
        e.step(SyncEvent::Wake(WakeReason::Committed), 0);
        assert!(matches!(e.step(SyncEvent::PullFinished(PullOutcome::Unreachable), 0).as_slice(), [WakeAfter(_)]));
        assert_eq!(e.phase(), Phase::BackingOff);
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Timer), 0), vec![CancelTimer, PushBatch]);
    }

    #[test]
    fn pushes_and_pulls_share_one_failure_counter() {
        let mut e = SyncEngine::new(BackoffPolicy { base_ms: 1_000, max_ms: 64_000 });
        e.step(SyncEvent::Wake(WakeReason::Start), 0);
        e.step(SyncEvent::PushFinished(PushOutcome::Unreachable), 0);
        assert_eq!(e.failures(), 1);
        // The network is back for pushes only: an empty push then a failing pull, again and
        // again. An empty push made no request, so the backoff keeps growing.
        let mut ceilings = vec![];
        for _ in 0..4 {
            e.step(SyncEvent::Wake(WakeReason::Timer), 0);
            assert_eq!(e.step(NOTHING, 0), vec![PullPage]);
            match e.step(SyncEvent::PullFinished(PullOutcome::Unreachable), u32::MAX).as_slice() {
                [WakeAfter(ms)] => ceilings.push(*ms),
                other => panic!("expected a timer, got {other:?}"),
            }
        }
        assert_eq!(e.failures(), 5);
        for (d, c) in ceilings.iter().zip([2_000u64, 4_000, 8_000, 16_000]) {
            assert!(*d >= c / 2 && *d <= c, "{d} not within {c}");
        }
        // A push the server answers resets the counter; a pull failing after it starts over.
        e.step(SyncEvent::Wake(WakeReason::Timer), 0);
        e.step(PUSHED_ALL, 0);
        assert_eq!(e.failures(), 0);
        e.step(SyncEvent::PullFinished(PullOutcome::Refused), 0);
        assert_eq!(e.failures(), 1);
        // And a pulled page resets it too.
        e.step(SyncEvent::Wake(WakeReason::Timer), 0);
        e.step(NOTHING, 0);
        assert_eq!(e.failures(), 1, "an empty push is not a success");
        e.step(page(true), 0);
        assert_eq!(e.failures(), 0);
    }

    #[test]
    fn a_pull_refusing_credentials_stops_the_loop_until_sign_in() {
        let mut e = pulling();
        assert_eq!(e.step(SyncEvent::PullFinished(PullOutcome::AuthRefused), 0), vec![CancelTimer]);
        assert_eq!(e.phase(), Phase::NeedsSignIn);
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Manual), 0), vec![]);
        assert_eq!(e.step(page(true), 0), vec![], "a stale report changes nothing");
        assert_eq!(e.phase(), Phase::NeedsSignIn);
        assert_eq!(e.step(SyncEvent::Reauthenticated, 0), vec![PushBatch], "resumes with a push round");
        assert_eq!(e.step(NOTHING, 0), vec![PullPage], "then the pull");
    }

    #[test]
    fn a_push_refusing_credentials_resumes_with_push_then_pull() {
        let mut e = SyncEngine::default();
        e.step(SyncEvent::Wake(WakeReason::Committed), 0);
        e.step(SyncEvent::PushFinished(PushOutcome::AuthRefused), 0);
        assert_eq!(e.step(SyncEvent::Reauthenticated, 0), vec![PushBatch]);
        assert_eq!(e.step(PUSHED_ALL, 0), vec![PullPage]);
    }

    #[test]
    fn reports_of_the_other_kind_or_with_nothing_in_flight_are_ignored() {
        let mut e = pulling();
        assert_eq!(e.step(PUSHED_ALL, 0), vec![], "no push in flight");
        assert_eq!(e.step(SyncEvent::Reauthenticated, 0), vec![]);
        assert_eq!(e.phase(), Phase::Pulling);

        let mut e = SyncEngine::default();
        assert_eq!(e.step(page(true), 0), vec![], "no pull in flight");
        assert_eq!(e.phase(), Phase::Idle);
        e.step(SyncEvent::Wake(WakeReason::Start), 0);
        assert_eq!(e.step(page(true), 0), vec![], "a push is in flight, not a pull");
        assert_eq!(e.step(SyncEvent::PullFinished(PullOutcome::Unreachable), 0), vec![]);
        assert_eq!((e.phase(), e.failures()), (Phase::Pushing, 0));

        let mut e = SyncEngine::default();
        e.step(SyncEvent::Wake(WakeReason::Start), 0);
        e.step(SyncEvent::PushFinished(PushOutcome::Unreachable), 0);
        assert_eq!(e.step(page(false), 0), vec![], "nothing in flight while backing off");
        assert_eq!(e.phase(), Phase::BackingOff);
    }

    #[test]
    fn the_pulling_phase_reads_as_pulling() {
        assert_eq!(serde_json::to_string(&Phase::Pulling).expect("serializes"), "\"pulling\"");
        assert_eq!(serde_json::from_str::<Phase>("\"pulling\"").expect("parses"), Phase::Pulling);
    }

    #[test]
    fn a_server_that_says_when_is_not_retried_sooner_whatever_wakes_the_loop() {
        let mut e = SyncEngine::new(BackoffPolicy { base_ms: 1_000, max_ms: 8_000 });
        e.step(SyncEvent::Wake(WakeReason::Start), 0);
        // 503 busy, Retry-After: 30 — longer than the backoff's 0.5–1 s.
        let busy = SyncEvent::PushFinished(PushOutcome::RetryLater { after_ms: 30_000 });
        assert_eq!(e.step(busy, 0), vec![WakeAfter(30_000)]);
        assert_eq!(e.phase(), Phase::BackingOff);
        for reason in [WakeReason::Committed, WakeReason::Online, WakeReason::Visible, WakeReason::Manual, WakeReason::Start, WakeReason::Unlocked] {
            assert_eq!(e.step(SyncEvent::Wake(reason), 0), vec![], "{reason:?} waits for the server's time");
            assert_eq!(e.phase(), Phase::BackingOff);
        }
        // The timer ends the wait: everything committed meanwhile goes in this round.
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Timer), 0), vec![CancelTimer, PushBatch]);
        // The server asks again, for less than the backoff now wants: the backoff's delay stands.
        let soon = SyncEvent::PushFinished(PushOutcome::RetryLater { after_ms: 100 });
        let backoff = BackoffPolicy { base_ms: 1_000, max_ms: 8_000 }.delay_ms(2, 7);
        assert!(backoff > 100);
        assert_eq!(e.step(soon, 7), vec![WakeAfter(backoff)]);
        // An ordinary failure afterwards: wakes retry at once again.
        e.step(SyncEvent::Wake(WakeReason::Timer), 0);
        e.step(SyncEvent::PushFinished(PushOutcome::Unreachable), 0);
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Online), 0), vec![CancelTimer, PushBatch]);
    }

    #[test]
    fn a_pull_told_to_wait_waits_and_the_wait_is_bounded() {
        let mut e = pulling();
        let hostile = SyncEvent::PullFinished(PullOutcome::RetryLater { after_ms: u64::MAX });
        assert_eq!(e.step(hostile, 0), vec![WakeAfter(MAX_SERVER_WAIT_MS)]);
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Committed), 0), vec![]);
        // Signing in again (new credentials) is not a retry of the refused request: it may go.
        let mut e = SyncEngine::default();
        e.step(SyncEvent::Wake(WakeReason::Start), 0);
        e.step(SyncEvent::PushFinished(PushOutcome::RetryLater { after_ms: 5_000 }), 0);
        assert_eq!(e.step(SyncEvent::Reauthenticated, 0), vec![CancelTimer, PushBatch]);
        // And the wait is over: a later wake is served as usual.
        e.step(SyncEvent::PushFinished(PushOutcome::Unreachable), 0);
        assert_eq!(e.step(SyncEvent::Wake(WakeReason::Committed), 0), vec![CancelTimer, PushBatch]);
    }
}
