-- A session bound to a DPoP key (RFC 9449) remembers the key's RFC 7638
-- thumbprint; its refresh tokens are redeemed only with a proof by that
-- key. '' = unbound (every session before this migration). The embedded
-- store serves one node, whose DPoP replay cache is in memory.
ALTER TABLE sessions ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
