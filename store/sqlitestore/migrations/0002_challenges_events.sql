-- Login challenges and the audit trail. Times are INTEGER unix microseconds
-- (UTC), as in 0001.

-- A challenge is consumed (deleted) at most once; Sweep drops expired ones.
CREATE TABLE challenges (
	hash       BLOB PRIMARY KEY,
	user_id    TEXT NOT NULL,
	device_id  TEXT NOT NULL,
	ip         TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX challenges_expires ON challenges (expires_at);

-- id: a UUIDv7 string from the caller, so id order is time order; a user's
-- events are listed newest first through events_user, pruned by created_at.
CREATE TABLE events (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL,
	session_id TEXT NOT NULL,
	type       TEXT NOT NULL,
	detail     TEXT NOT NULL DEFAULT '{}', -- JSON object of strings
	ip         TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX events_user ON events (user_id, id);
CREATE INDEX events_created ON events (created_at);
