-- One-time fixes of stored data that need the server's Rust code, recorded once done so they
-- run once per database (issue 16). The server runs them when it opens the database, after the
-- migrations (server/src/api/recent.rs). The first, `recent_orders`, gives every v2 order stored
-- before migration 0013 its row.
CREATE TABLE backfills (
    name    TEXT PRIMARY KEY,
    done_at TEXT NOT NULL
);

-- The rows without a lines key (written before 0015, or by such a version during a rolling
-- upgrade): the server gives each its key whenever it opens the database, and finds them
-- through this index, empty once they have it, without reading the whole table.
CREATE INDEX recent_orders_unkeyed ON recent_orders (order_id) WHERE lines_key IS NULL;

-- Nothing reads recent_orders by outlet and time alone any more (only by outlet, key and time:
-- recent_orders_outlet_key), so this index only cost every order's write.
DROP INDEX recent_orders_outlet_committed;
