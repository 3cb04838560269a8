//! From typed records to raw ones and back: the keys of the unlocked device, keyed hashes for
//! record keys, AES-256-GCM envelopes for records under the data key, sealed boxes for the outbox
//! (to the server) and for answers received while locked (to the device itself).
//!
//! Every envelope binds its store and record key as associated data, so a record copied under
//! another key or into another store fails to open. Every seal is counted in the counters'
//! nonce budget, in the transaction that writes the sealed record.

use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::DeviceError;
use super::plan::{MetaRecord, Record, RecordId, Write, WritePlan};
use super::records::{Ack, Counters, DeviceRecord, OutboxEntry, SessionSecrets, TASK_TARGET};
use super::schema::{MetaKey, StoreId};
use super::store::{RawKey, RawOp, RawValue};
use crate::sync::sealing;
use crate::vault::{self, hex, BoxSecret, DataKey, Envelope, KeyUsage, Rng, VaultError, Zeroizing, INDEX_KEY_LEN};

/// The data keys that open records: the current one and, during a rotation, the retired one.
/// Shared, never copied: a key is zeroized when its last holder drops it.
#[derive(Clone)]
pub struct KeyRing {
    /// Seals and opens.
    pub current: Rc<DataKey>,
    /// Opens records not yet re-encrypted.
    pub retired: Option<Rc<DataKey>>,
}

impl KeyRing {
    /// Opens an envelope with whichever key sealed it.
    pub fn open(&self, store: &str, record_key: &str, bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let envelope = Envelope::parse(bytes)?;
        let key = match &self.retired {
            Some(r) if r.key_id() == envelope.key_id() => &**r,
            _ => &*self.current,
        };
        vault::open(key, store, record_key, &envelope)
    }
}

/// Everything an unlocked device holds in memory; dropped (and zeroized) on lock.
pub struct DeviceKeys {
    /// The data keys.
    pub ring: KeyRing,
    /// The key that derives record keys.
    pub index_key: Zeroizing<[u8; INDEX_KEY_LEN]>,
    /// The session's secrets.
    pub secrets: SessionSecrets,
    device_secret: Zeroizing<[u8; 32]>,
    device_box: BoxSecret,
}

impl DeviceKeys {
    /// Assembles the keys from a ring and the opened session secrets.
    pub fn new(ring: KeyRing, index_key: Zeroizing<[u8; INDEX_KEY_LEN]>, secrets: SessionSecrets) -> Result<Self, DeviceError> {
        let corrupt = |_| DeviceError::Corrupt { what: "session".into() };
        let device_secret = Zeroizing::new(sealing::key_from_hex(&secrets.device_secret).map_err(corrupt)?);
        let box_bytes = Zeroizing::new(sealing::key_from_hex(&secrets.device_box_secret).map_err(corrupt)?);
        Ok(DeviceKeys { ring, index_key, secrets, device_secret, device_box: BoxSecret::from_bytes(*box_bytes) })
    }

    /// The same keys with another ring (a rotation's steps).
    pub fn with_ring(&self, ring: KeyRing) -> Result<Self, DeviceError> {
        DeviceKeys::new(ring, self.index_key.clone(), self.secrets.clone())
    }

    /// The keyed hash a record of `store` is stored under.
    pub fn record_key(&self, store: StoreId, logical: &str) -> String {
        vault::keyed_id(&self.index_key, store.name(), logical)
    }
}

/// The context an answer kept while locked is sealed with (bound to its sequence number).
fn ack_context(seq: u64) -> Vec<u8> {
    let mut c = b"satchel/ack/v1".to_vec();
    c.extend_from_slice(&seq.to_be_bytes());
    c
}

fn json<T: Serialize>(v: &T) -> Result<Zeroizing<Vec<u8>>, DeviceError> {
    serde_json::to_vec(v).map(Zeroizing::new).map_err(|e| DeviceError::Internal(format!("serialize: {e}")))
}

