-- A retired key records until when it must be kept: retirement + the access
-- TTL + leeway of the node that retired it. Deletion reads only this, so a
-- CLI run with a shorter --access-ttl can no longer delete a key whose
-- tokens are still valid (issue 7, item 4).
--
-- Keys retired before this migration get retired_at + 24 h: the TTL in
-- force when they were retired is not known, and 24 h is longer than any
-- access TTL Gatehouse recommends (docs/configuration.md). Times are unix
-- microseconds, as in 0001.
ALTER TABLE keys ADD COLUMN keep_until INTEGER NOT NULL DEFAULT 0;
UPDATE keys SET keep_until = retired_at + 86400000000 WHERE retired_at != 0;
