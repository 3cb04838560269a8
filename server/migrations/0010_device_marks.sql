-- High-water marks (issue 20: "the server knows what it should have"): what each device last
-- said it has committed, recorded from every push that carries them, before its batch is tried
-- (so a push whose batch fails still leaves them). One row per device, the highest marks: a push
-- arriving late with lower ones does not lower them (see server/src/api/marks.rs).
-- Portable SQL (SQLite and PostgreSQL), like 0001 to 0009.

-- committed_seq: the highest sequence number the device committed. unused_ranges: the document
-- number ranges it still held unused, as core's `NumberRange`s in JSON. reported_at: when the
-- server recorded them (its clock; RFC 3339 like every stored timestamp), the device's last
-- contact. What never arrived is computed from these, `devices.last_seq` and `number_ranges`;
-- nothing of it is stored.
CREATE TABLE device_marks (
    device_id     TEXT PRIMARY KEY REFERENCES devices (device_id),
    committed_seq BIGINT NOT NULL,
    unused_ranges TEXT NOT NULL,
    reported_at   TEXT NOT NULL
);
