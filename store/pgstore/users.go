package pgstore

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CreateUser implements store.Users. The UNIQUE username_key and
// username_skeleton columns make a taken name and a look-alike of one fail
// alike, as ErrUserExists.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO users (id, username, username_key,
		username_skeleton, password_hash, roles, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.ID, u.Username, store.NormalizeUsername(u.Username), store.UsernameSkeleton(u.Username),
		u.PasswordHash, roles(u.Roles), micro(u.CreatedAt), micro(u.UpdatedAt))
	return wrap("create user", err)
}

// UserByID implements store.Users.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	return u, wrap("user by id", err)
}

// UserByName implements store.Users. It looks up by key only, never by
// skeleton: a look-alike name must not reach the account it imitates.
func (s *Store) UserByName(ctx context.Context, username string) (store.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username_key = $1`,
		store.NormalizeUsername(username)))
	return u, wrap("user by name", err)
}

// ListUsers implements store.Users (LIMIT NULL is no limit).
func (s *Store) ListUsers(ctx context.Context, limit int) ([]store.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var lim *int64
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY created_at, id LIMIT $1`, lim)
	if err != nil {
		return nil, wrap("list users", err)
	}
	us, err := collect(rows, scanUser)
	return us, wrap("list users", err)
}

// SetRoles implements store.Users.
func (s *Store) SetRoles(ctx context.Context, id string, rs []string, now time.Time) (store.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var u store.User
	err := s.write(ctx, "set roles", func(tx pgx.Tx) error {
		// The user's lock orders this against logins and ends, which lock
		// the same session rows.
		if err := s.lockUser(ctx, tx, id); err != nil {
			return err
		}
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET roles = $1, updated_at = $2
			WHERE id = $3 RETURNING `+userCols, roles(rs), micro(now), id))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sessions SET roles = $1 WHERE user_id = $2`, roles(rs), id)
		return err
	})
	return u, err
}

// SetPasswordHash implements store.Users: the version is read under the
// user row's lock, so a password change (which increments it) cannot land
// between the check and the write.
func (s *Store) SetPasswordHash(ctx context.Context, id, hash string, credVersion int64, now time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.write(ctx, "set password hash", func(tx pgx.Tx) error {
		var ver int64
		if err := tx.QueryRow(ctx, `SELECT cred_version FROM users WHERE id = $1 FOR UPDATE`, id).Scan(&ver); err != nil {
			return err
		}
		if ver != credVersion {
			return store.ErrCredentialChanged
		}
		_, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`,
			hash, micro(now), id)
		return err
	})
}

// SetPassword implements store.Credentials in one transaction, under the
// user's lock (so no CreateSession checks the old credential version
// meanwhile).
func (s *Store) SetPassword(ctx context.Context, in store.SetPassword) (store.User, []store.Ended, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		u     store.User
		ended []store.Ended
	)
	err := s.write(ctx, "set password", func(tx pgx.Tx) error {
		if err := s.lockUser(ctx, tx, in.UserID); err != nil {
			return err
		}
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET password_hash = $1, updated_at = $2,
			cred_version = cred_version + 1 WHERE id = $3 RETURNING `+userCols, in.Hash, micro(in.Now), in.UserID))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM challenges WHERE user_id = $1`, in.UserID); err != nil {
			return err
		}
		ended, err = endUserSessions(ctx, tx, in.UserID, in.Keep, in.Reason, in.Now, in.RevokeUntil)
		return err
	})
	if err != nil {
		return store.User{}, nil, err
	}
	return u, ended, nil
}

// DeleteUser implements store.Users. It removes the users row only: the
// caller ends the user's sessions first, and the user's events stay in the
// audit trail until pruned.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
	return wrap("delete user", mustAffect(tag, err))
}

// mustAffect turns "no row changed" into store.ErrNotFound.
func mustAffect(tag pgconn.CommandTag, err error) error {
	if err == nil && tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return err
}
