-- The likely-duplicate rule's key of each remembered order's lines (core's
-- `validation::duplicate_key`, issue 16): a push reads back only its outlets' orders whose lines
-- could match one of its own, instead of every order of those outlets inside the window (an
-- outlet taking a hundred orders in the window made that read most of a push's time).
-- '' for an order the rule does not count (a receipt of the counter). Rows written before this
-- migration keep NULL and are read as before, until they leave the window.
ALTER TABLE recent_orders ADD COLUMN lines_key TEXT;

CREATE INDEX recent_orders_outlet_key ON recent_orders (outlet_id, lines_key, committed_at);
