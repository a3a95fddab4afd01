// Package sqlrow is what the SQL backends (sqlitestore, pgstore) share of
// their row encoding: times as unix microseconds, event details as JSON
// objects, and the scanning of the rows whose columns are the same in both
// schemas. Each backend keeps what differs (sessions, users, arguments).
package sqlrow

import (
	"encoding/json"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// Scanner is a row: *sql.Row, *sql.Rows, pgx.Row and pgx.Rows all are.
type Scanner interface{ Scan(dest ...any) error }

// Micro encodes t as unix microseconds; the zero time is 0.
func Micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicro decodes Micro's encoding, in UTC.
func FromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// EncodeDetail stores an event's detail as a JSON object; nil and empty
// maps are both "{}".
func EncodeDetail(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// DecodeDetail returns a non-nil map, empty when the event has no detail.
func DecodeDetail(s string) (map[string]string, error) {
	d := map[string]string{}
	if s == "" {
		return d, nil
	}
	err := json.Unmarshal([]byte(s), &d)
	return d, err
}

// RevocationCols are the columns ScanRevocation reads, in order.
const RevocationCols = `id, session_id, user_id, not_before, until, created_at`

// ScanRevocation reads a row of RevocationCols.
func ScanRevocation(sc Scanner) (store.Revocation, error) {
	var (
		r                  store.Revocation
		nb, until, created int64
	)
	if err := sc.Scan(&r.ID, &r.SessionID, &r.UserID, &nb, &until, &created); err != nil {
		return store.Revocation{}, err
	}
	r.NotBefore, r.Until, r.CreatedAt = FromMicro(nb), FromMicro(until), FromMicro(created)
	return r, nil
}

// ChallengeCols are the columns ScanChallenge reads, in order.
const ChallengeCols = `hash, user_id, device_id, ip, user_agent, expires_at, cred_version`

// ScanChallenge reads a row of ChallengeCols.
func ScanChallenge(sc Scanner) (store.Challenge, error) {
	var (
		c   store.Challenge
		exp int64
	)
	if err := sc.Scan(&c.Hash, &c.UserID, &c.DeviceID, &c.IP, &c.UserAgent, &exp, &c.CredVersion); err != nil {
		return store.Challenge{}, err
	}
	c.ExpiresAt = FromMicro(exp)
	return c, nil
}

// EventCols are the columns ScanEvent reads, in order.
const EventCols = `id, user_id, session_id, type, detail, ip, user_agent, created_at`

// ScanEvent reads a row of EventCols.
func ScanEvent(sc Scanner) (store.Event, error) {
	var (
		e       store.Event
		detail  string
		created int64
	)
	err := sc.Scan(&e.ID, &e.UserID, &e.SessionID, &e.Type, &detail, &e.IP, &e.UserAgent, &created)
	if err != nil {
		return store.Event{}, err
	}
	e.Detail, err = DecodeDetail(detail)
	e.CreatedAt = FromMicro(created)
	return e, err
}