fn text<T: Serialize>(v: &T) -> Result<RawValue, DeviceError> {
    serde_json::to_string(v).map(RawValue::Text).map_err(|e| DeviceError::Internal(format!("serialize: {e}")))
}

/// A record that could not be read (corrupt, moved, or sealed under a lost key): counted and
/// skipped, never hiding the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable;

/// Parses a record's JSON through `&str`, as every other JSON the device reads is parsed: one
/// reader type means one copy of each record type's decoder in the module.
fn json_text<T: DeserializeOwned>(plain: &[u8]) -> Result<T, Undecodable> {
    serde_json::from_str(std::str::from_utf8(plain).map_err(|_| Undecodable)?).map_err(|_| Undecodable)
}

/// Encodes and decodes records for one device.
pub struct Codec<'a> {
    /// The device (its server and own public keys).
    pub device: &'a DeviceRecord,
    /// The keys, while unlocked.
    pub keys: Option<&'a DeviceKeys>,
}

impl Codec<'_> {
    fn keys(&self) -> Result<&DeviceKeys, DeviceError> {
        self.keys.ok_or(DeviceError::Locked)
    }

    /// The raw key a record is stored under.
    pub fn raw_key(&self, id: &RecordId) -> Result<RawKey, DeviceError> {
        let keyed = |store: StoreId, logical: &str| -> Result<RawKey, DeviceError> {
            Ok(RawKey::Text(self.keys()?.record_key(store, logical)))
        };
        match id {
            RecordId::Meta(k) => Ok(RawKey::Text(k.name().into())),
            RecordId::Outbox(seq) | RecordId::Ack(seq) => Ok(RawKey::Seq(*seq)),
            RecordId::Product(s) | RecordId::Van(s) | RecordId::Outlet(s) | RecordId::Task(s) | RecordId::Blob(s) => keyed(id.store(), s),
            RecordId::Order(u) | RecordId::Draft(u) => keyed(id.store(), &u.to_string()),
        }
    }

    fn seal_bytes(&self, usage: &mut KeyUsage, rng: &mut dyn Rng, store: StoreId, key: &RawKey, plain: &[u8]) -> Result<RawValue, DeviceError> {
        let keys = self.keys()?;
        let RawKey::Text(record_key) = key else { return Err(DeviceError::Internal("sealed records have text keys".into())) };
        let envelope = vault::seal(&keys.ring.current, usage, rng, store.name(), record_key, plain)?;
        Ok(RawValue::Bytes(envelope.to_bytes()))
    }

    fn encode_record(&self, record: &Record, usage: &mut KeyUsage, rng: &mut dyn Rng) -> Result<(StoreId, RawKey, RawValue), DeviceError> {
        let id = record.id();
        let store = id.store();
        let key = self.raw_key(&id)?;
        let sealed = |this: &Self, usage: &mut KeyUsage, rng: &mut dyn Rng, plain: &[u8]| this.seal_bytes(usage, rng, store, &key, plain);
        let value = match record {
            Record::Meta(m) => match m {
                MetaRecord::Device(v) => text(v)?,
                MetaRecord::Vault(v) => text(v)?,
                MetaRecord::Lock(v) => text(v)?,
                MetaRecord::Counters(v) => text(v)?,
                MetaRecord::Pull(v) => text(v)?,
                MetaRecord::Pulls(v) => text(v)?,
                MetaRecord::Latency(v) => text(v)?,
                MetaRecord::Format(v) => text(v)?,
                MetaRecord::LegacyNextSeq(v) => RawValue::Number(*v as f64),
                MetaRecord::LegacyNumbers(v) => text(v)?,
                MetaRecord::LegacyHlc(v) => text(v)?,
                MetaRecord::LegacyKeyUsage(v) => text(v)?,
                MetaRecord::Session(v) => sealed(self, usage, rng, &json(v)?)?,
                MetaRecord::IndexKey(k) => sealed(self, usage, rng, k.as_ref())?,
                MetaRecord::Reference(v) => sealed(self, usage, rng, &json(v)?)?,
                MetaRecord::Sales(v) => sealed(self, usage, rng, &json(v)?)?,
                MetaRecord::Rules(v) => sealed(self, usage, rng, &json(v)?)?,
                MetaRecord::OutletEdits(v) => sealed(self, usage, rng, &json(v)?)?,
                MetaRecord::Uploads(v) => sealed(self, usage, rng, &json(v)?)?,
                MetaRecord::Counter(v) => sealed(self, usage, rng, &json(v)?)?,
                MetaRecord::Day(v) => sealed(self, usage, rng, &json(v)?)?,
                MetaRecord::Telemetry(v) => sealed(self, usage, rng, &json(v)?)?,
                MetaRecord::LegacyVanStock(v) => sealed(self, usage, rng, &json(v)?)?,
            },
            Record::Product(v) => sealed(self, usage, rng, &json(v)?)?,
            Record::Outlet(v) => sealed(self, usage, rng, &json(v)?)?,
            Record::Order(v) => sealed(self, usage, rng, &json(v)?)?,
            Record::Draft(v) => sealed(self, usage, rng, &json(v)?)?,
            Record::Task(v) => sealed(self, usage, rng, &json(v)?)?,
            Record::Van(v) => sealed(self, usage, rng, &json(v)?)?,
            Record::Blob { bytes, .. } => sealed(self, usage, rng, bytes)?,
            Record::Outbox(entry) => text(entry)?,
            Record::NewOutbox { mutation, target, committed_ms } => {
                let keys = self.keys()?;
                let server = sealing::key_from_hex(&self.device.server_public_key).map_err(|_| DeviceError::Corrupt { what: "device".into() })?;
                let sealed = sealing::seal_mutation(rng, self.device.server_key_id, &server, &keys.device_secret, mutation)
                    .map_err(|e| DeviceError::Internal(format!("seal: {e}")))?;
                let order_key = match target {
                    Some(t @ RecordId::Order(_)) => match self.raw_key(t)? {
                        RawKey::Text(k) => k,
                        RawKey::Seq(_) => String::new(),
                    },
                    Some(t @ RecordId::Task(_)) => match self.raw_key(t)? {
                        RawKey::Text(k) => format!("{TASK_TARGET}{k}"),
                        RawKey::Seq(_) => String::new(),
                    },
                    _ => String::new(),
                };
                text(&OutboxEntry { seq: mutation.seq, id: mutation.id, order_key, sealed: sealed.sealed, committed_ms: *committed_ms })?
            }
            Record::Ack(seq, ack) => {
                // Sealed to the device's own public key: written while locked, opened at unlock.
                let public = sealing::key_from_hex(&self.device.device_public_key).map_err(|_| DeviceError::Corrupt { what: "device".into() })?;
                let bytes = vault::seal_to(rng, 0, &public, None, &ack_context(*seq), &json(ack)?)?;
                RawValue::Bytes(bytes)
            }
        };
        Ok((store, key, value))
    }

    /// The raw writes of `plan`, sealing what it writes under the data key and counting the
    /// seals in the counters: `counters` as read in the transaction, or the plan's own. The
    /// counters are written when the plan advanced them or sealed anything.
    pub fn encode(&self, plan: &WritePlan, counters: &Counters, rng: &mut dyn Rng) -> Result<Vec<RawOp>, DeviceError> {
        let mut next = plan.counters.clone().unwrap_or_else(|| counters.clone());
        let current_id = self.keys.map(|k| k.ring.current.key_id());
        let mut usage = match (next.key_usage, current_id) {
            // A counter of an older generation means a rotation just switched keys.
            (Some(u), Some(id)) if u.key_id == id => u,
            (_, Some(id)) => KeyUsage::new(id),
            (Some(u), None) => u,
            (None, None) => KeyUsage::new(0),
        };
        let before = usage.sealed;
        let mut ops = Vec::with_capacity(plan.writes.len() + 1);
        for w in &plan.writes {
            ops.push(match w {
                Write::Put(r) => {
                    let (store, key, value) = self.encode_record(r, &mut usage, rng)?;
                    RawOp::Put { store, key, value }
                }
                Write::Add(r) => {
                    let (store, key, value) = self.encode_record(r, &mut usage, rng)?;
                    RawOp::Add { store, key, value }
                }
                Write::Delete(id) => RawOp::Delete { store: id.store(), key: self.raw_key(id)? },
                Write::Clear(store) => RawOp::Clear { store: *store },
            });
        }
        if let Some(keys) = self.keys {
            for (store, key, value) in &plan.reseal {
                if let Some(op) = reseal_one(&keys.ring, *store, key, value, &mut usage, rng)? {
                    ops.push(op);
                }
            }
        }
        if plan.counters.is_some() || usage.sealed != before {
            if current_id.is_some() {
                next.key_usage = Some(usage);
            }
            ops.push(RawOp::Put { store: StoreId::Meta, key: RawKey::Text(MetaKey::Counters.name().into()), value: text(&next)? });
        }
        Ok(ops)
    }

    fn open(&self, store: StoreId, key: &RawKey, value: &RawValue) -> Result<Zeroizing<Vec<u8>>, Undecodable> {
        let keys = self.keys.ok_or(Undecodable)?;
        let (RawKey::Text(record_key), RawValue::Bytes(bytes)) = (key, value) else { return Err(Undecodable) };
        keys.ring.open(store.name(), record_key, bytes).map_err(|_| Undecodable)
    }

    fn open_json<T: DeserializeOwned>(&self, store: StoreId, key: &RawKey, value: &RawValue) -> Result<T, Undecodable> {
        let plain = self.open(store, key, value)?;
        json_text(&plain)
    }

    /// A photo's bytes.
    pub fn decode_blob(&self, key: &RawKey, value: &RawValue) -> Result<Zeroizing<Vec<u8>>, Undecodable> {
        self.open(StoreId::Blobs, key, value)
    }

    /// Decodes a stored record. Photos are read with [`Codec::decode_blob`].
    pub fn decode(&self, store: StoreId, key: &RawKey, value: &RawValue) -> Result<Record, Undecodable> {
        Ok(match store {
            StoreId::Meta => Record::Meta(self.decode_meta(key, value)?),
            StoreId::Products => Record::Product(self.open_json(store, key, value)?),
            StoreId::Outlets => Record::Outlet(self.open_json(store, key, value)?),
            StoreId::Orders => Record::Order(self.open_json(store, key, value)?),
            StoreId::Drafts => Record::Draft(self.open_json(store, key, value)?),
            StoreId::Tasks => Record::Task(self.open_json(store, key, value)?),
            StoreId::Van => Record::Van(self.open_json(store, key, value)?),
            StoreId::Outbox => Record::Outbox(clear(value)?),
            StoreId::Acks => {
                let (RawKey::Seq(seq), RawValue::Bytes(bytes), Some(keys)) = (key, value, self.keys) else { return Err(Undecodable) };
                let plain = vault::open_sealed(&keys.device_box, 0, None, &ack_context(*seq), bytes).map_err(|_| Undecodable)?;
                Record::Ack(*seq, json_text::<Ack>(&plain)?)
            }
            StoreId::Blobs => return Err(Undecodable),
        })
    }

    fn decode_meta(&self, key: &RawKey, value: &RawValue) -> Result<MetaRecord, Undecodable> {
        let RawKey::Text(name) = key else { return Err(Undecodable) };
        let meta = MetaKey::from_name(name).ok_or(Undecodable)?;
        let s = StoreId::Meta;
        Ok(match meta {
            MetaKey::Device => MetaRecord::Device(clear(value)?),
            MetaKey::Vault => MetaRecord::Vault(clear(value)?),
            MetaKey::Lock => MetaRecord::Lock(clear(value)?),
            MetaKey::Counters => MetaRecord::Counters(clear(value)?),
            MetaKey::Pull => MetaRecord::Pull(clear(value)?),
            MetaKey::Pulls => MetaRecord::Pulls(clear(value)?),
            MetaKey::Latency => MetaRecord::Latency(clear(value)?),
            MetaKey::Format => MetaRecord::Format(clear(value)?),
            MetaKey::LegacyNextSeq => match value {
                RawValue::Number(n) if *n >= 1.0 => MetaRecord::LegacyNextSeq(*n as u64),
                _ => return Err(Undecodable),
            },
            MetaKey::LegacyNumbers => MetaRecord::LegacyNumbers(clear(value)?),
            MetaKey::LegacyHlc => MetaRecord::LegacyHlc(clear(value)?),
            MetaKey::LegacyKeyUsage => MetaRecord::LegacyKeyUsage(clear(value)?),
            MetaKey::Session => MetaRecord::Session(self.open_json(s, key, value)?),
            MetaKey::IndexKey => {
                let plain = self.open(s, key, value)?;
                let bytes: [u8; INDEX_KEY_LEN] = plain.as_slice().try_into().map_err(|_| Undecodable)?;
                MetaRecord::IndexKey(Zeroizing::new(bytes))
            }
            MetaKey::Reference => MetaRecord::Reference(self.open_json(s, key, value)?),
            MetaKey::Sales => MetaRecord::Sales(self.open_json(s, key, value)?),
            MetaKey::Rules => MetaRecord::Rules(self.open_json(s, key, value)?),
            MetaKey::OutletEdits => MetaRecord::OutletEdits(self.open_json(s, key, value)?),
            MetaKey::Uploads => MetaRecord::Uploads(self.open_json(s, key, value)?),
            MetaKey::Counter => MetaRecord::Counter(self.open_json(s, key, value)?),
            MetaKey::Day => MetaRecord::Day(self.open_json(s, key, value)?),
            MetaKey::Telemetry => MetaRecord::Telemetry(self.open_json(s, key, value)?),
            MetaKey::LegacyVanStock => MetaRecord::LegacyVanStock(self.open_json(s, key, value)?),
        })
    }
}

