//! High-water marks (issue 20): what a device has committed, so the server can tell what never
//! arrived when a browser wipes the device's storage.
//!
//! Each push carries [`DeviceMarks`]: the highest sequence number the device has committed and the
//! document numbers it still holds unused. The server keeps the latest per device, recorded
//! before the push's batch is applied (so a push whose batch fails still leaves them). Devices
//! take numbers in order within their leased ranges, and the server knows per range the highest
//! number it has received (`used_through`), so the numbers the device used that never arrived
//! are, per range, those after the server's `used_through` up to the device's own
//! ([`missing_numbers`]). The changes that never arrived are the committed sequence numbers past
//! the server's last one ([`missing_changes`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sales::numbering::format_number;
use crate::sales::NumberRange;

/// The most ranges a push may report unused (a device holds one or two).
pub const MAX_UNUSED_RANGES: usize = 16;
/// The most missing document numbers listed per device (the count is always exact).
pub const MAX_LISTED: usize = 200;

/// What a device has committed, as of a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceMarks {
    /// The highest sequence number committed (0: none yet).
    pub committed_seq: u64,
    /// The document-number ranges leased to it it has not used yet (the device's own counters).
    #[serde(default)]
    pub unused_ranges: Vec<NumberRange>,
}

/// Why marks are refused (the push is then refused whole, `400 bad_marks`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarksError {
    /// More ranges than [`MAX_UNUSED_RANGES`].
    #[error("at most {MAX_UNUSED_RANGES} unused number ranges may be reported")]
    TooManyRanges,
    /// A sequence number beyond what the server can store.
    #[error("the committed sequence number is too large")]
    SeqTooLarge,
}

/// Checks marks before they are stored.
pub fn check(m: &DeviceMarks) -> Result<(), MarksError> {
    if m.unused_ranges.len() > MAX_UNUSED_RANGES {
        return Err(MarksError::TooManyRanges);
    }
    if i64::try_from(m.committed_seq).is_err() {
        return Err(MarksError::SeqTooLarge);
    }
    Ok(())
}

/// The highest number of `leased` the device has used, by its `unused` ranges: the number before
/// the first unused one inside `leased`, `leased.last` when none of it is unused, `None` when all
/// of it is.
pub fn device_used_through(leased: &NumberRange, unused: &[NumberRange]) -> Option<u64> {
    let first_unused = unused
        .iter()
        .filter(|u| u.prefix == leased.prefix && !u.is_empty())
        .filter_map(|u| {
            let lo = u.first.max(leased.first);
            (lo <= u.last.min(leased.last)).then_some(lo)
        })
        .min();
    match first_unused {
        None => Some(leased.last),
        Some(n) if n <= leased.first => None,
        Some(n) => Some(n - 1),
    }
}

/// The document numbers the device used that the server never received: per leased range
/// (with the server's `used_through`), those after it up to the device's own. At most
/// [`MAX_LISTED`] are listed; the second value is the exact count.
pub fn missing_numbers(leased: &[(NumberRange, Option<u64>)], unused: &[NumberRange]) -> (Vec<String>, u64) {
    let mut listed = Vec::new();
    let mut total = 0u64;
    for (range, server_through) in leased {
        let Some(device_through) = device_used_through(range, unused) else { continue };
        let from = server_through.map_or(range.first, |s| s.saturating_add(1)).max(range.first);
        if from > device_through {
            continue;
        }
        total = total.saturating_add(device_through - from + 1);
        let mut n = from;
        while n <= device_through && listed.len() < MAX_LISTED {
            listed.push(format_number(&range.prefix, n));
            n += 1;
        }
    }
    (listed, total)
}

/// The changes committed that never arrived: `committed_seq` past the server's `last_seq`.
pub fn missing_changes(committed_seq: u64, last_seq: u64) -> u64 {
    committed_seq.saturating_sub(last_seq)
}

/// One device's work the server knows of and does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct MissingWork {
    /// The device.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub device_id: Uuid,
    /// Its user.
    pub username: String,
    /// Its label (the browser it registered from).
    pub label: String,
    /// Changes committed on it that never arrived.
    pub changes: u64,
    /// Document numbers it used that never arrived (at most [`MAX_LISTED`]).
    pub documents: Vec<String>,
    /// How many document numbers never arrived.
    pub documents_total: u64,
    /// When it last reported (its last push), RFC 3339.
    pub last_contact: String,
}

