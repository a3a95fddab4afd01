-- The PostgreSQL schema, the same model as the SQLite one (store/sqlitestore,
-- as of its migration 0006). Times are BIGINT unix microseconds (UTC); 0 is
-- the zero time. Roles are text[]; event detail is JSON
-- in text (jsonb refuses \u0000, which a detail value may hold). Ids that are
-- listed in order (users, sessions, events: UUIDv7 strings) use the "C"
-- collation, so they sort bytewise as in SQLite whatever the database's
-- locale.

CREATE TABLE users (
	id                TEXT COLLATE "C" PRIMARY KEY,
	username          TEXT NOT NULL,
	username_key      TEXT NOT NULL CONSTRAINT users_username_key UNIQUE,
	username_skeleton TEXT NOT NULL CONSTRAINT users_username_skeleton UNIQUE,
	password_hash     TEXT NOT NULL,
	roles             TEXT[] NOT NULL DEFAULT '{}',
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL,
	cred_version      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_created ON users (created_at, id);

-- A session is one row however often it refreshes: the refresh chain is the
-- generation counter plus the hash of the current token (store.Session).
CREATE TABLE sessions (
	id                 TEXT COLLATE "C" PRIMARY KEY,
	user_id            TEXT NOT NULL,
	device_id          TEXT NOT NULL,
	created_at         BIGINT NOT NULL,
	last_seen_at       BIGINT NOT NULL,
	auth_time          BIGINT NOT NULL,
	expires_at         BIGINT NOT NULL,
	refresh_expires_at BIGINT NOT NULL,
	refresh_gen        BIGINT NOT NULL,
	rotated_at         BIGINT NOT NULL,
	ip                 TEXT NOT NULL,
	user_agent         TEXT NOT NULL,
	cookie_hash        BYTEA, -- NULL when the session has no cookie
	username           TEXT NOT NULL DEFAULT '',
	roles              TEXT[] NOT NULL DEFAULT '{}',
	refresh_hash       BYTEA
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_cookie ON sessions (cookie_hash) WHERE cookie_hash IS NOT NULL;

-- The revocation log. Ids are not from a sequence: nextval is taken before
-- commit, so a later id could commit (and be read past by a follower)
-- before an earlier one. Every transaction that writes revocations takes
-- its ids from the single row of revocation_ids, whose row lock it holds
-- until it commits: revocation writers commit in id order (revlog.go).
CREATE TABLE revocations (
	id         BIGINT PRIMARY KEY,
	session_id TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	not_before BIGINT NOT NULL,
	until      BIGINT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX revocations_until ON revocations (until);

-- last only grows, so ids never go back, even after the newest row is swept.
CREATE TABLE revocation_ids (
	one  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
	last BIGINT NOT NULL
);
INSERT INTO revocation_ids (one, last) VALUES (TRUE, 0);

CREATE TABLE keys (
	id         TEXT PRIMARY KEY,
	alg        TEXT NOT NULL,
	private    BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	sign_from  BIGINT NOT NULL,
	retired_at BIGINT NOT NULL,
	keep_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BYTEA NOT NULL
);

-- full_at: when the bucket is full again; a full bucket equals a missing one,
-- so Sweep drops rows whose full_at has passed.
CREATE TABLE rate_limits (
	key        TEXT PRIMARY KEY,
	tokens     DOUBLE PRECISION NOT NULL,
	updated_at BIGINT NOT NULL,
	full_at    BIGINT NOT NULL
);
CREATE INDEX rate_limits_full ON rate_limits (full_at);

-- A challenge is consumed (deleted) at most once; Sweep drops expired ones.
CREATE TABLE challenges (
	hash         BYTEA PRIMARY KEY,
	user_id      TEXT NOT NULL,
	device_id    TEXT NOT NULL,
	ip           TEXT NOT NULL,
	user_agent   TEXT NOT NULL,
	expires_at   BIGINT NOT NULL,
	cred_version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX challenges_expires ON challenges (expires_at);
CREATE INDEX challenges_user ON challenges (user_id);

-- id: a UUIDv7 string from the caller, so id order is time order.
CREATE TABLE events (
	id         TEXT COLLATE "C" PRIMARY KEY,
	user_id    TEXT NOT NULL,
	session_id TEXT NOT NULL,
	type       TEXT NOT NULL,
	detail     TEXT NOT NULL DEFAULT '{}', -- JSON object of strings
	ip         TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX events_user ON events (user_id, id);
CREATE INDEX events_created ON events (created_at);
