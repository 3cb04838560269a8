-- Sync engine, issue 6: the pull feed, rule sets and tasks as data, mutation dependencies,
-- deferred mutations and blobs (photos). Portable SQL (SQLite and PostgreSQL).

-- The pull feed: one row per record devices hold, carrying the version of its latest change.
-- Versions come from `feed_counter`, taken with an UPDATE in the writer's transaction: the row
-- lock serializes writers, so versions commit in order and a pull never skips one.
-- `scope`: '' (everyone), 'route:<route>', 'user:<username>' or 'device:<device_id>'.
-- `prev_scope`: the scope before the last change moved the record (e.g. an outlet moved to
-- another route), so devices that could see it there are told to delete it.
CREATE TABLE feed (
    entity     TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    version    BIGINT NOT NULL,
    scope      TEXT NOT NULL,
    prev_scope TEXT,
    deleted    BIGINT NOT NULL DEFAULT 0,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (entity, entity_key)
);

CREATE INDEX feed_version ON feed (version);

CREATE TABLE feed_counter (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);

INSERT INTO feed_counter (id, version) VALUES (1, 0);

-- Tax rule sets as data (JSON of satchel_core::tax::RuleSet), seeded from the built-in ones.
CREATE TABLE rule_sets (
    id       TEXT PRIMARY KEY,
    document TEXT NOT NULL
);

-- Work the office assigns to a rep at an outlet.
CREATE TABLE tasks (
    id           TEXT PRIMARY KEY,
    outlet_id    TEXT NOT NULL REFERENCES outlets (id),
    assignee     TEXT NOT NULL REFERENCES users (username),
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    details      TEXT NOT NULL DEFAULT '',
    due_date     TEXT,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    completed_by TEXT,
    completed_at TEXT,
    note         TEXT,
    photos       TEXT NOT NULL DEFAULT '[]',
    updated_at   TEXT NOT NULL
);

CREATE INDEX tasks_assignee ON tasks (assignee, status);

-- `mutations`, rebuilt to widen `status` (a CHECK cannot be altered on SQLite):
-- held (a parent was rejected), deferred (waiting for parents or blobs), discarded (a held one
-- the user gave up on). `depends_on` is the JSON list of parent ids; `body` keeps the mutation
-- (JSON, in clear) while it is deferred or held; `parent` is the parent that holds it.
CREATE TABLE mutations_v2 (
    device_id       TEXT NOT NULL REFERENCES devices (device_id),
    seq             BIGINT NOT NULL,
    mutation_id     TEXT UNIQUE,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('applied', 'rejected', 'held', 'deferred', 'discarded')),
    code            TEXT,
    reason          TEXT,
    field           TEXT,
    received_at     TEXT NOT NULL,
    document_number TEXT,
    depends_on      TEXT NOT NULL DEFAULT '[]',
    body            TEXT,
    parent          TEXT,
    settled_at      TEXT,
    PRIMARY KEY (device_id, seq)
);

INSERT INTO mutations_v2 (device_id, seq, mutation_id, kind, status, code, reason, field, received_at, document_number)
    SELECT device_id, seq, mutation_id, kind, status, code, reason, field, received_at, document_number FROM mutations;

DROP TABLE mutations;

ALTER TABLE mutations_v2 RENAME TO mutations;

CREATE INDEX mutations_document_number ON mutations (document_number);
CREATE INDEX mutations_status ON mutations (status);

-- What a deferred mutation waits for: 'mutation:<uuid>' or 'blob:<sha256>'.
CREATE TABLE mutation_waits (
    mutation_id TEXT NOT NULL,
    waits_on    TEXT NOT NULL,
    PRIMARY KEY (mutation_id, waits_on)
);

CREATE INDEX mutation_waits_on ON mutation_waits (waits_on);

-- Blobs (photos), content-addressed by SHA-256, uploaded in chunks that resume.
CREATE TABLE blobs (
    sha256       TEXT PRIMARY KEY,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    received     BIGINT NOT NULL DEFAULT 0,
    complete     BIGINT NOT NULL DEFAULT 0,
    device_id    TEXT NOT NULL REFERENCES devices (device_id),
    created_at   TEXT NOT NULL,
    completed_at TEXT
);

CREATE TABLE blob_chunks (
    sha256       TEXT NOT NULL REFERENCES blobs (sha256),
    chunk_offset BIGINT NOT NULL,
    data         BYTEA NOT NULL,
    PRIMARY KEY (sha256, chunk_offset)
);
