//! The vault from the outside: envelopes (round trip, tamper detection, format errors, nonce
//! budget), PIN wrapping (wrong PIN, PIN change without re-encryption, KDF minimum, no key bytes
//! in `Debug`) and the lock state machine on a fake clock.

use std::collections::HashSet;

use satchel_core::vault::keys::{MIN_PBKDF2_ITERATIONS, SALT_LEN};
use satchel_core::vault::{
    new_salt, open, rewrap, seal, seal_with_budget, unwrap, wrap, DataKey, Envelope,
    InsecureTestRng, KdfParams, KeyEncryptionKey, KeyUsage, Lock, LockPolicy, LockState, Rng,
    VaultError, ENVELOPE_MIN_LEN,
};

const STORE: &str = "orders";
const RECORD: &str = "order/01J9Z3";
const PLAINTEXT: &[u8] = b"Mama Put Kitchen, +234 803 555 0142, SKU PEPSI-50CL x 24 @ 350.00";

fn key(seed: u64, key_id: u32) -> DataKey {
    DataKey::generate(&mut InsecureTestRng::new(seed), key_id)
}

fn kek(byte: u8) -> KeyEncryptionKey {
    KeyEncryptionKey::from_bytes([byte; 32])
}

fn sealed(key: &DataKey, rng: &mut InsecureTestRng, plaintext: &[u8]) -> Envelope {
    let mut usage = KeyUsage::new(key.key_id());
    seal(key, &mut usage, rng, STORE, RECORD, plaintext).expect("seal succeeds")
}

fn open_bytes(
    key: &DataKey,
    store: &str,
    record: &str,
    bytes: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let envelope = Envelope::parse(bytes)?;
    open(key, store, record, &envelope).map(|plain| plain.to_vec())
}

// ---------------------------------------------------------------------------------------------
// Envelopes

#[test]
fn round_trip_through_bytes() {
    let dek = key(1, 1);
    let mut rng = InsecureTestRng::new(100);
    for plaintext in [&b""[..], b"x", PLAINTEXT, &[0u8; 4096][..]] {
        let bytes = sealed(&dek, &mut rng, plaintext).to_bytes();
        assert_eq!(bytes.len(), ENVELOPE_MIN_LEN + plaintext.len());
        assert_eq!(bytes[0], 1, "version byte");
        assert_eq!(bytes[1..5], [0, 0, 0, 1], "key id, big-endian");
        assert_eq!(
            open_bytes(&dek, STORE, RECORD, &bytes).expect("opens"),
            plaintext
        );
    }
}

#[test]
fn a_flipped_bit_anywhere_is_detected() {
    let dek = key(1, 1);
    let bytes = sealed(&dek, &mut InsecureTestRng::new(7), b"20 crates").to_bytes();
    for index in 0..bytes.len() {
        for bit in 0..8 {
            let mut damaged = bytes.clone();
            damaged[index] ^= 1 << bit;
            let result = open_bytes(&dek, STORE, RECORD, &damaged);
            let expected = match index {
                0 => VaultError::UnsupportedVersion(damaged[0]),
                1..=4 => VaultError::WrongKey {
                    expected: 1,
                    found: u32::from_be_bytes([damaged[1], damaged[2], damaged[3], damaged[4]]),
                },
                // The nonce, the ciphertext and the tag.
                _ => VaultError::Tampered,
            };
            assert_eq!(result, Err(expected), "byte {index} bit {bit}");
        }
    }
}

#[test]
fn a_record_copied_to_another_key_or_store_does_not_open() {
    let dek = key(1, 1);
    let bytes = sealed(&dek, &mut InsecureTestRng::new(8), PLAINTEXT).to_bytes();
    assert!(open_bytes(&dek, STORE, RECORD, &bytes).is_ok());
    assert_eq!(
        open_bytes(&dek, STORE, "order/01J9Z4", &bytes),
        Err(VaultError::Tampered)
    );
    assert_eq!(
        open_bytes(&dek, "customers", RECORD, &bytes),
        Err(VaultError::Tampered)
    );
    assert_eq!(
        open_bytes(&dek, "outbox", RECORD, &bytes),
        Err(VaultError::Tampered)
    );
    assert_eq!(
        open_bytes(&dek, RECORD, STORE, &bytes),
        Err(VaultError::Tampered)
    );

    // Store and record key are length-prefixed: moving a separator between them is a change.
    let mut usage = KeyUsage::new(1);
    let mut rng = InsecureTestRng::new(9);
    let env = seal(&dek, &mut usage, &mut rng, "a|bc", "d", b"x").expect("seals");
    assert_eq!(
        open(&dek, "ab|c", "d", &env).err(),
        Some(VaultError::Tampered)
    );
    let env = seal(&dek, &mut usage, &mut rng, "ab", "c", b"x").expect("seals");
    assert_eq!(
        open(&dek, "a", "bc", &env).err(),
        Some(VaultError::Tampered)
    );
    assert_eq!(
        open(&dek, "abc", "", &env).err(),
        Some(VaultError::Tampered)
    );
    assert!(open(&dek, "ab", "c", &env).is_ok());
}

