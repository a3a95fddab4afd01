package sqlitestore

import (
	"database/sql"
	"encoding/json"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/sqlrow"
)

// blob stores empty byte slices as NULL.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func encodeRoles(roles []string) (string, error) {
	if roles == nil {
		roles = []string{}
	}
	b, err := json.Marshal(roles)
	return string(b), err
}

// decodeRoles returns a non-nil slice, empty when the user has no roles.
func decodeRoles(s string) ([]string, error) {
	roles := []string{}
	err := json.Unmarshal([]byte(s), &roles)
	return roles, err
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
		roles        string
		created, upd int64
	)
	if err := sc.Scan(&u.ID, &u.Username, &u.PasswordHash, &roles, &created, &upd, &u.CredVersion); err != nil {
		return store.User{}, err
	}
	var err error
	u.Roles, err = decodeRoles(roles)
	u.CreatedAt, u.UpdatedAt = fromMicro(created), fromMicro(upd)
	return u, err
}

const sessionCols = `id, user_id, device_id, created_at, last_seen_at, auth_time,
	expires_at, refresh_expires_at, refresh_gen, rotated_at, ip, user_agent, cookie_hash,
	username, roles, refresh_hash, dpop_jkt`

func scanSession(sc scanner) (store.Session, error) {
	var (
		s                                   store.Session
		created, seen, auth, exp, rexp, rot int64
		roles                               string
	)
	err := sc.Scan(&s.ID, &s.UserID, &s.DeviceID, &created, &seen, &auth,
		&exp, &rexp, &s.RefreshGen, &rot, &s.IP, &s.UserAgent, &s.CookieHash,
		&s.Username, &roles, &s.RefreshHash, &s.JKT)
	if err != nil {
		return store.Session{}, err
	}
	if s.Roles, err = decodeRoles(roles); err != nil {
		return store.Session{}, err
	}
	s.CreatedAt, s.LastSeenAt, s.AuthTime = fromMicro(created), fromMicro(seen), fromMicro(auth)
	s.ExpiresAt, s.RefreshExpiresAt = fromMicro(exp), fromMicro(rexp)
	s.RotatedAt = fromMicro(rot)
	return s, nil
}

func sessionArgs(s store.Session) ([]any, error) {
	roles, err := encodeRoles(s.Roles)
	return []any{s.ID, s.UserID, s.DeviceID, micro(s.CreatedAt), micro(s.LastSeenAt),
		micro(s.AuthTime), micro(s.ExpiresAt), micro(s.RefreshExpiresAt), s.RefreshGen,
		micro(s.RotatedAt), s.IP, s.UserAgent, blob(s.CookieHash),
		s.Username, roles, blob(s.RefreshHash), s.JKT}, err
}

// collect scans every row with scan; it returns an empty, non-nil slice when
// there are none.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
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
