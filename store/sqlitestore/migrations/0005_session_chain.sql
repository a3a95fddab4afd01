-- A session is one row however often it refreshes (issue 7, item 8): the
-- refresh chain is the session's generation counter plus the hash of the
-- current token; older generations are recognised by the token's MAC.
-- Refresh tokens issued before this migration have the old format and are
-- no longer accepted (their holders log in again); access tokens keep
-- working until they expire.
--
-- Username and roles are copied onto the session so a refresh mints its
-- access token without reading the user (one store round trip).
--
-- cred_version counts password changes; session creation and login
-- challenges check it so no login with an old password outlives a change.
ALTER TABLE users ADD COLUMN cred_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE challenges ADD COLUMN cred_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN username TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN refresh_hash BLOB;
UPDATE sessions SET
	username = COALESCE((SELECT username FROM users WHERE users.id = sessions.user_id), ''),
	roles = COALESCE((SELECT roles FROM users WHERE users.id = sessions.user_id), '[]');
DROP TABLE refresh_tokens;
