//! Hybrid logical clocks (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014).
//!
//! A device's wall clock can be wrong by hours, and can jump backwards. An [`Hlc`] timestamp
//! pairs the largest physical time seen so far (`wall_ms`) with a `counter` that orders events
//! sharing that millisecond, and the `node` that issued it as a last tie-break, so that:
//!
//! - the timestamps one [`Clock`] issues strictly increase, whatever its physical clock does;
//! - if event *a* happened before event *b* (earlier on the same node, or *a* was sent and *b*
//!   is its receipt or later), then `hlc(a) < hlc(b)`;
//! - `wall_ms` stays close to physical time: never behind the local clock, and never more than
//!   the configured maximum drift ahead of it, because [`Clock::observe`] refuses a remote
//!   timestamp that is further ahead (rather than letting one bad device drag every clock into
//!   the future).
//!
//! On the wire and in storage a timestamp is a fixed-width string,
//! `"00000001732270000000-0000000003-<node>"`: 20 decimal digits of milliseconds (the whole
//! `u64` range), 10 digits of counter (the whole `u32` range), then the node id. Because the
//! numbers are zero-padded, comparing two such strings byte by byte gives the same order as
//! comparing the timestamps, so they can be indexed and sorted as plain text.
//!
//! The core reads no clock: the physical time is an argument of every operation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Default for [`Clock::with_max_drift`]: a remote timestamp may be up to 24 hours ahead.
pub const DEFAULT_MAX_DRIFT_MS: u64 = 24 * 60 * 60 * 1000;

/// Longest node id, in bytes.
pub const MAX_NODE_LEN: usize = 128;

/// Digits of `wall_ms` in the string form (enough for any `u64`).
const WALL_DIGITS: usize = 20;
/// Digits of `counter` in the string form (enough for any `u32`).
const COUNTER_DIGITS: usize = 10;

/// The identity of whoever issues timestamps (a device id, or the server's).
///
/// 1 to [`MAX_NODE_LEN`] printable ASCII characters, no spaces (a UUID string fits).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeId(String);

/// A node id that is empty, too long, or has a character other than printable ASCII.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a node id must be 1 to {MAX_NODE_LEN} printable ASCII characters without spaces: {0:?}")]
pub struct InvalidNodeId(pub String);

