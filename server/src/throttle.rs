//! Password guessing and password-hashing load (issue 15).
//!
//! **Throttling.** Every refused sign-in (`POST /api/v1/devices`) and re-authentication counts
//! against the username (any letter case) and against the client's address. From the
//! [`USER_THRESHOLD`]th consecutive failure of a username, or the [`ADDRESS_THRESHOLD`]th of an
//! address, the next attempt must wait: 1 s, then twice as long after each further failure, at
//! most [`MAX_DELAY`]. An attempt during the wait is answered `429 too_many_attempts` with
//! `Retry-After`, without checking the password (so it costs nothing and teaches nothing). A
//! success clears its username's count; an address's count only fades ([`FORGET_AFTER`] after
//! its last failure), so that one phone signing in does not clear the count of a shop's shared
//! connection being used to guess.
//!
//! **Hashing pool.** An Argon2id check takes about 19 MiB and tens of milliseconds of a core.
//! At most `permits` run at once ([`Guard::new`]; `SATCHEL_PASSWORD_CHECKS`, default the
//! number of cores); at most [`WAITING_PER_PERMIT`] × `permits` requests wait for one, each at
//! most [`MAX_WAIT`]. Beyond that the answer is `503 busy` with `Retry-After`, never an
//! unbounded queue or unbounded memory.
//!
//! The state is per instance and in memory: several instances each count on their own (an
//! attacker spreading guesses across N instances gets N times the attempts, still throttled).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use tokio::sync::Semaphore;

use crate::errors::AppError;

/// Consecutive failures of one username after which attempts wait.
pub const USER_THRESHOLD: u32 = 5;
/// Consecutive failures from one address after which attempts wait (a shop's or a depot's
/// shared connection carries many users).
pub const ADDRESS_THRESHOLD: u32 = 20;
/// The longest wait.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A count is forgotten this long after its last failure.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Waiting requests allowed per hashing permit.
pub const WAITING_PER_PERMIT: usize = 8;
/// The longest a request waits for a hashing permit.
pub const MAX_WAIT: Duration = Duration::from_secs(5);
/// Entries kept before forgotten ones are swept (bounds the memory an attacker can make us
/// spend on random usernames).
const MAX_ENTRIES: usize = 100_000;

/// What a failure is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A username, lower-cased.
    User(String),
    /// A client address.
    Address(IpAddr),
}

impl Key {
    /// The username key (case does not give an attacker more attempts).
    pub fn user(name: &str) -> Key {
        Key::User(name.trim().to_lowercase())
    }

    fn threshold(&self) -> u32 {
        match self {
            Key::User(_) => USER_THRESHOLD,
            Key::Address(_) => ADDRESS_THRESHOLD,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    /// No attempt before this.
    until: Instant,
}

/// The client's address, when the server was started with connection info (always, through
/// [`crate::start`]); `None` in a router driven without a socket.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip())))
    }
}

impl Peer {
    /// The keys an attempt for `username` from this peer counts against.
    pub fn keys(&self, username: &str) -> Vec<Key> {
        let mut keys = vec![Key::user(username)];
        keys.extend(self.0.map(Key::Address));
        keys
    }
}

/// The wait after `count` consecutive failures against a key whose threshold is `threshold`.
pub fn delay_after(count: u32, threshold: u32) -> Duration {
    if count < threshold {
        return Duration::ZERO;
    }
    let doublings = (count - threshold).min(20);
    Duration::from_secs(1u64 << doublings).min(MAX_DELAY)
}

/// The sign-in guard: failure counts and the hashing pool.
#[derive(Debug)]
pub struct Guard {
    failures: Mutex<HashMap<Key, Failures>>,
    hashing: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl Guard {
    /// A guard whose pool runs at most `permits` password checks at once (at least 1).
    pub fn new(permits: usize) -> Guard {
        let permits = permits.max(1);
        Guard {
            failures: Mutex::new(HashMap::new()),
            hashing: Semaphore::new(permits),
            waiting: AtomicUsize::new(0),
            max_waiting: permits * WAITING_PER_PERMIT,
        }
    }

    /// Refuses with `429 too_many_attempts` while any of `keys` must wait.
    pub fn check(&self, keys: &[Key], now: Instant) -> Result<(), AppError> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let wait = keys
            .iter()
            .filter_map(|k| map.get(k))
            .map(|f| f.until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if wait.is_zero() {
            Ok(())
        } else {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Err(AppError::TooManyAttempts { retry_after_s: seconds.max(1) })
        }
    }

    /// Counts a refused attempt against each of `keys`.
    pub fn failed(&self, keys: &[Key], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, f| now.saturating_duration_since(f.last) < FORGET_AFTER && f.until > now);
            if map.len() >= MAX_ENTRIES {
                // Still full of live entries: keep the ones that impose a wait.
                map.retain(|_, f| f.until > now);
            }
        }
        for key in keys {
            let entry = map.entry(key.clone()).or_insert(Failures { count: 0, last: now, until: now });
            if now.saturating_duration_since(entry.last) >= FORGET_AFTER {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
            entry.until = now + delay_after(entry.count, key.threshold());
        }
    }

