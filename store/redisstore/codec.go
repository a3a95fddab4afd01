package redisstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

// micro encodes t as unix microseconds in decimal; the zero time is "0".
func micro(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func fromMicro(s string) time.Time {
	v, _ := strconv.ParseInt(s, 10, 64)
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func us(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) }

// sessionFields is a session as the field/value list it is stored as (short
// names keep a session small; see lua/rules.lua for their meaning).
func sessionFields(s store.Session) ([]string, error) {
	roles := s.Roles
	if roles == nil {
		roles = []string{}
	}
	r, err := json.Marshal(roles)
	if err != nil {
		return nil, err
	}
	return []string{
		"d", s.DeviceID, "n", s.Username, "r", string(r),
		"c", micro(s.CreatedAt), "l", micro(s.LastSeenAt), "a", micro(s.AuthTime),
		"e", micro(s.ExpiresAt), "x", micro(s.RefreshExpiresAt),
		"g", strconv.FormatInt(s.RefreshGen, 10), "t", micro(s.RotatedAt),
		"i", s.IP, "ua", s.UserAgent, "h", string(s.RefreshHash), "k", string(s.CookieHash),
		"j", s.JKT,
	}, nil
}

// decodeSession reads a script's session reply {id, field, value, ...}
// (ids encoded, see ids.go).
func decodeSession(m rueidis.RedisMessage) (store.Session, error) {
	a, err := m.AsStrSlice()
	if err != nil {
		return store.Session{}, err
	}
	if len(a)%2 != 1 {
		return store.Session{}, fmt.Errorf("session reply of %d items", len(a))
	}
	s := store.Session{ID: decID(a[0])}
	for i := 1; i+1 < len(a); i += 2 {
		v := a[i+1]
		switch a[i] {
		case "u":
			s.UserID = decID(v)
		case "d":
			s.DeviceID = v
		case "n":
			s.Username = v
		case "r":
			s.Roles = []string{}
			if err := json.Unmarshal([]byte(v), &s.Roles); err != nil {
				return store.Session{}, err
			}
		case "c":
			s.CreatedAt = fromMicro(v)
		case "l":
			s.LastSeenAt = fromMicro(v)
		case "a":
			s.AuthTime = fromMicro(v)
		case "e":
			s.ExpiresAt = fromMicro(v)
		case "x":
			s.RefreshExpiresAt = fromMicro(v)
		case "g":
			s.RefreshGen, _ = strconv.ParseInt(v, 10, 64)
		case "t":
			s.RotatedAt = fromMicro(v)
		case "i":
			s.IP = v
		case "ua":
			s.UserAgent = v
		case "h":
			s.RefreshHash = bytesOrNil(v)
		case "k":
			s.CookieHash = bytesOrNil(v)
		case "j":
			s.JKT = v
		}
	}
	return s, nil
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func bytesOrNil(v string) []byte {
	if v == "" {
		return nil
	}
	return []byte(v)
}

// decodeEnded reads a script's Ended entry {reason, session}; its
// revocation, appended before the script ran, is in revs by encoded id.
func decodeEnded(m rueidis.RedisMessage, revs map[string]store.Revocation, now, until time.Time) (store.Ended, error) {
	a, err := m.ToArray()
	if err != nil || len(a) != 2 {
		return store.Ended{}, fmt.Errorf("ended reply: %v", err)
	}
	reason, err := a[0].ToString()
	if err != nil {
		return store.Ended{}, err
	}
	sess, err := decodeSession(a[1])
	if err != nil {
		return store.Ended{}, err
	}
	r, ok := revs[encID(sess.ID)]
	if !ok {
		return store.Ended{}, fmt.Errorf("ended session %s without its revocation", sess.ID)
	}
	r.CreatedAt, r.Until = now, until
	return store.Ended{Session: sess, Reason: reason, Revocation: r}, nil
}

// decodeEndedList reads a list of Ended entries; never nil.
func decodeEndedList(ms []rueidis.RedisMessage, revs map[string]store.Revocation, now, until time.Time) ([]store.Ended, error) {
	out := make([]store.Ended, 0, len(ms))
	for _, m := range ms {
		e, err := decodeEnded(m, revs, now, until)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