impl NodeId {
    /// Checks and wraps a node id.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidNodeId> {
        let id = id.into();
        let ok =
            !id.is_empty() && id.len() <= MAX_NODE_LEN && id.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(NodeId(id))
        } else {
            Err(InvalidNodeId(id))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NodeId {
    type Error = InvalidNodeId;
    fn try_from(id: String) -> Result<Self, Self::Error> {
        NodeId::new(id)
    }
}

impl From<NodeId> for String {
    fn from(id: NodeId) -> String {
        id.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A hybrid logical timestamp. Ordered by `wall_ms`, then `counter`, then `node`.
///
/// Serialized as its fixed-width string (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(type = "string"))]
pub struct Hlc {
    /// The largest physical time, in Unix milliseconds, known when the event happened.
    pub wall_ms: u64,
    /// Orders events that share `wall_ms`.
    pub counter: u32,
    /// Who issued the timestamp; breaks ties between nodes.
    pub node: NodeId,
}

impl Hlc {
    /// A timestamp from its parts.
    pub fn new(wall_ms: u64, counter: u32, node: NodeId) -> Self {
        Hlc { wall_ms, counter, node }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:0wall$}-{:0counter$}-{}",
            self.wall_ms,
            self.counter,
            self.node,
            wall = WALL_DIGITS,
            counter = COUNTER_DIGITS
        )
    }
}

/// Why a string is not an [`Hlc`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseHlcError {
    /// Not `<20 digits>-<10 digits>-<node>`.
    #[error("a timestamp is <20 digits>-<10 digits>-<node>: {0:?}")]
    Shape(String),
    /// The milliseconds do not fit a `u64`.
    #[error("the milliseconds of {0:?} are out of range")]
    Wall(String),
    /// The counter does not fit a `u32`.
    #[error("the counter of {0:?} is out of range")]
    Counter(String),
    /// The node id is invalid.
    #[error(transparent)]
    Node(#[from] InvalidNodeId),
}

impl FromStr for Hlc {
    type Err = ParseHlcError;

    /// Parses the exact form [`Display`](fmt::Display) writes, and nothing else (no sign, no
    /// spaces, no shorter numbers), so a string and its timestamp correspond one to one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || ParseHlcError::Shape(s.to_owned());
        let bytes = s.as_bytes();
        let counter_at = WALL_DIGITS + 1;
        let node_at = counter_at + COUNTER_DIGITS + 1;
        if bytes.len() <= node_at
            || bytes[WALL_DIGITS] != b'-'
            || bytes[node_at - 1] != b'-'
            || !bytes[..WALL_DIGITS].iter().all(u8::is_ascii_digit)
            || !bytes[counter_at..node_at - 1].iter().all(u8::is_ascii_digit)
        {
            return Err(shape());
        }
        // All checked bytes are ASCII, so these are character boundaries.
        let wall_ms = s[..WALL_DIGITS].parse().map_err(|_| ParseHlcError::Wall(s.to_owned()))?;
        let counter =
            s[counter_at..node_at - 1].parse().map_err(|_| ParseHlcError::Counter(s.to_owned()))?;
        let node = NodeId::new(&s[node_at..])?;
        Ok(Hlc { wall_ms, counter, node })
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a clock could not issue a timestamp. The clock is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HlcError {
    /// A received timestamp is further ahead of the local physical clock than allowed.
    #[error(
        "remote timestamp {remote} is more than {max_drift_ms} ms ahead of physical time {physical_ms}"
    )]
    TooFarAhead {
        /// The received timestamp.
        remote: Hlc,
        /// The local physical time it was compared to.
        physical_ms: u64,
        /// The allowed lead.
        max_drift_ms: u64,
    },
    /// More than `u32::MAX` events in one logical millisecond.
    #[error("counter exhausted at {wall_ms} ms")]
    CounterOverflow {
        /// The millisecond whose counter ran out.
        wall_ms: u64,
    },
}

/// One node's hybrid logical clock.
///
/// Persist [`Clock::last`] after issuing a timestamp and [`Clock::restore`] it on restart, so
/// that timestamps keep increasing across restarts even if the physical clock went back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    last: Hlc,
    max_drift_ms: u64,
}

impl Clock {
    /// A fresh clock for `node`, with the default maximum drift ([`DEFAULT_MAX_DRIFT_MS`]).
    pub fn new(node: NodeId) -> Self {
        Clock::with_max_drift(node, DEFAULT_MAX_DRIFT_MS)
    }

    /// A fresh clock that refuses remote timestamps more than `max_drift_ms` ahead.
    pub fn with_max_drift(node: NodeId, max_drift_ms: u64) -> Self {
        Clock { last: Hlc::new(0, 0, node), max_drift_ms }
    }

    /// A clock resuming after `last`, the latest timestamp it issued (its node is `last.node`).
    pub fn restore(last: Hlc, max_drift_ms: u64) -> Self {
        Clock { last, max_drift_ms }
    }

    /// The latest timestamp issued (at `0-0` before the first).
    pub fn last(&self) -> &Hlc {
        &self.last
    }

    /// The node this clock issues timestamps for.
    pub fn node(&self) -> &NodeId {
        &self.last.node
    }

    /// The allowed lead of a remote timestamp over physical time, in milliseconds.
    pub fn max_drift_ms(&self) -> u64 {
        self.max_drift_ms
    }

    /// A timestamp for a local event or a send, given the physical time now.
    ///
    /// Strictly greater than every timestamp this clock issued or observed before, even if
    /// `physical_ms` went backwards.
    pub fn now(&mut self, physical_ms: u64) -> Result<Hlc, HlcError> {
        let (wall_ms, counter) = if physical_ms > self.last.wall_ms {
            (physical_ms, 0)
        } else {
            (self.last.wall_ms, self.next_counter(self.last.counter)?)
        };
        Ok(self.issue(wall_ms, counter))
    }