/// One range leased to a device, as `number_ranges` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    /// The range.
    pub range: NumberRange,
    /// The highest number of it the server received, if any.
    pub used_through: Option<u64>,
    /// When it was leased.
    pub leased_at: DateTime<Utc>,
}

/// The device's leases it may have taken numbers from when it reported `unused` at
/// `reported_at`, each with how far the server holds it: what core's [`missing_numbers`] is
/// given (the server's leases). Core reads a leased range that none of the
/// unused ranges overlaps as used up, which holds only for a range the device knew of, so this
/// leaves out what it could not have taken numbers from when it reported: its register's
/// receipt ranges (a device reports its document ranges only), ranges leased after the report
/// (the push that carried the marks may have leased one), and ranges past the device's first
/// unused number (a lease whose answer was lost and was leased again: the device takes numbers
/// oldest range first). And since a device takes numbers in order and the server receives its
/// changes in order, the highest number received of a prefix means every number the device took
/// before it arrived.
pub fn ranges_to_check(
    leases: &[Leased],
    unused: &[NumberRange],
    reported_at: DateTime<Utc>,
    receipt_prefix: Option<&str>,
) -> Vec<(NumberRange, Option<u64>)> {
    let documents = || leases.iter().filter(|l| Some(l.range.prefix.as_str()) != receipt_prefix);
    // Per prefix: the highest number the server received, and the device's first unused one.
    let mut received: BTreeMap<&str, u64> = BTreeMap::new();
    for l in documents() {
        if let Some(u) = l.used_through {
            let h = received.entry(l.range.prefix.as_str()).or_default();
            *h = (*h).max(u);
        }
    }
    let first_unused = |prefix: &str| unused.iter().filter(|u| u.prefix == prefix && !u.is_empty()).map(|u| u.first).min();
    documents()
        .filter(|l| l.leased_at <= reported_at)
        .filter(|l| first_unused(&l.range.prefix).is_none_or(|f| l.range.first <= f))
        .map(|l| {
            let highest = received.get(l.range.prefix.as_str()).copied().filter(|h| *h >= l.range.first);
            let through = match (highest.map(|h| h.min(l.range.last)), l.used_through) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            (l.range.clone(), through)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(first: u64, last: u64) -> NumberRange {
        NumberRange { prefix: "SO-".into(), first, last }
    }

    #[test]
    fn used_through_reads_the_device_ranges() {
        assert_eq!(device_used_through(&r(1000, 1999), &[r(1003, 1999)]), Some(1002));
        assert_eq!(device_used_through(&r(1000, 1999), &[r(1000, 1999)]), None, "nothing used");
        assert_eq!(device_used_through(&r(1000, 1999), &[r(2000, 2999)]), Some(1999), "all used, the next range started");
        assert_eq!(device_used_through(&r(1000, 1999), &[]), Some(1999));
        let other = NumberRange { prefix: "R1-".into(), first: 1000, last: 1999 };
        assert_eq!(device_used_through(&r(1000, 1999), &[other]), Some(1999), "another prefix is another range");
    }

    #[test]
    fn missing_numbers_are_those_past_what_the_server_received() {
        // Leased 1000-1999; the server received up to 1001; the device used up to 1004.
        let (listed, total) = missing_numbers(&[(r(1000, 1999), Some(1001))], &[r(1005, 1999)]);
        assert_eq!(listed, vec!["SO-0001002", "SO-0001003", "SO-0001004"]);
        assert_eq!(total, 3);
        // Nothing received yet, two used.
        assert_eq!(missing_numbers(&[(r(1000, 1999), None)], &[r(1002, 1999)]).1, 2);
        // All received.
        assert_eq!(missing_numbers(&[(r(1000, 1999), Some(1004))], &[r(1005, 1999)]), (vec![], 0));
        // A first range used up and a second begun: missing across both.
        let (listed, total) = missing_numbers(&[(r(1000, 1009), Some(1008)), (r(2000, 2009), None)], &[r(2002, 2009)]);
        assert_eq!(listed, vec!["SO-0001009", "SO-0002000", "SO-0002001"]);
        assert_eq!(total, 3);
        // A long list is capped; the count is exact.
        let (listed, total) = missing_numbers(&[(r(1, 100_000), None)], &[]);
        assert_eq!((listed.len(), total), (MAX_LISTED, 100_000));
        // The server ahead of stale marks: nothing missing, no underflow.
        assert_eq!(missing_numbers(&[(r(1000, 1999), Some(1500))], &[r(1003, 1999)]), (vec![], 0));
    }

    #[test]
    fn marks_are_bounded() {
        assert_eq!(check(&DeviceMarks { committed_seq: 5, unused_ranges: vec![r(1, 2)] }), Ok(()));
        assert_eq!(check(&DeviceMarks { committed_seq: u64::MAX, unused_ranges: vec![] }), Err(MarksError::SeqTooLarge));
        assert_eq!(check(&DeviceMarks { committed_seq: 1, unused_ranges: vec![r(1, 2); 17] }), Err(MarksError::TooManyRanges));
        assert_eq!(missing_changes(7, 4), 3);
        assert_eq!(missing_changes(4, 7), 0);
    }
}

#[cfg(test)]
mod lease_tests {
    use super::*;

    fn r(prefix: &str, first: u64, last: u64) -> NumberRange {
        NumberRange { prefix: prefix.into(), first, last }
    }

    fn lease(first: u64, last: u64, used_through: Option<u64>, at: &str) -> Leased {
        Leased { range: r("SO-", first, last), used_through, leased_at: at.parse().unwrap_or_default() }
    }

    const T1: &str = "2026-01-01T08:00:00.000000Z";
    const T2: &str = "2026-01-01T09:00:00.000000Z";
    const T3: &str = "2026-01-01T10:00:00.000000Z";

    fn missing(leases: &[Leased], unused: &[NumberRange], reported_at: &str, receipts: Option<&str>) -> (Vec<String>, u64) {
        missing_numbers(&ranges_to_check(leases, unused, reported_at.parse().unwrap_or_default(), receipts), unused)
    }

    #[test]
    fn numbers_past_what_the_server_received_are_missing() {
        let leases = [lease(1000, 1999, Some(1001), T1)];
        assert_eq!(missing(&leases, &[r("SO-", 1004, 1999)], T2, None), (vec!["SO-0001002".into(), "SO-0001003".into()], 2));
    }

    #[test]
    fn a_range_leased_by_the_push_that_carried_the_marks_is_not_counted() {
        // The push reported 1002 onwards unused, then ran low and was leased 2000-2999.
        let leases = [lease(1000, 1999, Some(1001), T1), lease(2000, 2999, None, T3)];
        assert_eq!(missing(&leases, &[r("SO-", 1002, 1999)], T2, None), (vec![], 0));
        // A device that used its whole range reports nothing unused: still not the new one.
        let leases = [lease(1000, 1999, Some(1997), T1), lease(2000, 2999, None, T3)];
        assert_eq!(missing(&leases, &[], T2, None), (vec!["SO-0001998".into(), "SO-0001999".into()], 2));
    }

    #[test]
    fn a_lease_whose_answer_was_lost_is_not_counted() {
        // 2000-2999 was leased but its answer lost; 3000-3999 was leased again and received.
        let leases = [lease(1000, 1999, Some(1850), T1), lease(2000, 2999, None, T1), lease(3000, 3999, None, T1)];
        let unused = [r("SO-", 1852, 1999), r("SO-", 3000, 3999)];
        assert_eq!(missing(&leases, &unused, T2, None), (vec!["SO-0001851".into()], 1));
        // Later the device moved on to 3000-3999 and the server received some of it: everything
        // the device took before was received, the lost lease included.
        let leases = [lease(1000, 1999, Some(1999), T1), lease(2000, 2999, None, T1), lease(3000, 3999, Some(3004), T1)];
        assert_eq!(missing(&leases, &[r("SO-", 3007, 3999)], T2, None), (vec!["SO-0003005".into(), "SO-0003006".into()], 2));
    }

    #[test]
    fn receipt_ranges_are_not_reported_so_not_counted() {
        let leases = [lease(1000, 1999, None, T1), Leased { range: r("R1-", 1, 1000), used_through: None, leased_at: T1.parse().unwrap_or_default() }];
        assert_eq!(missing(&leases, &[r("SO-", 1000, 1999)], T2, Some("R1-")), (vec![], 0));
    }
}
