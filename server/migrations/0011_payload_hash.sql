-- A replay must carry the mutation it replays (issue 15): the fingerprint of each received
-- mutation (core's `Mutation::fingerprint`, SHA-256 hex of its canonical JSON), compared when the
-- same device and seq arrive again. A different one is answered `payload_mismatch`, never
-- `duplicate`. NULL for rows recorded before this migration: their replays are not compared.
-- Portable SQL (SQLite and PostgreSQL), like 0001 to 0010.
ALTER TABLE mutations ADD COLUMN payload_hash TEXT;
