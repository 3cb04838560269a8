-- The delivery day (issue 14): a crew's day (start, stops, end with the server's recomputed
-- settlement), the invoices customers still owe (receivables) and the collections against them,
-- and what a task asks for. Portable SQL (SQLite and PostgreSQL). Decimals, timestamps and JSON
-- are TEXT; counters and flags are BIGINT (0/1 for flags).

-- The deployment's delivery settings (core's `DeliverySettings` as JSON); NULL: no delivery days.
ALTER TABLE settings ADD COLUMN delivery TEXT;

-- What a task asks for (a delivery's goods): core's `TaskItem` list as JSON.
ALTER TABLE tasks ADD COLUMN items TEXT NOT NULL DEFAULT '[]';

-- The day an invoice (or a return) was billed in (its `DayLink`), NULL outside a day: the
-- server's settlement counts the orders of the day by this column.
ALTER TABLE orders ADD COLUMN day_id TEXT;

CREATE INDEX orders_day ON orders (day_id);

-- A crew member's day. The start: `plan` the task ids in route order (JSON), `loaded` the van
-- load sheet (JSON, quantity by SKU). The end (NULL while the day runs): `counted_van` (JSON),
-- `counted_cash`, the crew's signature (its blob's SHA-256), the number of stops the device
-- recorded, the device's and the server's settlements (core's `Settlement`, JSON) and the
-- `differences` between them (core's `SettlementDifference` list, JSON); `cash_variance` and
-- `van_variances` are the server settlement's. `flagged`: the settlements differ.
CREATE TABLE delivery_days (
    day_id            TEXT PRIMARY KEY,
    device_id         TEXT NOT NULL REFERENCES devices (device_id),
    username          TEXT NOT NULL REFERENCES users (username),
    site              TEXT NOT NULL,
    route             TEXT NOT NULL,
    truck             TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    plan              TEXT NOT NULL,
    loaded            TEXT NOT NULL,
    accepted_as_sent  BIGINT NOT NULL DEFAULT 0,
    opening_float     TEXT NOT NULL,
    start_odometer    BIGINT NOT NULL,
    start_mutation    TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    ended_at          TEXT,
    end_mutation      TEXT,
    end_odometer      BIGINT,
    counted_van       TEXT,
    counted_cash      TEXT,
    signature         TEXT,
    device_stops      BIGINT,
    device_settlement TEXT,
    server_settlement TEXT,
    differences       TEXT,
    cash_variance     TEXT,
    van_variances     BIGINT,
    flagged           BIGINT NOT NULL DEFAULT 0,
    approved_by       TEXT,
    approved_at       TEXT
);

CREATE INDEX delivery_days_started ON delivery_days (started_at);
-- A crew member has at most one open day. The push checks it (`day_open`); this partial index
-- makes two devices of one user starting days at once on PostgreSQL fail the second on UNIQUE,
-- which the push runs again and then refuses (SQLite's pushes never overlap).
CREATE UNIQUE INDEX delivery_days_open ON delivery_days (username) WHERE ended_at IS NULL;

-- What became of a stop of a day (from its `task.complete`). A skipped stop may be done later
-- the same day: the stop's row then holds its latest outcome. `reason` for a failed or skipped
-- stop; `signature` the recipient's (its blob's SHA-256); `photos` the completion's blob
-- references (JSON); `goods_back` quantity by SKU (JSON); `unplanned`: added on the road (the
-- server created its task).
CREATE TABLE day_stops (
    day_id      TEXT NOT NULL REFERENCES delivery_days (day_id),
    task_id     TEXT NOT NULL,
    outlet_id   TEXT NOT NULL,
    mutation_id TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('done', 'failed', 'skipped')),
    reason      TEXT,
    recipient   TEXT NOT NULL DEFAULT '',
    signature   TEXT,
    photos      TEXT NOT NULL DEFAULT '[]',
    goods_back  TEXT NOT NULL DEFAULT '{}',
    unplanned   BIGINT NOT NULL DEFAULT 0,
    at          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (day_id, task_id)
);

-- What customers owe: one row per invoice on account (a rep's sale, not a receipt of the
-- counter, not paid cash on delivery), the demo's stand-in for the ERP's accounts receivable.
-- `order_id` is the order's (the seeded older invoices have no order row); `paid` grows with
-- the collections allocated to it; `settled_at` is when nothing was left to pay (NULL while
-- something is), so devices are sent the open invoices and those paid lately without the
-- database comparing decimals held as text.
CREATE TABLE receivables (
    order_id   TEXT PRIMARY KEY,
    outlet_id  TEXT NOT NULL REFERENCES outlets (id),
    number     TEXT NOT NULL,
    issued_on  TEXT NOT NULL,
    total      TEXT NOT NULL,
    paid       TEXT NOT NULL,
    settled_at TEXT,
    updated_at TEXT NOT NULL
);

CREATE INDEX receivables_outlet ON receivables (outlet_id, settled_at);

-- Money a crew member took during a day. `collection` is core's `Collection` (JSON), from which
-- the settlement is recomputed; `method` its kind, `advance` what it kept beyond its invoices.
CREATE TABLE collections (
    collection_id TEXT PRIMARY KEY,
    day_id        TEXT NOT NULL REFERENCES delivery_days (day_id),
    mutation_id   TEXT NOT NULL,
    username      TEXT NOT NULL,
    outlet_id     TEXT NOT NULL,
    method        TEXT NOT NULL CHECK (method IN ('cash', 'cheque', 'mobile_money')),
    amount        TEXT NOT NULL,
    advance       TEXT NOT NULL,
    collection    TEXT NOT NULL,
    collected_at  TEXT NOT NULL,
    received_at   TEXT NOT NULL
);

CREATE INDEX collections_day ON collections (day_id);

-- How much of a collection went to which invoice.
CREATE TABLE collection_allocations (
    collection_id TEXT NOT NULL REFERENCES collections (collection_id),
    order_id      TEXT NOT NULL,
    amount        TEXT NOT NULL,
    PRIMARY KEY (collection_id, order_id)
);

CREATE INDEX collection_allocations_order ON collection_allocations (order_id);

-- Notes left at visits to an outlet (`noted_on` a date), shown to the crew at the next stop:
-- seeded, and written from a stop's completion note.
CREATE TABLE visit_notes (
    id        TEXT PRIMARY KEY,
    outlet_id TEXT NOT NULL REFERENCES outlets (id),
    noted_on  TEXT NOT NULL,
    author    TEXT NOT NULL,
    note      TEXT NOT NULL
);

CREATE INDEX visit_notes_outlet ON visit_notes (outlet_id, noted_on);
