-- Field telemetry (issue 21): the devices' reports (`telemetry.report`), the server's own
-- measure of each order's entry-to-server time, and the running totals `/metrics` reads.
-- Portable SQL (SQLite and PostgreSQL). Timestamps and JSON are TEXT; counts, milliseconds and
-- flags are BIGINT (0/1 for flags).

-- The device clock's offset from the server's when a mutation arrived (server receive time
-- minus the push's `sent_at`, in ms); NULL when the push did not say. A deferred order is
-- measured when it is applied, later, with the offset of the push that brought it.
ALTER TABLE mutations ADD COLUMN clock_offset_ms BIGINT;

-- One row per report, written when its mutation is applied (so exactly once). `routes` is the
-- user's routes as a JSON list, NULL for a supervisor (every route). `period_from`/`period_to`
-- are the device's clock; `received_at` the server's. `report` is the report as sent (core's
-- `TelemetryReport`, JSON); the columns repeat what the dashboard reads. `oldest_unsynced_at`
-- is corrected by the push's clock offset. `storage_permille` is used/quota when both are known.
CREATE TABLE telemetry_reports (
    report_id          TEXT PRIMARY KEY,
    device_id          TEXT NOT NULL REFERENCES devices (device_id),
    seq                BIGINT NOT NULL,
    mutation_id        TEXT NOT NULL,
    username           TEXT NOT NULL,
    routes             TEXT,
    period_from        TEXT NOT NULL,
    period_to          TEXT NOT NULL,
    received_at        TEXT NOT NULL,
    report             TEXT NOT NULL,
    entry_to_ack_count BIGINT NOT NULL,
    entry_to_ack_max   BIGINT NOT NULL,
    offline_count      BIGINT NOT NULL,
    app_starts         BIGINT NOT NULL,
    unlocks            BIGINT NOT NULL,
    force_closes       BIGINT NOT NULL,
    storage_used       BIGINT,
    storage_quota      BIGINT,
    storage_permille   BIGINT,
    persisted          BIGINT,
    unsynced           BIGINT NOT NULL,
    oldest_unsynced_at TEXT,
    outage_completed   BIGINT NOT NULL,
    outage_failed      BIGINT NOT NULL
);

CREATE INDEX telemetry_reports_received ON telemetry_reports (received_at);
CREATE INDEX telemetry_reports_device ON telemetry_reports (device_id, seq);

-- The non-empty buckets of a report's histograms (`entry_to_ack`, `offline`: core's
-- `BOUNDS_MS` buckets), so the dashboard merges a week of them in SQL.
CREATE TABLE telemetry_buckets (
    report_id TEXT NOT NULL REFERENCES telemetry_reports (report_id),
    histogram TEXT NOT NULL CHECK (histogram IN ('entry_to_ack', 'offline')),
    bucket    BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (report_id, histogram, bucket)
);

-- Each device's latest report (by sequence number).
CREATE TABLE telemetry_devices (
    device_id TEXT PRIMARY KEY REFERENCES devices (device_id),
    report_id TEXT NOT NULL,
    seq       BIGINT NOT NULL
);

-- Each applied `sales_order.create` (receipts of the counter included): when the server applied
-- it, on which UTC day, the route of its outlet, its entry-to-server time (apply time minus the
-- mutation's `created_at` corrected by the clock offset, at least 0), its `BOUNDS_MS` bucket,
-- and whether it was applied on its business date (the server's UTC date).
CREATE TABLE entry_latency (
    order_id   TEXT PRIMARY KEY REFERENCES orders (order_id),
    device_id  TEXT NOT NULL,
    route      TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    applied_on TEXT NOT NULL,
    latency_ms BIGINT NOT NULL,
    bucket     BIGINT NOT NULL,
    same_day   BIGINT NOT NULL
);

CREATE INDEX entry_latency_applied ON entry_latency (applied_on);

-- Running totals behind `/metrics`, per device so that pushes of different devices never wait
-- on each other's rows: written in the transaction that applies the order or the report
-- (exactly once, surviving restarts, shared by every instance), summed over devices at each
-- scrape. `series` names the figure (see server/src/metrics/telemetry.rs), `label` its label
-- value ('' when none), `bucket` its histogram bucket (0 when none); `n` only grows.
CREATE TABLE telemetry_totals (
    device_id TEXT NOT NULL,
    series    TEXT NOT NULL,
    label     TEXT NOT NULL,
    bucket    BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (device_id, series, label, bucket)
);
