package pgstore

import (
	"encoding/json"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

// micro encodes t as unix microseconds; the zero time is 0.
func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicro decodes micro's encoding, in UTC.
func fromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

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

type scanner interface{ Scan(dest ...any) error }

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
	username, roles, refresh_hash`

func scanSession(sc scanner) (store.Session, error) {
	var (
		s                                   store.Session
		created, seen, auth, exp, rexp, rot int64
	)
	err := sc.Scan(&s.ID, &s.UserID, &s.DeviceID, &created, &seen, &auth,
		&exp, &rexp, &s.RefreshGen, &rot, &s.IP, &s.UserAgent, &s.CookieHash,
		&s.Username, &s.Roles, &s.RefreshHash)
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
		s.Username, roles(s.Roles), blob(s.RefreshHash)}
}

const revocationCols = `id, session_id, user_id, not_before, until, created_at`

func scanRevocation(sc scanner) (store.Revocation, error) {
	var (
		r                  store.Revocation
		nb, until, created int64
	)
	if err := sc.Scan(&r.ID, &r.SessionID, &r.UserID, &nb, &until, &created); err != nil {
		return store.Revocation{}, err
	}
	r.NotBefore, r.Until, r.CreatedAt = fromMicro(nb), fromMicro(until), fromMicro(created)
	return r, nil
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

// encodeDetail stores an event's detail as a JSON object; nil and empty maps
// are both "{}".
func encodeDetail(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// decodeDetail returns a non-nil map, empty when the event has no detail.
func decodeDetail(s string) (map[string]string, error) {
	d := map[string]string{}
	if s == "" {
		return d, nil
	}
	err := json.Unmarshal([]byte(s), &d)
	return d, err
}

const challengeCols = `hash, user_id, device_id, ip, user_agent, expires_at, cred_version`

func scanChallenge(sc scanner) (store.Challenge, error) {
	var (
		c   store.Challenge
		exp int64
	)
	if err := sc.Scan(&c.Hash, &c.UserID, &c.DeviceID, &c.IP, &c.UserAgent, &exp, &c.CredVersion); err != nil {
		return store.Challenge{}, err
	}
	c.ExpiresAt = fromMicro(exp)
	return c, nil
}

const eventCols = `id, user_id, session_id, type, detail, ip, user_agent, created_at`

func scanEvent(sc scanner) (store.Event, error) {
	var (
		e       store.Event
		detail  string
		created int64
	)
	err := sc.Scan(&e.ID, &e.UserID, &e.SessionID, &e.Type, &detail, &e.IP, &e.UserAgent, &created)
	if err != nil {
		return store.Event{}, err
	}
	e.Detail, err = decodeDetail(detail)
	e.CreatedAt = fromMicro(created)
	return e, err
}
