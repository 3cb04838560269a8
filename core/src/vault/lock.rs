//! The workspace lock as a pure state machine: events with the current time in, decisions out.
//!
//! The browser feeds it user activity, timer ticks (gloo-timers; [`Lock::idle_deadline_ms`]
//! says when the next one matters), page-hidden events and unlock attempts, and persists
//! [`LockState`] after every call so that wrong-PIN counts and delays survive a reload.
//!
//! Locking only *decides*: when a call reports that the workspace locked, the caller drops the
//! [`DataKey`](super::DataKey) (zeroizing it), shows the lock screen and answers business reads
//! and writes with [`VaultError::Locked`] ([`Lock::require_unlocked`]). No data is touched.
//!
//! # Wrong PINs
//!
//! Each failure is counted; from the thresholds in [`LockPolicy::delays`] on, the next attempt
//! waits (by default 1 minute after 5 failures, 5 after 6, 15 after 7, 60 after 8 or more).
//! After [`LockPolicy::reauth_after_failures`] failures the device refuses further attempts until
//! the server re-authenticates the user ([`Lock::reauthenticated`]). The count, not the clock,
//! bounds an attacker: at most that many guesses between two online sign-ins.
//!
//! # Clock
//!
//! Times are wall-clock milliseconds (they must survive reloads). A clock that goes backwards
//! counts as no time passing: every stored time is shifted back by the jump, so a delay keeps
//! the remaining time it had, the idle timer keeps the idle time already accrued, and nothing
//! unlocks. A clock moved *forward* does shorten delays; that cannot be prevented without a
//! trusted clock, which is why the re-authentication threshold counts failures, not time.

use serde::{Deserialize, Serialize};

use super::VaultError;

/// The deployment's lock settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockPolicy {
    /// Inactivity before the workspace locks, in ms (default 5 minutes).
    pub idle_timeout_ms: u64,
    /// The deployment's maximum inactivity timeout, in ms (default 30 minutes): a larger
    /// `idle_timeout_ms` is clamped to it.
    pub max_idle_timeout_ms: u64,
    /// Whether hiding the page (switching apps, locking the phone) locks at once (default off).
    pub lock_when_hidden: bool,
    /// `(failures, delay_ms)`: after at least `failures` consecutive wrong PINs, the next attempt
    /// waits `delay_ms`; the entry with the largest threshold reached applies.
    pub delays: Vec<(u32, u64)>,
    /// Consecutive wrong PINs after which only an online re-authentication unlocks (default 10).
    pub reauth_after_failures: u32,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy {
            idle_timeout_ms: 5 * 60_000,
            max_idle_timeout_ms: 30 * 60_000,
            lock_when_hidden: false,
            delays: vec![(5, 60_000), (6, 300_000), (7, 900_000), (8, 3_600_000)],
            reauth_after_failures: 10,
        }
    }
}

impl LockPolicy {
    /// The inactivity timeout in force: `idle_timeout_ms` clamped to `max_idle_timeout_ms`.
    pub fn effective_idle_timeout_ms(&self) -> u64 {
        self.idle_timeout_ms.min(self.max_idle_timeout_ms)
    }

    /// The wait imposed after `failures` consecutive wrong PINs (0: none).
    pub fn delay_after(&self, failures: u32) -> u64 {
        self.delays
            .iter()
            .filter(|(threshold, _)| failures >= *threshold)
            .max_by_key(|(threshold, _)| *threshold)
            .map_or(0, |(_, delay)| *delay)
    }

    /// How many more wrong PINs, after `failures` in a row, are allowed before one brings a wait
    /// or the password (for the lock screen's warning); `None` once a wait or the password already
    /// applies, so the screen says that instead.
    pub fn attempts_before_delay(&self, failures: u32) -> Option<u32> {
        let next_stop = self
            .delays
            .iter()
            .map(|(threshold, _)| *threshold)
            .chain(std::iter::once(self.reauth_after_failures))
            .filter(|threshold| *threshold > failures)
            .min()?;
        if self.delay_after(failures) > 0 || failures >= self.reauth_after_failures {
            return None;
        }
        Some(next_stop - failures)
    }
}

/// What the caller persists (JSON) so the lock survives reloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockState {
    /// Whether the workspace is locked.
    pub locked: bool,
    /// The last user activity while unlocked (ms).
    pub last_activity_ms: u64,
    /// Consecutive wrong PINs since the last success or re-authentication.
    pub failed_attempts: u32,
    /// No unlock attempt before this time (ms); 0 when there is no delay.
    pub next_attempt_at_ms: u64,
    /// The latest time observed (ms), to detect a clock going backwards.
    #[serde(default)]
    pub last_seen_ms: u64,
}

