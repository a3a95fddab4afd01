package redisstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

// EndSessions implements store.Sessions in one script (lua/end.lua).
func (s *Store) EndSessions(ctx context.Context, userID string, ids []string, reason string, now, revokeUntil time.Time) ([]store.Ended, error) {
	args := append([]string{userID, reason, micro(now), micro(revokeUntil), "list"}, ids...)
	ended, err := s.end(ctx, "end sessions", userID, now, revokeUntil, args)
	if err == nil && len(ids) == 1 && len(ended) == 0 {
		err = wrap("end sessions", store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// EndUserSessions implements store.Sessions in one script (lua/end.lua).
func (s *Store) EndUserSessions(ctx context.Context, userID, keep, reason string, now, revokeUntil time.Time) ([]store.Ended, error) {
	return s.end(ctx, "end user sessions", userID, now, revokeUntil,
		[]string{userID, reason, micro(now), micro(revokeUntil), "all", keep})
}

func (s *Store) end(ctx context.Context, op, userID string, now, until time.Time, args []string) ([]store.Ended, error) {
	a, err := s.exec(ctx, scriptEnd, s.userKey(userID), args...).ToArray()
	if err != nil {
		return nil, wrap(op, err)
	}
	ended, err := decodeEndedList(a, now, until)
	if err != nil {
		return nil, wrap(op, err)
	}
	return ended, nil
}

// Revocations implements store.Sessions: the log's entries after afterID
// (entry ids are "<id>-0"), those still in force at now.
func (s *Store) Revocations(ctx context.Context, now time.Time, afterID int64) ([]store.Revocation, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	start := strconv.FormatInt(afterID+1, 10) + "-0"
	es, err := s.c.Do(ctx, s.c.B().Xrange().Key(s.p+"revlog").Start(start).End("+").Build()).AsXRange()
	if err != nil {
		return nil, wrap("revocations", err)
	}
	out := []store.Revocation{}
	for _, e := range es {
		r := decodeRevocation(e)
		if r.Until.After(now) {
			out = append(out, r)
		}
	}
	return out, nil
}

func decodeRevocation(e rueidis.XRangeEntry) store.Revocation {
	id, _, _ := strings.Cut(e.ID, "-")
	n, _ := strconv.ParseInt(id, 10, 64)
	return store.Revocation{
		ID: n, SessionID: e.FieldValues["s"], UserID: e.FieldValues["u"],
		NotBefore: fromMicro(e.FieldValues["nb"]), Until: fromMicro(e.FieldValues["un"]),
		CreatedAt: fromMicro(e.FieldValues["at"]),
	}
}

// AddRevocation implements store.Sessions.
func (s *Store) AddRevocation(ctx context.Context, r store.Revocation) (store.Revocation, error) {
	id, err := s.exec(ctx, scriptRevoke, s.p+"revlog", r.SessionID, r.UserID,
		micro(r.NotBefore), micro(r.Until), micro(r.CreatedAt)).AsInt64()
	if err != nil {
		return store.Revocation{}, wrap("add revocation", err)
	}
	r.ID = id
	return r, nil
}

// Sweep implements store.Sessions. Redis expires keys by itself (see
// doc.go); Sweep removes what the rules say is dead earlier (idle, refresh
// expiry) by scanning the session and challenge pointers in batches, and
// trims the revocation log. It counts sessions, challenges and
// revocations removed.
func (s *Store) Sweep(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	total := 0
	for _, w := range []struct{ what, match string }{{"sessions", "sid:*"}, {"challenges", "chal:*"}} {
		err := s.scan(ctx, w.match, func(keys []string) error {
			args := []string{w.what, micro(now), us(idle)}
			for _, k := range keys {
				args = append(args, strings.TrimPrefix(k, s.p+w.match[:len(w.match)-1]))
			}
			n, err := s.exec(ctx, scriptSweep, s.p+"revlog", args...).AsInt64()
			total += int(n)
			return err
		})
		if err != nil {
			return total, wrap("sweep", err)
		}
	}
	n, err := s.exec(ctx, scriptSweep, s.p+"revlog", "revocations", micro(now), us(idle)).AsInt64()
	return total + int(n), wrap("sweep", err)
}

// scan calls fn with each batch of keys matching the prefix and match.
func (s *Store) scan(ctx context.Context, match string, fn func([]string) error) error {
	var cursor uint64
	for {
		sctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
		e, err := s.c.Do(sctx, s.c.B().Scan().Cursor(cursor).Match(s.globMatch(match)).Count(1000).Build()).AsScanEntry()
		cancel()
		if err != nil {
			return err
		}
		if len(e.Elements) > 0 {
			if err := fn(e.Elements); err != nil {
				return err
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return nil
		}
	}
}

// CountSessions implements store.Sessions: the session pointers (one per
// session not yet expired by Redis), counted by SCAN — for metrics, not
// for the request path.
func (s *Store) CountSessions(ctx context.Context) (int, error) {
	n := 0
	err := s.scan(ctx, "sid:*", func(keys []string) error { n += len(keys); return nil })
	return n, wrap("count sessions", err)
}
