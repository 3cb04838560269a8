-- What the likely-duplicate rule compares of each v2 order (issue 16): its outlet, kind and
-- commit time, and, when the rule counts it (not a receipt of the counter), core's RecentOrder
-- as JSON (its id, time and lines). A push checks each order against its outlet's orders inside
-- the duplicate window; it reads these small rows instead of decoding each stored document.
-- Orders stored before this table have no row and are read from their documents, until they
-- leave the window.
CREATE TABLE recent_orders (
    order_id     TEXT PRIMARY KEY,
    outlet_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    recent       TEXT
);

CREATE INDEX recent_orders_outlet_committed ON recent_orders (outlet_id, committed_at);
