-- A change feed that does not serialize PostgreSQL's writers (issue 16; docs/sync-protocol.md,
-- "Order and completeness").
--
-- A feed row's position is (xid, version). On PostgreSQL `xid` is the writing transaction's id
-- (`pg_current_xact_id()`) and `version` comes from the sequence `feed_versions`, which the
-- server creates on start (PostgreSQL only, so not here); no writer waits on another for them.
-- A pull reads only rows whose `xid` is below its snapshot's oldest running transaction, in
-- position order. On SQLite `xid` stays 0 and versions still come from `feed_counter` under the
-- single writer. Rows written before this migration keep `xid` 0 and their version: a device's
-- checkpoint of then still reads as the same position.
ALTER TABLE feed ADD COLUMN xid BIGINT NOT NULL DEFAULT 0;

CREATE INDEX feed_position ON feed (xid, version);

DROP INDEX feed_version;

-- Bumped when the feed's positions are no longer comparable with the checkpoints devices hold
-- (a PostgreSQL database restored into another cluster, whose transaction ids start over): it
-- is part of the view a checkpoint is written for, so every device starts over.
ALTER TABLE feed_counter ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;