    /// A timestamp for the receipt of a message stamped `remote`, given the physical time now.
    ///
    /// Greater than `remote` and than every timestamp this clock issued or observed before.
    /// Refuses, leaving the clock unchanged, a `remote` more than the maximum drift ahead of
    /// `physical_ms`.
    pub fn observe(&mut self, remote: &Hlc, physical_ms: u64) -> Result<Hlc, HlcError> {
        if remote.wall_ms > physical_ms.saturating_add(self.max_drift_ms) {
            return Err(HlcError::TooFarAhead {
                remote: remote.clone(),
                physical_ms,
                max_drift_ms: self.max_drift_ms,
            });
        }
        let last = &self.last;
        let wall_ms = physical_ms.max(last.wall_ms).max(remote.wall_ms);
        let counter = if wall_ms == last.wall_ms && wall_ms == remote.wall_ms {
            self.next_counter(last.counter.max(remote.counter))?
        } else if wall_ms == last.wall_ms {
            self.next_counter(last.counter)?
        } else if wall_ms == remote.wall_ms {
            self.next_counter(remote.counter)?
        } else {
            0
        };
        Ok(self.issue(wall_ms, counter))
    }

    fn next_counter(&self, counter: u32) -> Result<u32, HlcError> {
        counter.checked_add(1).ok_or(HlcError::CounterOverflow { wall_ms: self.last.wall_ms })
    }