impl Default for LockState {
    /// A fresh device: locked (no key is unwrapped yet), no failures.
    fn default() -> Self {
        LockState {
            locked: true,
            last_activity_ms: 0,
            failed_attempts: 0,
            next_attempt_at_ms: 0,
            last_seen_ms: 0,
        }
    }
}

/// The lock state machine: a policy and the persisted state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    policy: LockPolicy,
    state: LockState,
}

impl Lock {
    /// A fresh device's lock: locked, no failures.
    pub fn new(policy: LockPolicy, now_ms: u64) -> Self {
        let state = LockState {
            last_seen_ms: now_ms,
            ..LockState::default()
        };
        Lock { policy, state }
    }

    /// The lock after a reload, from the persisted state: always locked (the data key did not
    /// survive the reload), with the failure count and any delay intact.
    pub fn restore(policy: LockPolicy, state: LockState, now_ms: u64) -> Self {
        let mut lock = Lock { policy, state };
        lock.lock(now_ms);
        lock
    }

    /// The policy.
    pub fn policy(&self) -> &LockPolicy {
        &self.policy
    }

    /// The state to persist after each call.
    pub fn state(&self) -> &LockState {
        &self.state
    }

    /// Whether the workspace is locked.
    pub fn is_locked(&self) -> bool {
        self.state.locked
    }

    /// `Err(Locked)` while locked: the guard for business reads and writes.
    pub fn require_unlocked(&self) -> Result<(), VaultError> {
        if self.state.locked {
            Err(VaultError::Locked)
        } else {
            Ok(())
        }
    }

    /// When the idle timeout expires if nothing happens (ms), or `None` while locked: the time of
    /// the next tick worth scheduling.
    pub fn idle_deadline_ms(&self) -> Option<u64> {
        (!self.state.locked).then(|| {
            self.state
                .last_activity_ms
                .saturating_add(self.policy.effective_idle_timeout_ms())
        })
    }

    /// User interaction: postpones the idle lock. Ignored while locked.
    pub fn on_activity(&mut self, now_ms: u64) {
        let now = self.observe(now_ms);
        if !self.state.locked {
            self.state.last_activity_ms = now;
        }
    }

    /// A timer tick: locks once the idle timeout has elapsed since the last activity. Returns
    /// whether this call locked the workspace.
    pub fn on_tick(&mut self, now_ms: u64) -> bool {
        let now = self.observe(now_ms);
        if self.state.locked {
            return false;
        }
        let idle = now.saturating_sub(self.state.last_activity_ms);
        if idle >= self.policy.effective_idle_timeout_ms() {
            self.state.locked = true;
            return true;
        }
        false
    }

    /// The page was hidden: locks if the policy says so (or if the idle timeout has elapsed).
    /// Returns whether this call locked the workspace.
    pub fn on_hidden(&mut self, now_ms: u64) -> bool {
        if self.policy.lock_when_hidden && !self.state.locked {
            self.observe(now_ms);
            self.state.locked = true;
            return true;
        }
        self.on_tick(now_ms)
    }

    /// Locks now (the user pressed "lock", or the shell restarted).
    pub fn lock(&mut self, now_ms: u64) {
        self.observe(now_ms);
        self.state.locked = true;
    }

    /// Whether an unlock attempt may be made now.
    ///
    /// Errors: [`VaultError::ReauthenticationRequired`] once the failures reach the policy's
    /// threshold; [`VaultError::TooManyAttempts`] with the wait left while a delay runs.
    pub fn check_attempt(&mut self, now_ms: u64) -> Result<(), VaultError> {
        let now = self.observe(now_ms);
        if self.state.failed_attempts >= self.policy.reauth_after_failures {
            return Err(VaultError::ReauthenticationRequired);
        }
        if now < self.state.next_attempt_at_ms {
            return Err(VaultError::TooManyAttempts {
                retry_after_ms: self.state.next_attempt_at_ms - now,
            });
        }
        Ok(())
    }

