-- Shared records (issue 9): an outlet's phone, address and contact are edited offline by several
-- reps; the server merges their patches field by field (core's `sync::merge`) and queues the
-- overlapping ones as conflicts for a supervisor.
-- Portable SQL, like 0001 to 0003: it runs unchanged on SQLite and PostgreSQL. JSON and
-- hybrid-logical-clock timestamps (fixed-width strings that sort like the clock) are TEXT.

-- The outlet's merge state. version: raised by one by each merged patch or resolution that
-- changes a field (devices send the version their edit was based on). field_state: the fields
-- of core's `Record` as JSON (name -> {value, changed_at, changed_by, version}); '{}' until the
-- first merge, when each editable field is seeded from its column at version 0. The columns
-- (phone, address, contact_name) always hold the current values: they are what the reference
-- data and orders read.
ALTER TABLE outlets ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outlets ADD COLUMN field_state TEXT NOT NULL DEFAULT '{}';

-- Concurrent edits of one field, for a supervisor. ours: the server's value that was kept (core's
-- `FieldState` as JSON); theirs: the patch's value that was not applied (core's `Proposal`).
-- device_id, seq, mutation_id: the mutation that raised it. resolution: core's `Resolution`
-- ("ours", "theirs" or {"value": …}) as JSON, with the value the field got, once resolved.
CREATE TABLE outlet_conflicts (
    id           TEXT PRIMARY KEY,
    outlet_id    TEXT NOT NULL REFERENCES outlets (id),
    field        TEXT NOT NULL,
    base         TEXT NOT NULL,
    base_version BIGINT NOT NULL,
    ours         TEXT NOT NULL,
    theirs       TEXT NOT NULL,
    device_id    TEXT NOT NULL REFERENCES devices (device_id),
    seq          BIGINT NOT NULL,
    mutation_id  TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at   TEXT NOT NULL,
    resolved_by  TEXT,
    resolved_at  TEXT,
    resolution   TEXT
);

CREATE INDEX outlet_conflicts_status ON outlet_conflicts (status, created_at);
CREATE INDEX outlet_conflicts_outlet ON outlet_conflicts (outlet_id, field);

-- The server's hybrid logical clock: the latest timestamp it issued or observed (one row, id 1).
-- Each merged patch's time is observed (so that the server's later stamps, e.g. a resolution's,
-- order after it) and a patch more than the clock's maximum drift ahead of the server's physical
-- time is refused. Updated in the transaction that observed it.
CREATE TABLE server_clock (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    last TEXT NOT NULL
);

INSERT INTO server_clock (id, last) VALUES (1, '00000000000000000000-0000000000-server');