    /// Clears the count of `key` after a success.
    pub fn succeeded(&self, key: &Key) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    /// Runs `check` (a password verification) in the bounded pool, on a blocking thread.
    pub async fn verify<F>(&self, check: F) -> Result<bool, AppError>
    where
        F: FnOnce() -> bool + Send + 'static,
    {
        let busy = || AppError::Busy { retry_after_s: 2 };
        let permit = match self.hashing.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(busy());
                }
                let got = tokio::time::timeout(MAX_WAIT, self.hashing.acquire()).await;
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                match got {
                    Ok(Ok(p)) => p,
                    _ => return Err(busy()),
                }
            }
        };
        let ok = tokio::task::spawn_blocking(check)
            .await
            .map_err(|e| AppError::Internal(format!("password check: {e}")))?;
        drop(permit);
        Ok(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_at_the_threshold_and_double_up_to_the_cap() {
        assert_eq!(delay_after(4, 5), Duration::ZERO);
        assert_eq!(delay_after(5, 5), Duration::from_secs(1));
        assert_eq!(delay_after(6, 5), Duration::from_secs(2));
        assert_eq!(delay_after(9, 5), Duration::from_secs(16));
        assert_eq!(delay_after(40, 5), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX, 5), MAX_DELAY);
    }

    #[test]
    fn a_username_is_throttled_in_any_case_and_a_success_clears_it() {
        let g = Guard::new(1);
        let t0 = Instant::now();
        let keys = [Key::user("Rep1"), Key::Address("10.0.0.1".parse().expect("ip"))];
        for _ in 0..4 {
            g.failed(&keys, t0);
        }
        assert!(g.check(&[Key::user("rep1")], t0).is_ok(), "four failures: no wait yet");
        g.failed(&keys, t0);
        let Err(AppError::TooManyAttempts { retry_after_s }) = g.check(&[Key::user("REP1 ")], t0) else {
            panic!("the fifth failure imposes a wait")
        };
        assert_eq!(retry_after_s, 1);
        assert!(g.check(&[Key::user("rep1")], t0 + Duration::from_secs(1)).is_ok(), "the wait ends");
        // The address (threshold 20) is not held yet; another user from it is not either.
        assert!(g.check(&[Key::user("rep2"), keys[1].clone()], t0).is_ok());
        g.succeeded(&Key::user("rep1"));
        assert!(g.check(&[Key::user("rep1")], t0).is_ok());
    }

    #[test]
    fn an_address_is_throttled_across_usernames() {
        let g = Guard::new(1);
        let t0 = Instant::now();
        let ip = Key::Address("10.0.0.2".parse().expect("ip"));
        for i in 0..ADDRESS_THRESHOLD {
            g.failed(&[Key::user(&format!("guess{i}")), ip.clone()], t0);
        }
        assert!(matches!(g.check(&[Key::user("fresh"), ip], t0), Err(AppError::TooManyAttempts { .. })));
    }

    #[test]
    fn counts_fade_after_an_hour() {
        let g = Guard::new(1);
        let t0 = Instant::now();
        let k = [Key::user("rep1")];
        for _ in 0..USER_THRESHOLD {
            g.failed(&k, t0);
        }
        let later = t0 + FORGET_AFTER;
        g.failed(&k, later);
        assert!(g.check(&k, later).is_ok(), "one failure after an hour starts a new count");
    }

    #[tokio::test]
    async fn the_pool_refuses_beyond_its_queue_instead_of_growing() {
        let g = std::sync::Arc::new(Guard::new(1));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        // One check holds the only permit until told to finish.
        let holder = {
            let (g, rx) = (g.clone(), rx.clone());
            tokio::spawn(async move {
                g.verify(move || {
                    let _ = rx.lock().map(|r| r.recv());
                    true
                })
                .await
            })
        };
        while g.hashing.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // WAITING_PER_PERMIT wait; the next is refused at once.
        let waiters: Vec<_> = (0..WAITING_PER_PERMIT)
            .map(|_| {
                let g = g.clone();
                tokio::spawn(async move { g.verify(|| false).await })
            })
            .collect();
        while g.waiting.load(Ordering::SeqCst) < WAITING_PER_PERMIT {
            tokio::task::yield_now().await;
        }
        assert!(matches!(g.verify(|| true).await, Err(AppError::Busy { .. })));
        tx.send(()).expect("release");
        assert!(matches!(holder.await.expect("join"), Ok(true)));
        for w in waiters {
            assert!(matches!(w.await.expect("join"), Ok(false)), "the waiters ran in turn");
        }
    }
}
