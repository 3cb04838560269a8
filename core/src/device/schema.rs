//! The device's stores, declared once. Sign-in and sign-out clear every store of [`STORES`], key
//! rotation re-encrypts the ones whose records are sealed under the data key, unlocking loads the
//! ones marked `loaded`, and the IndexedDB adapter creates them by the version that added them.

use serde::{Deserialize, Serialize};

/// The schema version the stores below make up (IndexedDB's database version).
pub const SCHEMA_VERSION: u32 = 4;

/// The data format of the records, kept in `meta/format`. Version 5 keeps the van's stock and
/// the outlets exactly as the server sent them (the device's pending changes are derived on top)
/// and the counters in one record; data written by format 4 is converted at the first unlock.
pub const DATA_FORMAT: u32 = 5;

/// An object store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreId {
    /// Fixed keys ([`MetaKey`]): some in clear, some sealed.
    Meta,
    /// The catalog, one record per SKU.
    Products,
    /// Outlets on the user's routes, as the server sent them.
    Outlets,
    /// The device's orders with their fate.
    Orders,
    /// Mutations waiting for the server, keyed by sequence number, sealed to the server.
    Outbox,
    /// The server's answers received while locked, sealed to the device's own key.
    Acks,
    /// Orders being composed.
    Drafts,
    /// Tasks assigned to the user, with this device's completion.
    Tasks,
    /// Photos (sealed bytes), by SHA-256.
    Blobs,
    /// The van's stock, one record per SKU, as the server sent it.
    Van,
}

/// How a store's records are protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Per key ([`MetaKey::sealed`]).
    Mixed,
    /// Sealed under the data key, keyed by keyed hashes.
    Sealed,
    /// In clear around a box sealed to the server (readable without the data key, so a locked
    /// device and the service worker can upload it).
    SealedToServer,
    /// Sealed to the device's own X25519 key (written while locked).
    SealedToDevice,
}

/// One store's declaration.
#[derive(Debug, Clone, Copy)]
pub struct StoreSpec {
    /// Which.
    pub id: StoreId,
    /// Its IndexedDB name.
    pub name: &'static str,
    /// The schema version that created it.
    pub since: u32,
    /// How its records are protected.
    pub protection: Protection,
    /// Whether unlocking loads it into memory (photos stay on disk until uploaded).
    pub loaded: bool,
}

/// Every store, in the order migrations create them.
pub const STORES: [StoreSpec; 10] = [
    StoreSpec { id: StoreId::Meta, name: "meta", since: 1, protection: Protection::Mixed, loaded: true },
    StoreSpec { id: StoreId::Products, name: "products", since: 1, protection: Protection::Sealed, loaded: true },
    StoreSpec { id: StoreId::Outlets, name: "outlets", since: 1, protection: Protection::Sealed, loaded: true },
    StoreSpec { id: StoreId::Orders, name: "orders", since: 1, protection: Protection::Sealed, loaded: true },
    StoreSpec { id: StoreId::Outbox, name: "outbox", since: 1, protection: Protection::SealedToServer, loaded: true },
    StoreSpec { id: StoreId::Acks, name: "acks", since: 2, protection: Protection::SealedToDevice, loaded: false },
    StoreSpec { id: StoreId::Drafts, name: "drafts", since: 3, protection: Protection::Sealed, loaded: true },
    StoreSpec { id: StoreId::Tasks, name: "tasks", since: 4, protection: Protection::Sealed, loaded: true },
    StoreSpec { id: StoreId::Blobs, name: "blobs", since: 4, protection: Protection::Sealed, loaded: false },
    StoreSpec { id: StoreId::Van, name: "van", since: 4, protection: Protection::Sealed, loaded: true },
];

impl StoreId {
    /// Its declaration.
    pub fn spec(self) -> &'static StoreSpec {
        // STORES lists every variant once, in declaration order.
        &STORES[self as usize]
    }

    /// Its IndexedDB name (also bound into every envelope's associated data).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Whether any of its records is sealed under the data key (what rotation re-encrypts).
    pub fn under_data_key(self) -> bool {
        matches!(self.spec().protection, Protection::Mixed | Protection::Sealed)
    }

    /// Every store.
    pub fn all() -> impl Iterator<Item = StoreId> {
        STORES.iter().map(|s| s.id)
    }
}