/// A clear JSON record.
pub fn clear<T: DeserializeOwned>(value: &RawValue) -> Result<T, Undecodable> {
    match value {
        RawValue::Text(t) => serde_json::from_str(t).map_err(|_| Undecodable),
        _ => Err(Undecodable),
    }
}

/// Whether a stored record is sealed under the ring's retired key (a rotation re-seals it).
pub fn under_retired(ring: &KeyRing, value: &RawValue) -> bool {
    let (Some(retired), RawValue::Bytes(bytes)) = (&ring.retired, value) else { return false };
    Envelope::parse(bytes).is_ok_and(|e| e.key_id() == retired.key_id())
}

/// Seals a record again under the ring's current key (a rotation's step); `None` when it is not
/// under the retired key or does not open (it then stays as it is, reported unreadable on read).
fn reseal_one(ring: &KeyRing, store: StoreId, key: &RawKey, value: &RawValue, usage: &mut KeyUsage, rng: &mut dyn Rng) -> Result<Option<RawOp>, DeviceError> {
    let Some(retired) = &ring.retired else { return Ok(None) };
    let (RawKey::Text(record_key), RawValue::Bytes(bytes)) = (key, value) else { return Ok(None) };
    let Ok(envelope) = Envelope::parse(bytes) else { return Ok(None) };
    if envelope.key_id() != retired.key_id() {
        return Ok(None);
    }
    let Ok(plain) = vault::open(retired, store.name(), record_key, &envelope) else { return Ok(None) };
    let sealed = vault::seal(&ring.current, usage, rng, store.name(), record_key, &plain)?;
    Ok(Some(RawOp::Put { store, key: key.clone(), value: RawValue::Bytes(sealed.to_bytes()) }))
}

/// Hex of a device's public key.
pub fn public_hex(secret: &BoxSecret) -> String {
    hex::encode(&secret.public_key())
}
