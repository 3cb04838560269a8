//! Record and mutation identities.
//!
//! Ids are UUIDv7: time-ordered, so IndexedDB and SQL indexes stay append-mostly. The core never
//! reads a clock or a random source itself; the shell passes both in, which keeps tests
//! deterministic.

use uuid::{Builder, Uuid};

/// Builds a UUIDv7 from a Unix time in milliseconds and 10 random bytes supplied by the caller.
pub fn uuid_v7(unix_ms: u64, random: [u8; 10]) -> Uuid {
    Builder::from_unix_timestamp_millis(unix_ms, &random).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_later_sort_later() {
        let a = uuid_v7(1_700_000_000_000, [0xff; 10]);
        let b = uuid_v7(1_700_000_000_001, [0x00; 10]);
        assert!(a < b);
        assert_eq!(a.get_version_num(), 7);
    }
}
