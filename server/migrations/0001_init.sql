-- Satchel server schema, version 1.
-- Portable SQL: it runs on SQLite and is meant to run unchanged on PostgreSQL.
-- Decimals, UUIDs and timestamps (RFC 3339, UTC) are stored as TEXT.

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('rep', 'supervisor'))
);

CREATE TABLE user_routes (
    username TEXT NOT NULL REFERENCES users (username),
    route    TEXT NOT NULL,
    PRIMARY KEY (username, route)
);

CREATE TABLE products (
    sku        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    unit       TEXT NOT NULL,
    unit_price TEXT NOT NULL
);

CREATE TABLE outlets (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    route    TEXT NOT NULL,
    address  TEXT NOT NULL,
    phone    TEXT NOT NULL,
    tax_rate TEXT NOT NULL
);

CREATE INDEX outlets_route ON outlets (route);

CREATE TABLE devices (
    device_id  TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users (username),
    label      TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    last_seq   BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- One row per sequence number a device has consumed, applied or rejected.
-- mutation_id is NULL only when a new sequence number reused an id already recorded
-- (rejected as duplicate_mutation), so the UNIQUE constraint still holds.
CREATE TABLE mutations (
    device_id   TEXT NOT NULL REFERENCES devices (device_id),
    seq         BIGINT NOT NULL,
    mutation_id TEXT UNIQUE,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
    code        TEXT,
    reason      TEXT,
    field       TEXT,
    received_at TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
);

CREATE TABLE orders (
    order_id     TEXT PRIMARY KEY,
    device_id    TEXT NOT NULL REFERENCES devices (device_id),
    seq          BIGINT NOT NULL,
    mutation_id  TEXT NOT NULL,
    username     TEXT NOT NULL REFERENCES users (username),
    outlet_id    TEXT NOT NULL REFERENCES outlets (id),
    committed_at TEXT NOT NULL,
    subtotal     TEXT NOT NULL,
    tax          TEXT NOT NULL,
    total        TEXT NOT NULL,
    line_count   INTEGER NOT NULL,
    document     TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    UNIQUE (device_id, seq)
);

CREATE INDEX orders_username ON orders (username);
CREATE INDEX orders_received ON orders (received_at, device_id, seq);
