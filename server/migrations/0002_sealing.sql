-- Sealed outbox (issue 4): devices upload mutations sealed to the server's X25519 key, with a
-- push-only token they may keep outside their vault.

-- The server's X25519 secret keys, one row per generation. The newest is handed to new devices;
-- older ones stay so that entries sealed before a rotation still open.
CREATE TABLE server_keys (
    key_id     INTEGER PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- push_token_hash: SHA-256 of the push-only token. device_secret: the 32-byte secret (hex) that
-- authenticates the device's sealed entries. NULL for devices registered before this version,
-- which can then only push in clear with their full token.
ALTER TABLE devices ADD COLUMN push_token_hash TEXT;
ALTER TABLE devices ADD COLUMN device_secret TEXT;
