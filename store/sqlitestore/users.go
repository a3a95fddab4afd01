package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// CreateUser implements store.Users. The UNIQUE username_key and
// username_skeleton columns make a taken name and a look-alike of one fail
// alike, as ErrUserExists.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	roles, err := encodeRoles(u.Roles)
	if err != nil {
		return wrap("create user", err)
	}
	return s.write(ctx, "create user", func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, username, username_key,
			username_skeleton, password_hash, roles, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Username, store.NormalizeUsername(u.Username), store.UsernameSkeleton(u.Username),
			u.PasswordHash, roles, micro(u.CreatedAt), micro(u.UpdatedAt))
		return err
	})
}

// UserByID implements store.Users.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	u, err := scanUser(s.rd.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, wrap("user by id", err)
}

// UserByName implements store.Users. It looks up by key only, never by
// skeleton: a look-alike name must not reach the account it imitates.
func (s *Store) UserByName(ctx context.Context, username string) (store.User, error) {
	u, err := scanUser(s.rd.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username_key = ?`,
		store.NormalizeUsername(username)))
	return u, wrap("user by name", err)
}

// ListUsers implements store.Users.
func (s *Store) ListUsers(ctx context.Context, limit int) ([]store.User, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT `+userCols+` FROM users
		ORDER BY created_at, id LIMIT ?`, limit)
	if err != nil {
		return nil, wrap("list users", err)
	}
	us, err := collect(rows, scanUser)
	return us, wrap("list users", err)
}

// SetRoles implements store.Users.
func (s *Store) SetRoles(ctx context.Context, id string, roles []string, now time.Time) (store.User, error) {
	enc, err := encodeRoles(roles)
	if err != nil {
		return store.User{}, wrap("set roles", err)
	}
	var u store.User
	err = s.write(ctx, "set roles", func(tx *wtx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `UPDATE users SET roles = ?, updated_at = ?
			WHERE id = ? RETURNING `+userCols, enc, micro(now), id))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET roles = ? WHERE user_id = ?`, enc, id)
		return err
	})
	return u, err
}

// SetPasswordHash implements store.Users.
func (s *Store) SetPasswordHash(ctx context.Context, id, hash string, credVersion int64, now time.Time) error {
	return s.write(ctx, "set password hash", func(tx *wtx) error {
		var ver int64
		if err := tx.QueryRowContext(ctx, `SELECT cred_version FROM users WHERE id = ?`, id).Scan(&ver); err != nil {
			return err
		}
		if ver != credVersion {
			return store.ErrCredentialChanged
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`,
			hash, micro(now), id)
		return err
	})
}

// SetPassword implements store.Credentials in one writer transaction.
func (s *Store) SetPassword(ctx context.Context, in store.SetPassword) (store.User, []store.Ended, error) {
	var (
		u     store.User
		ended []store.Ended
	)
	err := s.write(ctx, "set password", func(tx *wtx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ?,
			cred_version = cred_version + 1 WHERE id = ? RETURNING `+userCols, in.Hash, micro(in.Now), in.UserID))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM challenges WHERE user_id = ?`, in.UserID); err != nil {
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
	return s.write(ctx, "delete user", func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		return mustAffect(res, err)
	})
}

// mustAffect turns "no row changed" into store.ErrNotFound.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}
