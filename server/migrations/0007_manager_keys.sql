-- The counter, issue 13: managers who may approve at the till (a return without a receipt).
-- `key_hex` is PBKDF2-HMAC-SHA256 of the manager's PIN (hex): the server checks an approval's
-- proof with it. Devices get only the salt, the iteration count and SHA-256 of the key, in the
-- counter settings (satchel_core::pos::approval). Portable SQL (SQLite and PostgreSQL).
CREATE TABLE manager_keys (
    username   TEXT PRIMARY KEY REFERENCES users (username),
    key_hex    TEXT NOT NULL
);
