-- A session bound to a DPoP key (RFC 9449) remembers the key's RFC 7638
-- thumbprint; its refresh tokens are redeemed only with a proof by that
-- key. '' = unbound (every session before this migration).
ALTER TABLE sessions ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';

-- DPoP proofs already used, shared by every node so a proof replayed on
-- another node is refused: INSERT ... ON CONFLICT DO NOTHING is the one
-- atomic set-if-absent. Keyed by dpop.ReplayKey (a hash, fixed size);
-- until is unix microseconds; the sweeper deletes rows past it.
CREATE TABLE dpop_proofs (
	key TEXT PRIMARY KEY COLLATE "C",
	until BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_until ON dpop_proofs (until);