    /// A wrong PIN: counts it and starts the delay the policy sets for the new count.
    pub fn record_failure(&mut self, now_ms: u64) {
        let now = self.observe(now_ms);
        self.state.failed_attempts = self.state.failed_attempts.saturating_add(1);
        let delay = self.policy.delay_after(self.state.failed_attempts);
        self.state.next_attempt_at_ms = if delay == 0 {
            0
        } else {
            now.saturating_add(delay)
        };
        self.state.locked = true;
    }

    /// The PIN unwrapped the key: clears the failures and unlocks. Call it only after
    /// [`check_attempt`](Self::check_attempt) allowed the attempt (or use
    /// [`attempt_unlock`](Self::attempt_unlock), which does both).
    pub fn record_success(&mut self, now_ms: u64) {
        let now = self.observe(now_ms);
        self.state.failed_attempts = 0;
        self.state.next_attempt_at_ms = 0;
        self.state.locked = false;
        self.state.last_activity_ms = now;
    }

    /// The server re-authenticated the user: clears the re-authentication requirement, the
    /// failure count and any delay. The workspace stays locked until the PIN unwraps the key.
    pub fn reauthenticated(&mut self) {
        self.state.failed_attempts = 0;
        self.state.next_attempt_at_ms = 0;
    }

    /// One unlock attempt: checks that it is allowed, runs `unwrap` (which turns the PIN into
    /// the data key), and records the outcome: [`VaultError::WrongPin`] counts as a failure,
    /// success unlocks, any other error (a damaged wrapped key) is returned without counting.
    pub fn attempt_unlock<T>(
        &mut self,
        now_ms: u64,
        unwrap: impl FnOnce() -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        self.check_attempt(now_ms)?;
        match unwrap() {
            Ok(key) => {
                self.record_success(now_ms);
                Ok(key)
            }
            Err(VaultError::WrongPin) => {
                self.record_failure(now_ms);
                Err(VaultError::WrongPin)
            }
            Err(other) => Err(other),
        }
    }

    /// Reconciles `now_ms` with the latest time seen. If the clock went backwards, shifts every
    /// stored time back by the jump, so the jump counts as no time passing. Returns the time to
    /// use.
    fn observe(&mut self, now_ms: u64) -> u64 {
        let state = &mut self.state;
        if now_ms < state.last_seen_ms {
            let back = state.last_seen_ms - now_ms;
            state.last_activity_ms = state.last_activity_ms.saturating_sub(back);
            if state.next_attempt_at_ms != 0 {
                // Saturates only for a delay that had already run out: it stays run out.
                state.next_attempt_at_ms = state.next_attempt_at_ms.saturating_sub(back);
            }
        }
        state.last_seen_ms = now_ms;
        now_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_before_delay_counts_down_to_the_first_wait() {
        let policy = LockPolicy::default();
        let first = policy.delays.iter().map(|(t, _)| *t).min().unwrap_or(policy.reauth_after_failures);
        assert_eq!(policy.attempts_before_delay(0), Some(first));
        assert_eq!(policy.attempts_before_delay(first - 1), Some(1));
        assert_eq!(policy.attempts_before_delay(first), None, "a wait applies now");
        assert_eq!(policy.attempts_before_delay(policy.reauth_after_failures), None);
    }

    #[test]
    fn delay_after_picks_the_highest_threshold_reached_even_if_unsorted() {
        let policy = LockPolicy {
            delays: vec![(8, 40), (5, 10), (6, 20)],
            ..LockPolicy::default()
        };
        assert_eq!(policy.delay_after(4), 0);
        assert_eq!(policy.delay_after(5), 10);
        assert_eq!(policy.delay_after(7), 20);
        assert_eq!(policy.delay_after(9), 40);
    }

    #[test]
    fn idle_deadline_follows_activity_and_disappears_when_locked() {
        let mut lock = Lock::new(LockPolicy::default(), 0);
        assert_eq!(lock.idle_deadline_ms(), None);
        lock.record_success(1_000);
        assert_eq!(lock.idle_deadline_ms(), Some(301_000));
        lock.on_activity(2_000);
        assert_eq!(lock.idle_deadline_ms(), Some(302_000));
        lock.lock(3_000);
        assert_eq!(lock.idle_deadline_ms(), None);
    }

    #[test]
    fn policy_json_fills_missing_fields_with_defaults() {
        let policy: LockPolicy =
            serde_json::from_str(r#"{"idle_timeout_ms": 60000}"#).expect("valid policy JSON");
        assert_eq!(policy.idle_timeout_ms, 60_000);
        assert_eq!(policy.reauth_after_failures, 10);
        assert_eq!(policy.delays.len(), 4);
    }
}
