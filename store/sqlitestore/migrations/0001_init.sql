-- Times are INTEGER unix microseconds (UTC); 0 is the zero time.

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL,
	username_key  TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	roles         TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX users_created ON users (created_at, id);

-- No UNIQUE (user_id, device_id): replacing a device's session is logical.
-- WITHOUT ROWID on the two hot tables: one b-tree per row instead of two.
CREATE TABLE sessions (
	id                 TEXT PRIMARY KEY,
	user_id            TEXT NOT NULL,
	device_id          TEXT NOT NULL,
	created_at         INTEGER NOT NULL,
	last_seen_at       INTEGER NOT NULL,
	auth_time          INTEGER NOT NULL,
	expires_at         INTEGER NOT NULL,
	refresh_expires_at INTEGER NOT NULL,
	refresh_gen        INTEGER NOT NULL,
	rotated_at         INTEGER NOT NULL,
	ip                 TEXT NOT NULL,
	user_agent         TEXT NOT NULL,
	cookie_hash        BLOB -- NULL when the session has no cookie
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_cookie ON sessions (cookie_hash) WHERE cookie_hash IS NOT NULL;

CREATE TABLE refresh_tokens (
	hash       BLOB PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	gen        INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id, gen);

-- AUTOINCREMENT: ids never go back, even after the newest row is swept.
CREATE TABLE revocations (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	session_id TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	not_before INTEGER NOT NULL,
	until      INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX revocations_until ON revocations (until);

CREATE TABLE keys (
	id         TEXT PRIMARY KEY,
	alg        TEXT NOT NULL,
	private    BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	sign_from  INTEGER NOT NULL,
	retired_at INTEGER NOT NULL
);

CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);

-- full_at: when the bucket is full again; a full bucket equals a missing one,
-- so Sweep drops rows whose full_at has passed.
CREATE TABLE rate_limits (
	key        TEXT PRIMARY KEY,
	tokens     REAL NOT NULL,
	updated_at INTEGER NOT NULL,
	full_at    INTEGER NOT NULL
);
CREATE INDEX rate_limits_full ON rate_limits (full_at);
