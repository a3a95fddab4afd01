package pgstore

import (
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/sqlrow"
	"github.com/jackc/pgx/v5"
)

// blob stores empty byte slices as NULL.
func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nonNil keeps NOT NULL bytea columns satisfied by empty values.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// roles is never nil: the column is NOT NULL.
func roles(r []string) []string {
	if r == nil {
		return []string{}
	}
	return r
}

// What both SQL backends share (package sqlrow).
type scanner = sqlrow.Scanner

var (
	micro          = sqlrow.Micro
	fromMicro      = sqlrow.FromMicro
	encodeDetail   = sqlrow.EncodeDetail
	scanRevocation = sqlrow.ScanRevocation
	scanChallenge  = sqlrow.ScanChallenge
	scanEvent      = sqlrow.ScanEvent
)

const (
	revocationCols = sqlrow.RevocationCols
	challengeCols  = sqlrow.ChallengeCols
	eventCols      = sqlrow.EventCols
)

const userCols = `id, username, password_hash, roles, created_at, updated_at, cred_version`

func scanUser(sc scanner) (store.User, error) {
	var (
		u            store.User
		created, upd int64
	)
	if err := sc.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Roles, &created, &upd, &u.CredVersion); err != nil {
		return store.User{}, err
	}
	u.CreatedAt, u.UpdatedAt = fromMicro(created), fromMicro(upd)
	return u, nil
}

const sessionCols = `id, user_id, device_id, created_at, last_seen_at, auth_time,
	expires_at, refresh_expires_at, refresh_gen, rotated_at, ip, user_agent, cookie_hash,
	username, roles, refresh_hash, dpop_jkt`

func scanSession(sc scanner) (store.Session, error) {
	var (
		s                                   store.Session
		created, seen, auth, exp, rexp, rot int64
	)
	err := sc.Scan(&s.ID, &s.UserID, &s.DeviceID, &created, &seen, &auth,
		&exp, &rexp, &s.RefreshGen, &rot, &s.IP, &s.UserAgent, &s.CookieHash,
		&s.Username, &s.Roles, &s.RefreshHash, &s.JKT)
	if err != nil {
		return store.Session{}, err
	}
	s.CreatedAt, s.LastSeenAt, s.AuthTime = fromMicro(created), fromMicro(seen), fromMicro(auth)
	s.ExpiresAt, s.RefreshExpiresAt = fromMicro(exp), fromMicro(rexp)
	s.RotatedAt = fromMicro(rot)
	return s, nil
}

func sessionArgs(s store.Session) []any {
	return []any{s.ID, s.UserID, s.DeviceID, micro(s.CreatedAt), micro(s.LastSeenAt),
		micro(s.AuthTime), micro(s.ExpiresAt), micro(s.RefreshExpiresAt), s.RefreshGen,
		micro(s.RotatedAt), s.IP, s.UserAgent, blob(s.CookieHash),
		s.Username, roles(s.Roles), blob(s.RefreshHash), s.JKT}
}

// collect scans every row with scan; it returns an empty, non-nil slice when
// there are none.
func collect[T any](rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
