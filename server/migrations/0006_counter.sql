-- The counter (point of sale, issue 13): cashiers' registers, receipt numbers per register,
-- shifts with their cash movements and Z reports, and the receipts of each shift.
-- Portable SQL (SQLite and PostgreSQL). Decimals, timestamps and JSON are TEXT; counters and
-- flags are BIGINT (0/1 for flags).

-- The deployment's counter settings (core's `CounterSettings` as JSON); NULL: no counter.
ALTER TABLE settings ADD COLUMN counter TEXT;

-- The register (till) a cashier sells at. A user without a row has no register (a rep).
CREATE TABLE user_registers (
    username TEXT PRIMARY KEY REFERENCES users (username),
    register TEXT NOT NULL
);

-- Each register's receipt-number counter: the next number to lease. A row is created at first
-- use. Receipt numbers come from the register's own counter (not the deployment-wide one), so
-- the leases of one register are contiguous and its receipts gap-free.
CREATE TABLE receipt_counters (
    register    TEXT PRIMARY KEY,
    next_number BIGINT NOT NULL
);

-- `number_ranges`, rebuilt: `first_number` was unique across the deployment, which receipt
-- ranges (each register counts from 1) break. A range is now unique per prefix.
CREATE TABLE number_ranges_v2 (
    device_id    TEXT NOT NULL REFERENCES devices (device_id),
    prefix       TEXT NOT NULL,
    first_number BIGINT NOT NULL,
    last_number  BIGINT NOT NULL,
    used_through BIGINT,
    leased_at    TEXT NOT NULL,
    PRIMARY KEY (device_id, prefix, first_number),
    UNIQUE (prefix, first_number)
);

INSERT INTO number_ranges_v2 (device_id, prefix, first_number, last_number, used_through, leased_at)
    SELECT device_id, prefix, first_number, last_number, used_through, leased_at FROM number_ranges;

DROP TABLE number_ranges;

ALTER TABLE number_ranges_v2 RENAME TO number_ranges;

-- A cashier's shift at a register. `opening_float` and `counted` are core's `Denomination` lists
-- (JSON); `device_report` and `server_report` core's `ShiftReport` (JSON) and `differences` the
-- list of `ReportDifference` between them; `variance` is the server report's counted minus
-- expected cash. `closed_at` NULL: the shift is open.
CREATE TABLE shifts (
    shift_id         TEXT PRIMARY KEY,
    device_id        TEXT NOT NULL REFERENCES devices (device_id),
    username         TEXT NOT NULL,
    register         TEXT NOT NULL,
    opened_at        TEXT NOT NULL,
    opening_float    TEXT NOT NULL,
    opening_mutation TEXT NOT NULL,
    received_at      TEXT NOT NULL,
    closed_at        TEXT,
    closing_mutation TEXT,
    counted          TEXT,
    device_report    TEXT,
    server_report    TEXT,
    differences      TEXT,
    variance         TEXT,
    flagged          BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX shifts_opened_at ON shifts (opened_at);

-- Paid-in, paid-out and no-sale of a shift. `amount` NULL for a no-sale.
CREATE TABLE cash_movements (
    mutation_id TEXT PRIMARY KEY,
    shift_id    TEXT NOT NULL REFERENCES shifts (shift_id),
    moved_at    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('paid_in', 'paid_out', 'no_sale')),
    amount      TEXT,
    reason      TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE INDEX cash_movements_shift ON cash_movements (shift_id);

-- The receipts of the counter: one per counter sale or refund (the order itself is in
-- `orders`). `figures` is core's `ReceiptFigures` (JSON), what the Z report counts of it;
-- `refund_of` the order id of the receipt a refund returns goods of.
CREATE TABLE receipts (
    order_id    TEXT PRIMARY KEY REFERENCES orders (order_id),
    shift_id    TEXT NOT NULL REFERENCES shifts (shift_id),
    register    TEXT NOT NULL,
    number      TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
    refund_of   TEXT,
    figures     TEXT NOT NULL,
    total       TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE INDEX receipts_shift ON receipts (shift_id);
CREATE INDEX receipts_refund_of ON receipts (refund_of);
