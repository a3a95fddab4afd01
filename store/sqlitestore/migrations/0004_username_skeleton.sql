-- Usernames have one spelling (PRECIS UsernameCaseMapped, see
-- store.NormalizeUsername) and look-alike names are refused: every user gets
-- the confusable skeleton (UTS #39, store.UsernameSkeleton) of its name,
-- unique across users. SQL cannot compute either, so the Go backfill that
-- runs in this migration's transaction (backfillUsernames, username_backfill.go)
-- rewrites username_key and fills username_skeleton for existing rows.
-- The column is NULL only until then; SQLite's UNIQUE lets NULLs repeat.
ALTER TABLE users ADD COLUMN username_skeleton TEXT;
CREATE UNIQUE INDEX users_username_skeleton ON users (username_skeleton);