    fn issue(&mut self, wall_ms: u64, counter: u32) -> Hlc {
        self.last.wall_ms = wall_ms;
        self.last.counter = counter;
        self.last.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: u64 = 60 * 60 * 1000;
    const T0: u64 = 1_732_270_000_000;

    fn node(id: &str) -> NodeId {
        NodeId::new(id).expect("valid node id")
    }

    #[test]
    fn timestamps_increase_even_when_the_physical_clock_goes_back() {
        let mut clock = Clock::new(node("phone"));
        let a = clock.now(T0).expect("a");
        let b = clock.now(T0).expect("b");
        let c = clock.now(T0 - HOUR).expect("c"); // the user set the clock back an hour
        let d = clock.now(T0 - HOUR + 5).expect("d");
        let e = clock.now(T0 + 1).expect("e");
        assert!(a < b && b < c && c < d && d < e, "{a} {b} {c} {d} {e}");
        assert_eq!((a.wall_ms, a.counter), (T0, 0));
        assert_eq!((c.wall_ms, c.counter), (T0, 2));
        assert_eq!((e.wall_ms, e.counter), (T0 + 1, 0));
    }

    #[test]
    fn a_device_hours_ahead_within_the_drift_is_accepted_and_ordered() {
        let mut phone = Clock::new(node("phone"));
        let mut server = Clock::new(node("server"));
        let sent = phone.now(T0 + 5 * HOUR).expect("phone clock five hours fast");
        let received = server.observe(&sent, T0).expect("within 24 h");
        assert!(sent < received);
        assert_eq!((received.wall_ms, received.counter), (T0 + 5 * HOUR, 1));
        // Later server events stay after the receipt although the server's clock is behind.
        let later = server.now(T0 + 1000).expect("later");
        assert!(received < later);
        // Once physical time passes the fast timestamp, the wall time follows it again.
        let caught_up = server.now(T0 + 6 * HOUR).expect("caught up");
        assert_eq!((caught_up.wall_ms, caught_up.counter), (T0 + 6 * HOUR, 0));
    }

    #[test]
    fn a_remote_beyond_the_drift_is_refused_and_the_clock_is_unchanged() {
        let mut server = Clock::with_max_drift(node("server"), 2 * HOUR);
        server.now(T0).expect("first");
        let before = server.clone();
        let remote = Hlc::new(T0 + 2 * HOUR + 1, 0, node("phone"));
        let err = server.observe(&remote, T0).expect_err("too far ahead");
        assert_eq!(err, HlcError::TooFarAhead { remote, physical_ms: T0, max_drift_ms: 2 * HOUR });
        assert_eq!(server, before);
        // Exactly at the limit is accepted.
        let edge = Hlc::new(T0 + 2 * HOUR, 7, node("phone"));
        assert_eq!(server.observe(&edge, T0).expect("at the limit").counter, 8);
        // The default is 24 hours.
        let mut default = Clock::new(node("server"));
        assert!(default.observe(&Hlc::new(T0 + 24 * HOUR, 0, node("p")), T0).is_ok());
        let mut default = Clock::new(node("server"));
        assert!(default.observe(&Hlc::new(T0 + 24 * HOUR + 1, 0, node("p")), T0).is_err());
    }

    #[test]
    fn counter_overflow_is_an_error_and_leaves_the_clock_unchanged() {
        let mut clock = Clock::restore(Hlc::new(T0, u32::MAX, node("phone")), DEFAULT_MAX_DRIFT_MS);
        let before = clock.clone();
        assert_eq!(clock.now(T0), Err(HlcError::CounterOverflow { wall_ms: T0 }));
        assert_eq!(
            clock.observe(&Hlc::new(T0, 3, node("x")), T0 - 1),
            Err(HlcError::CounterOverflow { wall_ms: T0 })
        );
        assert_eq!(clock, before);
        // A remote at the top of its counter cannot be followed in the same millisecond either.
        let mut other = Clock::new(node("server"));
        let remote = Hlc::new(T0, u32::MAX, node("phone"));
        assert!(matches!(other.observe(&remote, T0), Err(HlcError::CounterOverflow { .. })));
        // Physical time moving on frees the counter.
        assert_eq!(clock.now(T0 + 1).expect("next ms").counter, 0);
    }

    #[test]
    fn restore_continues_after_the_persisted_timestamp() {
        let mut clock = Clock::new(node("phone"));
        let last = clock.now(T0).expect("t");
        let mut restarted = Clock::restore(last.clone(), DEFAULT_MAX_DRIFT_MS);
        assert!(restarted.now(T0 - HOUR).expect("after restart") > last);
        assert_eq!(restarted.node(), &node("phone"));
    }

    #[test]
    fn string_form_is_fixed_width_and_round_trips() {
        let t = Hlc::new(1_732_270_000_000, 3, node("0192f0c4-8b7e-7000-8000-000000000001"));
        let s = t.to_string();
        assert_eq!(s, "00000001732270000000-0000000003-0192f0c4-8b7e-7000-8000-000000000001");
        assert_eq!(s.parse::<Hlc>(), Ok(t.clone()));
        let json = serde_json::to_string(&t).expect("serialize");
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(serde_json::from_str::<Hlc>(&json).expect("deserialize"), t);
        let max = Hlc::new(u64::MAX, u32::MAX, node("n"));
        assert_eq!(max.to_string().parse::<Hlc>(), Ok(max));
    }

    #[test]
    fn malformed_strings_are_typed_errors() {
        let shape = |s: &str| Err(ParseHlcError::Shape(s.to_owned()));
        for s in [
            "",
            "1732270000000-3-n",
            "00000001732270000000-0000000003-",
            "00000001732270000000-0000000003",
            "00000001732270000000_0000000003-n",
            "+0000001732270000000-0000000003-n",
            "00000001732270000000-000000003-nn",
            "00000001732270000000-00000000é3-n",
        ] {
            assert_eq!(s.parse::<Hlc>(), shape(s), "{s:?}");
        }
        let s = "99999999999999999999-0000000003-n";
        assert_eq!(s.parse::<Hlc>(), Err(ParseHlcError::Wall(s.to_owned())));
        let s = "00000000000000000001-9999999999-n";
        assert_eq!(s.parse::<Hlc>(), Err(ParseHlcError::Counter(s.to_owned())));
        let s = "00000000000000000001-0000000001-has space";
        assert_eq!(s.parse::<Hlc>(), Err(ParseHlcError::Node(InvalidNodeId("has space".into()))));
        assert!(serde_json::from_str::<Hlc>("\"nope\"").is_err());
        assert!(serde_json::from_str::<NodeId>("\"\"").is_err());
        assert!(NodeId::new("x".repeat(MAX_NODE_LEN + 1)).is_err());
        assert!(NodeId::new("x".repeat(MAX_NODE_LEN)).is_ok());
    }

    #[test]
    fn causality_across_three_nodes_with_skewed_clocks() {
        // a (phone, 3 h fast) sends to the server (correct), which sends to a tablet (2 h slow).
        let mut phone = Clock::new(node("phone"));
        let mut server = Clock::new(node("server"));
        let mut tablet = Clock::new(node("tablet"));
        let a = phone.now(T0 + 3 * HOUR).expect("a");
        let b = server.observe(&a, T0).expect("b");
        let c = server.now(T0 + 10).expect("c");
        let d = tablet.observe(&c, T0 - 2 * HOUR).expect("d");
        let e = tablet.now(T0 - 2 * HOUR + 1).expect("e");
        assert!(a < b && b < c && c < d && d < e);
    }

    fn node_id() -> impl Strategy<Value = NodeId> {
        "[!-~]{1,12}".prop_map(|s| NodeId::new(s).expect("printable ASCII"))
    }

    fn hlc() -> impl Strategy<Value = Hlc> {
        // Small ranges as well as the whole range, so that ties are common.
        let wall = prop_oneof![0u64..4, any::<u64>()];
        let counter = prop_oneof![0u32..4, any::<u32>()];
        (wall, counter, prop_oneof!["[ab]".prop_map(|s| NodeId::new(s).expect("ok")), node_id()])
            .prop_map(|(w, c, n)| Hlc::new(w, c, n))
    }

    /// One step of a simulated exchange between nodes.
    #[derive(Debug, Clone)]
    enum Step {
        /// Node `n` has a local event (or sends) with its physical clock at `t`.
        Local { n: usize, t: u64 },
        /// Node `n` receives the message of event number `m` (modulo the events so far).
        Receive { n: usize, m: usize, t: u64 },
    }

    fn step() -> impl Strategy<Value = Step> {
        // Physical times jump around by hours, forwards and backwards.
        let t = (0u64..48).prop_map(|h| T0 + h * HOUR / 2);
        prop_oneof![
            (0usize..3, t.clone()).prop_map(|(n, t)| Step::Local { n, t }),
            (0usize..3, any::<usize>(), t).prop_map(|(n, m, t)| Step::Receive { n, m, t }),
        ]
    }

    proptest! {
        #[test]
        fn string_order_is_clock_order(a in hlc(), b in hlc()) {
            let (sa, sb) = (a.to_string(), b.to_string());
            prop_assert_eq!(sa.cmp(&sb), a.cmp(&b));
            prop_assert_eq!(sa.parse::<Hlc>(), Ok(a));
            prop_assert_eq!(sb.parse::<Hlc>(), Ok(b));
        }

        #[test]
        fn happened_before_implies_smaller_timestamp(steps in proptest::collection::vec(step(), 1..60)) {
            let mut clocks: Vec<Clock> =
                ["n0", "n1", "n2"].iter().map(|n| Clock::new(node(n))).collect();
            // Every event: its timestamp and the events that happened before it (by index).
            let mut events: Vec<(Hlc, Vec<usize>)> = Vec::new();
            let mut last_on: [Option<usize>; 3] = [None; 3];
            for s in steps {
                let (n, stamp, mut before) = match s {
                    Step::Local { n, t } => (n, clocks[n].now(t), Vec::new()),
                    Step::Receive { n, m, t } => {
                        if events.is_empty() { continue; }
                        let m = m % events.len();
                        match clocks[n].observe(&events[m].0, t) {
                            Err(HlcError::TooFarAhead { .. }) => continue,
                            other => {
                                let mut before = events[m].1.clone();
                                before.push(m);
                                (n, other, before)
                            }
                        }
                    }
                };
                let stamp = stamp.expect("no overflow in small runs");
                if let Some(p) = last_on[n] {
                    before.extend(events[p].1.iter().copied());
                    before.push(p);
                }
                for &p in &before {
                    prop_assert!(events[p].0 < stamp, "{} !< {}", events[p].0, stamp);
                }
                before.sort_unstable();
                before.dedup();
                last_on[n] = Some(events.len());
                events.push((stamp, before));
            }
        }
    }
}