#[test]
fn a_record_under_another_key_id_is_wrong_key_before_decrypting() {
    let old = key(1, 1);
    let new = key(2, 2);
    let bytes = sealed(&old, &mut InsecureTestRng::new(10), PLAINTEXT).to_bytes();
    assert_eq!(
        open_bytes(&new, STORE, RECORD, &bytes),
        Err(VaultError::WrongKey {
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        VaultError::WrongKey {
            expected: 2,
            found: 1
        }
        .code(),
        "wrong_key"
    );
}

#[test]
fn a_different_key_with_the_same_id_is_tampered() {
    let right = key(1, 5);
    let imposter = key(2, 5);
    let bytes = sealed(&right, &mut InsecureTestRng::new(11), PLAINTEXT).to_bytes();
    assert_eq!(
        open_bytes(&imposter, STORE, RECORD, &bytes),
        Err(VaultError::Tampered)
    );
    assert!(open_bytes(&right, STORE, RECORD, &bytes).is_ok());
}

#[test]
fn every_length_below_the_minimum_is_truncated() {
    let dek = key(1, 1);
    let bytes = sealed(&dek, &mut InsecureTestRng::new(12), PLAINTEXT).to_bytes();
    assert_eq!(ENVELOPE_MIN_LEN, 33);
    for len in 0..ENVELOPE_MIN_LEN {
        assert_eq!(
            Envelope::parse(&bytes[..len]),
            Err(VaultError::Truncated),
            "length {len}"
        );
    }
    // Cut after the minimum: well-formed, but the tag no longer matches.
    for len in ENVELOPE_MIN_LEN..bytes.len() {
        assert_eq!(
            open_bytes(&dek, STORE, RECORD, &bytes[..len]),
            Err(VaultError::Tampered)
        );
    }
}

#[test]
fn an_unknown_version_is_refused_whatever_the_length() {
    let dek = key(1, 1);
    let bytes = sealed(&dek, &mut InsecureTestRng::new(13), PLAINTEXT).to_bytes();
    for version in [0u8, 2, 0x7f, 0xff] {
        let mut other = bytes.clone();
        other[0] = version;
        assert_eq!(
            Envelope::parse(&other),
            Err(VaultError::UnsupportedVersion(version))
        );
        assert_eq!(
            Envelope::parse(&other[..3]),
            Err(VaultError::UnsupportedVersion(version))
        );
    }
}

#[test]
fn envelope_bytes_never_contain_the_plaintext() {
    let dek = key(1, 1);
    let bytes = sealed(&dek, &mut InsecureTestRng::new(14), PLAINTEXT).to_bytes();
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(PLAINTEXT));
    for fragment in [&b"Mama Put"[..], b"803 555", b"PEPSI", b"350.00"] {
        assert!(!contains(fragment), "{}", String::from_utf8_lossy(fragment));
    }
    // The check itself can fail: the plaintext is found in a buffer that does hold it.
    let mut leaky = bytes.clone();
    leaky.extend_from_slice(PLAINTEXT);
    assert!(leaky.windows(PLAINTEXT.len()).any(|w| w == PLAINTEXT));
}

#[test]
fn nonces_differ_across_ten_thousand_seals() {
    let dek = key(1, 1);
    let mut usage = KeyUsage::new(1);
    let mut rng = InsecureTestRng::new(15);
    let mut nonces = HashSet::new();
    let mut ciphertexts = HashSet::new();
    for _ in 0..10_000 {
        let env = seal(&dek, &mut usage, &mut rng, STORE, RECORD, b"same").expect("seals");
        nonces.insert(*env.nonce());
        ciphertexts.insert(env.ciphertext().to_vec());
    }
    assert_eq!(nonces.len(), 10_000);
    assert_eq!(
        ciphertexts.len(),
        10_000,
        "same plaintext, different ciphertexts"
    );
    assert_eq!(usage.sealed, 10_000);
}

#[test]
fn the_nonce_budget_is_enforced_and_persisted() {
    let dek = key(1, 1);
    let mut usage = KeyUsage::new(1);
    let mut rng = InsecureTestRng::new(16);
    let mut envelopes = Vec::new();
    for i in 0..3 {
        let record = format!("r{i}");
        envelopes.push(seal_with_budget(
            &dek, &mut usage, 3, &mut rng, STORE, &record, b"x",
        ));
    }
    assert!(envelopes.iter().all(Result::is_ok));
    assert_eq!(usage.sealed, 3);

    // A reload: the counter is persisted as JSON and the budget still holds.
    let json = serde_json::to_string(&usage).expect("serializes");
    assert_eq!(json, r#"{"key_id":1,"sealed":3}"#);
    let mut reloaded: KeyUsage = serde_json::from_str(&json).expect("deserializes");
    let refused = seal_with_budget(&dek, &mut reloaded, 3, &mut rng, STORE, "r3", b"x");
    assert_eq!(refused.err(), Some(VaultError::NonceBudgetExhausted));
    assert_eq!(reloaded.sealed, 3, "a refused seal spends nothing");

    // Records sealed within the budget stay readable.
    let first = envelopes[0].as_ref().expect("sealed");
    assert_eq!(
        open(&dek, STORE, "r0", first).expect("opens").as_slice(),
        b"x"
    );

    // The next key generation has a budget of its own.
    let next = key(2, 2);
    let mut next_usage = KeyUsage::new(2);
    assert!(seal_with_budget(&next, &mut next_usage, 3, &mut rng, STORE, "r3", b"x").is_ok());
}

// ---------------------------------------------------------------------------------------------
// Key wrapping

#[test]
fn wrap_unwrap_round_trip_opens_existing_records() {
    let mut rng = InsecureTestRng::new(20);
    let dek = DataKey::generate(&mut rng, 3);
    let bytes = sealed(&dek, &mut rng, PLAINTEXT).to_bytes();
    let salt = new_salt(&mut rng);
    let wrapped = wrap(&dek, &kek(1), &mut rng, KdfParams::default(), salt).expect("wraps");
    assert_eq!(wrapped.key_id, 3);
    assert_eq!(wrapped.salt, salt);
    drop(dek);

    let json = serde_json::to_string(&wrapped).expect("serializes");
    let stored = serde_json::from_str(&json).expect("deserializes");
    let dek = unwrap(&stored, &kek(1)).expect("unwraps");
    assert_eq!(dek.key_id(), 3);
    assert_eq!(
        open_bytes(&dek, STORE, RECORD, &bytes).expect("opens"),
        PLAINTEXT
    );
}

#[test]
fn a_different_kek_is_a_wrong_pin() {
    let mut rng = InsecureTestRng::new(21);
    let dek = DataKey::generate(&mut rng, 1);
    let salt = new_salt(&mut rng);
    let wrapped = wrap(&dek, &kek(1), &mut rng, KdfParams::default(), salt).expect("wraps");
    assert_eq!(unwrap(&wrapped, &kek(2)).err(), Some(VaultError::WrongPin));
    let mut almost = [1u8; 32];
    almost[31] = 0;
    let almost = KeyEncryptionKey::from_bytes(almost);
    assert_eq!(unwrap(&wrapped, &almost).err(), Some(VaultError::WrongPin));
    assert!(unwrap(&wrapped, &kek(1)).is_ok());
}

#[test]
fn changing_the_pin_keeps_old_records_readable_without_re_encryption() {
    let mut rng = InsecureTestRng::new(22);
    let dek = DataKey::generate(&mut rng, 1);
    let old_salt = new_salt(&mut rng);
    let wrapped = wrap(&dek, &kek(1), &mut rng, KdfParams::default(), old_salt).expect("wraps");
    let records: Vec<Vec<u8>> = (0..5)
        .map(|i| {
            let mut usage = KeyUsage {
                key_id: 1,
                sealed: i,
            };
            let record = format!("order/{i}");
            seal(&dek, &mut usage, &mut rng, STORE, &record, PLAINTEXT)
                .expect("seals")
                .to_bytes()
        })
        .collect();
    drop(dek);

    let new_salt = new_salt(&mut rng);
    let kdf = KdfParams::pbkdf2_sha256(650_000);
    let rewrapped = rewrap(&wrapped, &kek(1), &kek(9), &mut rng, kdf, new_salt).expect("rewraps");
    assert_ne!(rewrapped.salt, wrapped.salt);
    assert_eq!(rewrapped.kdf, kdf);
    assert_eq!(rewrapped.key_id, 1);
    assert_eq!(
        unwrap(&rewrapped, &kek(1)).err(),
        Some(VaultError::WrongPin),
        "old PIN is dead"
    );

    let dek = unwrap(&rewrapped, &kek(9)).expect("new PIN unwraps");
    for (i, bytes) in records.iter().enumerate() {
        let record = format!("order/{i}");
        assert_eq!(
            open_bytes(&dek, STORE, &record, bytes).expect("opens"),
            PLAINTEXT
        );
    }
    // The wrong old PIN cannot be used to change it.
    let refused = rewrap(&rewrapped, &kek(1), &kek(3), &mut rng, kdf, new_salt);
    assert_eq!(refused.err(), Some(VaultError::WrongPin));
}

#[test]
fn kdf_parameters_below_the_minimum_are_refused() {
    assert_eq!(MIN_PBKDF2_ITERATIONS, 600_000);
    let mut rng = InsecureTestRng::new(23);
    let dek = DataKey::generate(&mut rng, 1);
    let salt = [0u8; SALT_LEN];
    for iterations in [0, 1, 100_000, 599_999] {
        let weak = KdfParams::pbkdf2_sha256(iterations);
        let err = wrap(&dek, &kek(1), &mut rng, weak, salt).err();
        assert_eq!(
            err,
            Some(VaultError::KdfTooWeak {
                algorithm: "pbkdf2-sha256",
                minimum: 600_000,
                found: iterations
            })
        );
        assert_eq!(err.map(|e| e.code()), Some("kdf_too_weak"));
    }
    assert!(wrap(
        &dek,
        &kek(1),
        &mut rng,
        KdfParams::pbkdf2_sha256(600_000),
        salt
    )
    .is_ok());
    let wrapped = wrap(&dek, &kek(1), &mut rng, KdfParams::default(), salt).expect("wraps");
    let weak = KdfParams::pbkdf2_sha256(1_000);
    assert!(matches!(
        rewrap(&wrapped, &kek(1), &kek(2), &mut rng, weak, salt),
        Err(VaultError::KdfTooWeak { .. })
    ));
    let parsed: KdfParams =
        serde_json::from_str(r#"{"algorithm":"pbkdf2-sha256","iterations":600000}"#)
            .expect("the stored form parses");
    assert_eq!(parsed, KdfParams::default());
    assert!(serde_json::from_str::<KdfParams>(r#"{"algorithm":"md5","iterations":1}"#).is_err());
}

/// Every way `Debug` could leak the bytes: lowercase and uppercase hex, and `{:?}` of the array.
fn renderings(bytes: &[u8]) -> Vec<String> {
    let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let upper = lower.to_uppercase();
    let decimal = format!("{bytes:?}");
    let decimal_body = decimal
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    // A run of 8 leading values is enough to count as a leak.
    let first_eight = format!("{:?}", &bytes[..8]);
    let first_eight = first_eight
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    vec![
        lower[..16].to_string(),
        upper[..16].to_string(),
        decimal_body,
        first_eight,
    ]
}

#[test]
fn debug_never_shows_key_bytes() {
    let mut expected = [0u8; 32];
    InsecureTestRng::new(24).fill(&mut expected);
    let dek = DataKey::generate(&mut InsecureTestRng::new(24), 7);
    let shown = format!("{dek:?} {dek:#?}");
    assert!(shown.contains("DataKey(<redacted>, id 7)"), "{shown}");
    for leak in renderings(&expected) {
        assert!(!shown.contains(&leak), "DataKey Debug leaks {leak}");
    }

    let raw = [
        0xA7u8, 0x13, 0xFE, 0x42, 0x99, 0x01, 0x6C, 0xD0, 0x55, 0x3B, 0x80, 0x2E, 0x7F, 0xC4, 0x18,
        0xE9, 0x04, 0xB2, 0x61, 0x9D, 0x36, 0xF0, 0x4A, 0x85, 0x1C, 0xDB, 0x70, 0x2F, 0xA0, 0x5E,
        0xC9, 0x37,
    ];
    let kek = KeyEncryptionKey::from_bytes(raw);
    let shown = format!("{kek:?} {kek:#?}");
    assert!(shown.contains("KeyEncryptionKey(<redacted>)"), "{shown}");
    for leak in renderings(&raw) {
        assert!(!shown.contains(&leak), "KEK Debug leaks {leak}");
    }
    // The renderings do catch a leak.
    let leaky = format!("{raw:?}");
    assert!(renderings(&raw).iter().any(|r| leaky.contains(r)));

    // Errors never carry key material or plaintext either.
    let salt = new_salt(&mut InsecureTestRng::new(25));
    let wrapped = wrap(
        &dek,
        &kek,
        &mut InsecureTestRng::new(26),
        KdfParams::default(),
        salt,
    )
    .expect("wraps");
    let err = unwrap(&wrapped, &KeyEncryptionKey::from_bytes([0; 32])).expect_err("wrong KEK");
    let text = format!("{err} {err:?}");
    for leak in renderings(&expected).into_iter().chain(renderings(&raw)) {
        assert!(!text.contains(&leak));
    }
}

#[test]
fn error_codes_are_distinct() {
    let errors = [
        VaultError::Truncated,
        VaultError::UnsupportedVersion(2),
        VaultError::WrongKey {
            expected: 1,
            found: 2,
        },
        VaultError::Tampered,
        VaultError::NonceBudgetExhausted,
        VaultError::TooLarge,
        VaultError::Locked,
        VaultError::WrongPin,
        VaultError::TooManyAttempts { retry_after_ms: 1 },
        VaultError::ReauthenticationRequired,
        VaultError::KdfTooWeak {
            algorithm: "pbkdf2-sha256",
            minimum: 2,
            found: 1,
        },
        VaultError::InvalidKeyLength {
            expected: 32,
            found: 1,
        },
    ];
    let codes: HashSet<&str> = errors.iter().map(VaultError::code).collect();
    assert_eq!(codes.len(), errors.len());
    assert_eq!(
        VaultError::Tampered.to_string(),
        "the encrypted record failed authentication"
    );
}

// ---------------------------------------------------------------------------------------------
// The lock, on a fake clock (milliseconds)

const MIN: u64 = 60_000;

fn unlocked_at(policy: LockPolicy, now: u64) -> Lock {
    let mut lock = Lock::new(policy, now);
    assert!(lock.is_locked(), "a fresh device starts locked");
    lock.record_success(now);
    assert!(!lock.is_locked());
    lock
}

#[test]
fn locks_after_the_idle_timeout_and_not_before() {
    let mut lock = unlocked_at(LockPolicy::default(), 1_000);
    assert!(!lock.on_tick(1_000 + 5 * MIN - 1));
    assert!(!lock.is_locked());
    assert_eq!(lock.require_unlocked(), Ok(()));
    assert!(lock.on_tick(1_000 + 5 * MIN));
    assert!(lock.is_locked());
    assert_eq!(lock.require_unlocked(), Err(VaultError::Locked));
    assert!(
        !lock.on_tick(1_000 + 6 * MIN),
        "already locked: no second lock event"
    );
}

#[test]
fn activity_postpones_the_lock() {
    let mut lock = unlocked_at(LockPolicy::default(), 0);
    lock.on_activity(4 * MIN);
    assert!(!lock.on_tick(5 * MIN));
    assert!(!lock.on_tick(9 * MIN - 1));
    assert!(lock.on_tick(9 * MIN));
    // Activity on a locked workspace does not unlock it.
    lock.on_activity(9 * MIN + 1);
    assert!(lock.is_locked());
}

#[test]
fn hiding_the_page_locks_when_the_policy_says_so() {
    let policy = LockPolicy {
        lock_when_hidden: true,
        ..LockPolicy::default()
    };
    let mut lock = unlocked_at(policy, 0);
    assert!(lock.on_hidden(1_000));
    assert!(lock.is_locked());

    let mut lock = unlocked_at(LockPolicy::default(), 0);
    assert!(!lock.on_hidden(1_000), "off by default");
    assert!(!lock.is_locked());
    assert!(
        lock.on_hidden(5 * MIN),
        "but an expired idle timeout still locks"
    );
}

#[test]
fn a_requested_timeout_above_the_maximum_is_clamped() {
    let policy = LockPolicy {
        idle_timeout_ms: 120 * MIN,
        max_idle_timeout_ms: 30 * MIN,
        ..LockPolicy::default()
    };
    assert_eq!(policy.effective_idle_timeout_ms(), 30 * MIN);
    let mut lock = unlocked_at(policy, 0);
    assert_eq!(lock.idle_deadline_ms(), Some(30 * MIN));
    assert!(!lock.on_tick(30 * MIN - 1));
    assert!(lock.on_tick(30 * MIN));

    // Below the maximum the requested value stands.
    let policy = LockPolicy {
        idle_timeout_ms: 2_000,
        ..LockPolicy::default()
    };
    let mut lock = unlocked_at(policy, 0);
    assert!(!lock.on_tick(1_999));
    assert!(lock.on_tick(2_000));
}

/// Fails `count` times, each as soon as allowed; returns the time after the last failure.
fn fail(lock: &mut Lock, mut now: u64, count: u32) -> u64 {
    for _ in 0..count {
        if let Err(VaultError::TooManyAttempts { retry_after_ms }) = lock.check_attempt(now) {
            now += retry_after_ms;
        }
        assert_eq!(lock.check_attempt(now), Ok(()));
        lock.record_failure(now);
    }
    now
}

#[test]
fn wrong_pins_escalate_exactly_at_five_six_seven_and_eight() {
    let mut lock = Lock::new(LockPolicy::default(), 0);
    let t = fail(&mut lock, 0, 4);
    assert_eq!(lock.check_attempt(t), Ok(()), "no delay after 4 failures");

    let expected = [
        (5, MIN),
        (6, 5 * MIN),
        (7, 15 * MIN),
        (8, 60 * MIN),
        (9, 60 * MIN),
    ];
    let mut now = t;
    for (failures, delay) in expected {
        now += 1_000;
        now = fail(&mut lock, now, 1);
        assert_eq!(lock.state().failed_attempts, failures);
        assert_eq!(
            lock.check_attempt(now),
            Err(VaultError::TooManyAttempts {
                retry_after_ms: delay
            }),
            "after {failures} failures"
        );
        assert_eq!(
            lock.check_attempt(now + delay - 1),
            Err(VaultError::TooManyAttempts { retry_after_ms: 1 })
        );
        assert_eq!(lock.check_attempt(now + delay), Ok(()));
        now += delay;
    }
}

#[test]
fn failures_and_delays_survive_a_reload() {
    let policy = LockPolicy::default();
    let mut lock = Lock::new(policy.clone(), 0);
    let t = fail(&mut lock, 0, 6);
    assert_eq!(lock.state().next_attempt_at_ms, t + 5 * MIN);

    let json = serde_json::to_string(lock.state()).expect("serializes");
    let state: LockState = serde_json::from_str(&json).expect("deserializes");
    let mut reloaded = Lock::restore(policy.clone(), state, t + MIN);
    assert_eq!(reloaded.state().failed_attempts, 6);
    assert_eq!(
        reloaded.check_attempt(t + MIN),
        Err(VaultError::TooManyAttempts {
            retry_after_ms: 4 * MIN
        })
    );
    assert_eq!(reloaded.check_attempt(t + 5 * MIN), Ok(()));

    // A state persisted while unlocked still comes back locked: the key did not survive.
    let unlocked = unlocked_at(policy.clone(), 0);
    let reloaded = Lock::restore(policy, unlocked.state().clone(), 10);
    assert!(reloaded.is_locked());
}

#[test]
fn ten_failures_require_online_reauthentication() {
    let mut lock = Lock::new(LockPolicy::default(), 0);
    let t = fail(&mut lock, 0, 9);
    assert!(matches!(
        lock.check_attempt(t),
        Err(VaultError::TooManyAttempts { .. })
    ));
    let t = fail(&mut lock, t, 1);
    assert_eq!(lock.state().failed_attempts, 10);
    assert_eq!(
        lock.check_attempt(t),
        Err(VaultError::ReauthenticationRequired)
    );
    assert_eq!(
        lock.check_attempt(t + 365 * 24 * 60 * MIN),
        Err(VaultError::ReauthenticationRequired),
        "waiting does not help"
    );

    lock.reauthenticated();
    assert_eq!(lock.state().failed_attempts, 0);
    assert_eq!(lock.check_attempt(t + 1), Ok(()));
    assert!(lock.is_locked(), "re-authentication alone does not unlock");
}

#[test]
fn success_resets_the_count_and_unlocks() {
    let mut lock = Lock::new(LockPolicy::default(), 0);
    let t = fail(&mut lock, 0, 5) + MIN;
    assert_eq!(lock.check_attempt(t), Ok(()));
    lock.record_success(t);
    assert!(!lock.is_locked());
    assert_eq!(lock.state().failed_attempts, 0);
    assert_eq!(lock.state().next_attempt_at_ms, 0);

    lock.lock(t + 1);
    lock.record_failure(t + 2);
    assert_eq!(
        lock.check_attempt(t + 2),
        Ok(()),
        "one failure after a reset has no delay"
    );
}

#[test]
fn attempt_unlock_counts_wrong_pins_and_unlocks_with_the_right_one() {
    let mut rng = InsecureTestRng::new(30);
    let dek = DataKey::generate(&mut rng, 1);
    let salt = new_salt(&mut rng);
    let wrapped = wrap(&dek, &kek(1), &mut rng, KdfParams::default(), salt).expect("wraps");
    let mut lock = Lock::new(LockPolicy::default(), 0);

    for i in 0..5 {
        let result = lock.attempt_unlock(i, || unwrap(&wrapped, &kek(2)));
        assert_eq!(result.err(), Some(VaultError::WrongPin));
    }
    assert_eq!(lock.state().failed_attempts, 5);
    let early = lock.attempt_unlock(10, || unwrap(&wrapped, &kek(1)));
    assert!(
        matches!(early, Err(VaultError::TooManyAttempts { .. })),
        "even the right PIN waits"
    );
    assert!(lock.is_locked());

    // A damaged wrapped key is reported but not counted as a guess.
    let mut damaged = wrapped.clone();
    damaged.ciphertext.truncate(10);
    let result = lock.attempt_unlock(4 + MIN, || unwrap(&damaged, &kek(1)));
    assert_eq!(result.err(), Some(VaultError::Tampered));
    assert_eq!(lock.state().failed_attempts, 5);

    let unlocked = lock
        .attempt_unlock(4 + MIN, || unwrap(&wrapped, &kek(1)))
        .expect("unlocks");
    assert_eq!(unlocked.key_id(), 1);
    assert!(!lock.is_locked());
    assert_eq!(lock.state().failed_attempts, 0);
}

#[test]
fn a_clock_going_backwards_neither_unlocks_nor_shortens_a_delay() {
    let base = 1_700_000_000_000;
    let mut lock = Lock::new(LockPolicy::default(), base);
    let t = fail(&mut lock, base, 5);
    assert_eq!(
        lock.check_attempt(t + 10_000),
        Err(VaultError::TooManyAttempts {
            retry_after_ms: 50_000
        })
    );

    // The clock jumps back a day: no time passes, the remaining wait is kept.
    let back = t - 24 * 60 * MIN;
    assert_eq!(
        lock.check_attempt(back),
        Err(VaultError::TooManyAttempts {
            retry_after_ms: 50_000
        })
    );
    assert!(lock.is_locked());
    // Time then runs forward from the new reading.
    assert_eq!(
        lock.check_attempt(back + 49_999),
        Err(VaultError::TooManyAttempts { retry_after_ms: 1 })
    );
    assert_eq!(lock.check_attempt(back + 50_000), Ok(()));

    // Even to the epoch: a fresh delay survives intact.
    lock.record_failure(back + 50_000);
    assert_eq!(
        lock.check_attempt(0),
        Err(VaultError::TooManyAttempts {
            retry_after_ms: 5 * MIN
        })
    );

    // The idle timer keeps what it had accrued and does not restart from zero either.
    let mut lock = unlocked_at(LockPolicy::default(), base);
    assert!(!lock.on_tick(base + 4 * MIN));
    assert!(
        !lock.on_tick(base - 60 * MIN),
        "a jump back is no time passing"
    );
    assert!(!lock.on_tick(base - 60 * MIN + MIN - 1));
    assert!(
        lock.on_tick(base - 60 * MIN + MIN),
        "4 + 1 minutes of real idleness"
    );
    assert!(lock.is_locked());
    lock.on_activity(base - 120 * MIN);
    assert!(lock.is_locked(), "going back never unlocks");
}
