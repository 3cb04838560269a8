-- Orders v2 (issue 7): the sales catalog, price lists, outlets with place of supply and credit,
-- van stock, the deployment's sales settings, leased document numbers, v2 orders and the
-- supervisor's review queue.
-- Portable SQL, like 0001 and 0002: it runs unchanged on SQLite and PostgreSQL. Decimals, dates,
-- timestamps and JSON are TEXT; counters and flags are BIGINT (0/1 for flags).

-- The v2 catalog: the facts core's `CatalogProduct` carries besides sku, name and unit.
-- barcodes and extra_taxes are JSON arrays of strings; pack_size and min_order_quantity are
-- decimals, NULL when the product has none.
ALTER TABLE products ADD COLUMN quantity_places BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN pack_size TEXT;
ALTER TABLE products ADD COLUMN min_order_quantity TEXT;
ALTER TABLE products ADD COLUMN barcodes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE products ADD COLUMN tax_class TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE products ADD COLUMN extra_taxes TEXT NOT NULL DEFAULT '[]';

-- The prices of one outlet group over a period: [valid_from, valid_until), dates as YYYY-MM-DD,
-- valid_until NULL when open-ended.
CREATE TABLE price_lists (
    id                 TEXT PRIMARY KEY,
    outlet_group       TEXT NOT NULL,
    valid_from         TEXT NOT NULL,
    valid_until        TEXT,
    prices_include_tax BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX price_lists_group ON price_lists (outlet_group);

CREATE TABLE price_list_items (
    price_list_id TEXT NOT NULL REFERENCES price_lists (id),
    sku           TEXT NOT NULL REFERENCES products (sku),
    price         TEXT NOT NULL,
    PRIMARY KEY (price_list_id, sku)
);

-- Outlets: an outlet without outlet_group and place_of_supply has no v2 data (it cannot take
-- v2 orders). customer is core's tax `Customer` as JSON. credit_limit NULL: no credit terms.
-- outstanding is the server's balance of the outlet (the demo's stand-in for the ERP's accounts
-- receivable: every v2 order received adds its total, a return's negative total reduces it),
-- computed at credit_as_of.
ALTER TABLE outlets ADD COLUMN outlet_group TEXT;
ALTER TABLE outlets ADD COLUMN place_of_supply TEXT;
ALTER TABLE outlets ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE outlets ADD COLUMN customer TEXT NOT NULL DEFAULT '{}';
ALTER TABLE outlets ADD COLUMN delivered_to_reserve BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outlets ADD COLUMN credit_limit TEXT;
ALTER TABLE outlets ADD COLUMN outstanding TEXT;
ALTER TABLE outlets ADD COLUMN credit_as_of TEXT;

-- What each user's van holds. A SKU without a row is not stock-tracked.
CREATE TABLE van_stock (
    username  TEXT NOT NULL REFERENCES users (username),
    sku       TEXT NOT NULL REFERENCES products (sku),
    available TEXT NOT NULL,
    as_of     TEXT NOT NULL,
    PRIMARY KEY (username, sku)
);

-- The deployment's sales settings: one row (id 1). policy is core's `ValidationPolicy` as JSON
-- ('{}' is the default policy). No row: the server takes no v2 orders and leases no numbers.
CREATE TABLE settings (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    rule_set      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    origin        TEXT,
    policy        TEXT NOT NULL DEFAULT '{}',
    number_prefix TEXT NOT NULL
);

-- The deployment-wide document-number counter: the next number to lease. One row (id 1),
-- updated in the same transaction as the lease it makes (the row lock serializes leases on
-- PostgreSQL; SQLite has one writer).
CREATE TABLE number_counter (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    next_number BIGINT NOT NULL
);

INSERT INTO number_counter (id, next_number) VALUES (1, 1000);

-- Ranges leased to devices, inclusive at both ends. used_through is the highest number of the
-- range the device has sent in a sales_order.create (applied or rejected), NULL when none yet:
-- devices take numbers in order, so last_number - used_through is what the range has left.
CREATE TABLE number_ranges (
    device_id    TEXT NOT NULL REFERENCES devices (device_id),
    prefix       TEXT NOT NULL,
    first_number BIGINT NOT NULL UNIQUE,
    last_number  BIGINT NOT NULL,
    used_through BIGINT,
    leased_at    TEXT NOT NULL,
    PRIMARY KEY (device_id, first_number)
);

-- Orders v2: version 2 orders carry their document number (unique), kind, whether the server
-- flagged them, the price list and the tax per tax code (JSON object code -> amount).
ALTER TABLE orders ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE orders ADD COLUMN document_number TEXT;
ALTER TABLE orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'sale';
ALTER TABLE orders ADD COLUMN flagged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN price_list_id TEXT;
ALTER TABLE orders ADD COLUMN tax_breakdown TEXT;

CREATE UNIQUE INDEX orders_document_number ON orders (document_number)
    WHERE document_number IS NOT NULL;
CREATE INDEX orders_outlet_committed ON orders (outlet_id, committed_at);

-- The number a sales_order.create claimed, when it was inside the device's leases: a number is
-- consumed by the first document that claims it, applied or rejected (the gap policy).
ALTER TABLE mutations ADD COLUMN document_number TEXT;

CREATE INDEX mutations_document_number ON mutations (document_number);

-- Orders the server flagged (a warn_and_flag finding under its own data), for a supervisor.
-- reasons: the findings as JSON (core's `Finding`s).
CREATE TABLE review_queue (
    order_id    TEXT PRIMARY KEY REFERENCES orders (order_id),
    device_id   TEXT NOT NULL REFERENCES devices (device_id),
    username    TEXT NOT NULL REFERENCES users (username),
    reasons     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected')),
    created_at  TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at TEXT,
    note        TEXT
);

CREATE INDEX review_queue_status ON review_queue (status, created_at);