/// The fixed keys of `meta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaKey {
    /// The registered device (clear: who, and the push-only credential).
    Device,
    /// The wrapped data key (clear).
    Vault,
    /// Wrong-PIN count and delays (clear).
    Lock,
    /// Sequence number, document numbers, clock and nonce budget, in one record (clear).
    Counters,
    /// Where the pull stands (clear).
    Pull,
    /// Commit-to-acknowledgement samples (clear).
    Latency,
    /// The data format (clear).
    Format,
    /// The session's secrets (sealed).
    Session,
    /// The key that derives record keys (sealed, raw bytes).
    IndexKey,
    /// The reference data's age and currency (sealed).
    Reference,
    /// Settings, role and price lists (sealed).
    Sales,
    /// Tax rule sets pulled from the server (sealed).
    Rules,
    /// Outlet edits the server has not answered (sealed).
    OutletEdits,
    /// Photos waiting for upload (sealed).
    Uploads,
    /// Format 4: the next sequence number (clear number).
    LegacyNextSeq,
    /// Format 4: the leased document numbers (clear).
    LegacyNumbers,
    /// Format 4: the hybrid logical clock (clear).
    LegacyHlc,
    /// Format 4: the nonce budget (clear).
    LegacyKeyUsage,
    /// Format 3: the van's stock as one map (sealed).
    LegacyVanStock,
    /// The counter: the open shift, closed shifts, parked carts (sealed).
    Counter,
    /// The delivery day: the open day with its route and collections, ended days (sealed).
    Day,
    /// Field telemetry since the last report (sealed).
    Telemetry,
    /// How many pulls completed on this device (clear number): what an order a push's answer
    /// applied awaits ([`super::records::LocalOrder::awaiting_pull`]). Its own record, not a field
    /// of [`MetaKey::Pull`]: a tab still running an older version rewrites the pull state whole,
    /// and would reset it.
    Pulls,
}

/// Every meta key with its stored name and whether it is sealed.
pub const META_KEYS: [(MetaKey, &str, bool); 23] = [
    (MetaKey::Device, "device", false),
    (MetaKey::Vault, "vault", false),
    (MetaKey::Lock, "lock", false),
    (MetaKey::Counters, "counters", false),
    (MetaKey::Pull, "pull", false),
    (MetaKey::Latency, "latency", false),
    (MetaKey::Format, "format", false),
    (MetaKey::Session, "session", true),
    (MetaKey::IndexKey, "index_key", true),
    (MetaKey::Reference, "reference", true),
    (MetaKey::Sales, "sales", true),
    (MetaKey::Rules, "rule_sets", true),
    (MetaKey::OutletEdits, "outlet_edits", true),
    (MetaKey::Uploads, "uploads", true),
    (MetaKey::LegacyNextSeq, "next_seq", false),
    (MetaKey::LegacyNumbers, "number_ranges", false),
    (MetaKey::LegacyHlc, "hlc", false),
    (MetaKey::LegacyKeyUsage, "key_usage", false),
    (MetaKey::LegacyVanStock, "van_stock", true),
    (MetaKey::Counter, "counter", true),
    (MetaKey::Day, "day", true),
    (MetaKey::Telemetry, "telemetry", true),
    (MetaKey::Pulls, "pulls", false),
];

impl MetaKey {
    /// The key as stored.
    pub fn name(self) -> &'static str {
        META_KEYS[self as usize].1
    }

    /// Whether its record is sealed under the data key.
    pub fn sealed(self) -> bool {
        META_KEYS[self as usize].2
    }

    /// The key stored as `name`.
    pub fn from_name(name: &str) -> Option<MetaKey> {
        META_KEYS.iter().find(|(_, n, _)| *n == name).map(|(k, _, _)| *k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_list_every_variant_in_declaration_order() {
        for (i, spec) in STORES.iter().enumerate() {
            assert_eq!(spec.id as usize, i, "{:?}", spec.id);
            assert!(spec.since <= SCHEMA_VERSION);
        }
        for (i, (key, name, _)) in META_KEYS.iter().enumerate() {
            assert_eq!(*key as usize, i, "{key:?}");
            assert_eq!(MetaKey::from_name(name), Some(*key));
        }
        let mut names: Vec<&str> = STORES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STORES.len(), "store names are unique");
    }
}
