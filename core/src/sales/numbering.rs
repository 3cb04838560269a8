//! Document numbers that stay unique across devices that were offline together.
//!
//! The server leases each device ranges of numbers (`SO-0001000` … `SO-0001999`) from one
//! deployment-wide counter, at registration and again on sync when a device's ranges run low.
//! A device numbers its documents from its ranges alone, so two devices can never produce the
//! same number, online or not.
//!
//! **Gap policy.** Numbers are consumed when an order is committed on the device, in the same
//! transaction. A number is never reused: a rejected order keeps its number (the document exists,
//! refused), and the unused rest of a range is abandoned when the device is replaced or signs in
//! again. So the sequence has gaps, and each gap is explained by a rejected document, an
//! abandoned lease, or a device that never synced. Jurisdictions that need gap-free numbering
//! number invoices on the server, not on the device.

use serde::{Deserialize, Serialize};

/// A leased range of document numbers, inclusive at both ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberRange {
    /// The deployment's prefix, e.g. `"SO-"`.
    pub prefix: String,
    /// The first number of the range.
    pub first: u64,
    /// The last number of the range.
    pub last: u64,
}

impl NumberRange {
    /// How many numbers it holds.
    pub fn len(&self) -> u64 {
        if self.first > self.last { 0 } else { (self.last - self.first).saturating_add(1) }
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.first > self.last
    }

    /// Whether `n` is in it.
    pub fn contains(&self, n: u64) -> bool {
        self.first <= n && n <= self.last
    }
}

/// Width of the numeric part of a document number.
pub const DIGITS: usize = 7;

/// A document number as printed: the prefix and the number, zero-padded.
pub fn format_number(prefix: &str, n: u64) -> String {
    format!("{prefix}{n:0width$}", width = DIGITS)
}

/// Parses a document number of `prefix` back into its number.
pub fn parse_number(prefix: &str, text: &str) -> Option<u64> {
    let digits = text.strip_prefix(prefix)?;
    if digits.len() < DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Takes the next number from the device's ranges (oldest range first), shrinking it; drops
/// exhausted ranges. `None` when every range is used up.
pub fn take_next(ranges: &mut Vec<NumberRange>) -> Option<String> {
    ranges.retain(|r| !r.is_empty());
    let range = ranges.first_mut()?;
    let n = range.first;
    range.first = n.saturating_add(1);
    let number = format_number(&range.prefix, n);
    ranges.retain(|r| !r.is_empty());
    Some(number)
}

/// Takes the next number from the ranges `which` selects (oldest first), shrinking it; drops
/// exhausted ranges. A device holds document-number ranges and, at a register, receipt-number
/// ranges; each kind takes only from its own.
pub fn take_next_where(ranges: &mut Vec<NumberRange>, which: impl Fn(&NumberRange) -> bool) -> Option<String> {
    ranges.retain(|r| !r.is_empty());
    let range = ranges.iter_mut().find(|r| which(r))?;
    let n = range.first;
    range.first = n.saturating_add(1);
    let number = format_number(&range.prefix, n);
    ranges.retain(|r| !r.is_empty());
    Some(number)
}

/// How many numbers the ranges `which` selects have left.
pub fn remaining_where(ranges: &[NumberRange], which: impl Fn(&NumberRange) -> bool) -> u64 {
    ranges.iter().filter(|r| which(r)).map(NumberRange::len).fold(0, u64::saturating_add)
}

/// How many numbers the ranges have left.
pub fn remaining(ranges: &[NumberRange]) -> u64 {
    ranges.iter().map(NumberRange::len).fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_in_order_across_ranges_and_run_out() {
        let mut ranges = vec![
            NumberRange { prefix: "SO-".into(), first: 1000, last: 1001 },
            NumberRange { prefix: "SO-".into(), first: 5000, last: 5000 },
        ];
        assert_eq!(remaining(&ranges), 3);
        assert_eq!(take_next(&mut ranges).as_deref(), Some("SO-0001000"));
        assert_eq!(take_next(&mut ranges).as_deref(), Some("SO-0001001"));
        assert_eq!(ranges.len(), 1);
        assert_eq!(take_next(&mut ranges).as_deref(), Some("SO-0005000"));
        assert_eq!(remaining(&ranges), 0);
        assert_eq!(take_next(&mut ranges), None);
    }

    #[test]
    fn numbers_parse_back() {
        assert_eq!(parse_number("SO-", "SO-0001234"), Some(1234));
        assert_eq!(parse_number("SO-", "SO-12345678"), Some(12_345_678));
        assert_eq!(parse_number("SO-", "XX-0001234"), None);
        assert_eq!(parse_number("SO-", "SO-12"), None);
        assert_eq!(parse_number("SO-", "SO-00012a4"), None);
        let r = NumberRange { prefix: "SO-".into(), first: 10, last: 19 };
        assert_eq!((r.len(), r.contains(10), r.contains(19), r.contains(20)), (10, true, true, false));
        assert!(NumberRange { prefix: "SO-".into(), first: 2, last: 1 }.is_empty());
    }
}
