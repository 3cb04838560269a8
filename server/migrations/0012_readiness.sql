-- Readiness (issue 15): `GET /readyz` writes this one row on each call, so "ready" means the
-- database takes a write (a full disk or a read-only file fails it), not only that it answers.
-- Portable SQL (SQLite and PostgreSQL), like 0001 to 0011.
CREATE TABLE readiness (
    id         INTEGER PRIMARY KEY,
    checked_at TEXT NOT NULL
);
