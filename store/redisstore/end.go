package redisstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

// EndSessions implements store.Sessions in one script (lua/end.lua), the
// revocations appended first (see ending).
func (s *Store) EndSessions(ctx context.Context, userID string, ids []string, reason string, now, revokeUntil time.Time) ([]store.Ended, error) {
	args := append([]string{encID(userID), reason, "list"}, encIDs(ids)...)
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
	k := ""
	if keep != "" {
		k = encID(keep)
	}
	return s.end(ctx, "end user sessions", userID, now, revokeUntil, []string{encID(userID), reason, "all", k})
}

func (s *Store) end(ctx context.Context, op, userID string, now, until time.Time, args []string) ([]store.Ended, error) {
	a, revs, err := s.ending(ctx, scriptEnd, userID, now, until, args)
	if err != nil {
		return nil, wrap(op, err)
	}
	ended, err := decodeEndedList(a[1:], revs, now, until)
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
	es, err := s.c.Do(ctx, s.c.B().Xrange().Key(s.logKeys()[0]).Start(start).End("+").Build()).AsXRange()
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
	ids, err := s.exec(ctx, scriptRevoke, s.logKeys(), nil, "add", micro(r.CreatedAt), micro(r.Until),
		r.SessionID, r.UserID, micro(r.NotBefore)).AsIntSlice()
	if err == nil && len(ids) != 1 {
		err = store.ErrUnavailable
	}
	if err != nil {
		return store.Revocation{}, wrap("add revocation", err)
	}
	r.ID = ids[0]
	return r, nil
}

// Sweep implements store.Sessions. Redis expires a user's key by itself
// once everything in it is dead (see doc.go); Sweep removes what the rules
// say is dead earlier (idle, refresh expiry, a dead session beside a live
// one) by scanning the users' keys on every primary and running
// lua/sweep.lua on each, pipelined, and trims the revocation log. It
// counts sessions, challenges and revocations removed.
func (s *Store) Sweep(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	total, err := s.eachUser(ctx, "sweep", micro(now), us(idle))
	if err != nil {
		return total, wrap("sweep", err)
	}
	if err := s.repair(ctx, now); err != nil {
		return total, wrap("sweep", err)
	}
	n, err := s.exec(ctx, scriptRevoke, s.logKeys(), nil, "trim", micro(now)).AsInt64()
	return total + int(n), wrap("sweep", err)
}

// repair finishes the ends a node began but did not complete: a session
// whose revocation Store.ending appended (still in force) but that still
// exists — the node died, or lost Redis, between the append and the
// script — is ended now under that revocation. Until then it was revoked
// but alive (closed: its access tokens are refused everywhere); without
// this it could be refreshed again once its revocation expires.
func (s *Store) repair(ctx context.Context, now time.Time) error {
	pending, err := s.exec(ctx, scriptRevoke, s.logKeys(), nil, "repair", micro(now)).AsStrSlice()
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(pending); i += 2 {
		sid, uid := encID(pending[i]), pending[i+1]
		err := s.exec(ctx, scriptEnd, []string{s.userKey(uid)}, []string{sid}, encID(uid), "revoked", "list", sid).Error()
		if err != nil {
			return err
		}
	}
	return nil
}

// CountSessions implements store.Sessions: the sessions in the users'
// keys, counted on every primary — for metrics, not for the request path.
func (s *Store) CountSessions(ctx context.Context) (int, error) {
	n, err := s.eachUser(ctx, "count", "0", "0")
	return n, wrap("count sessions", err)
}

// eachUser runs lua/sweep.lua's op on every user's key and sums the
// answers.
func (s *Store) eachUser(ctx context.Context, op string, args ...string) (int, error) {
	total := 0
	err := s.scan(ctx, "{u:*", func(keys []string) error {
		ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
		defer cancel()
		dl, _ := ctx.Deadline()
		dla := "dl:" + strconv.FormatInt(dl.Add(time.Duration(s.skew.Load())).UnixMicro(), 10)
		execs := make([]rueidis.LuaExec, len(keys))
		for i, k := range keys {
			execs[i] = rueidis.LuaExec{Keys: []string{k}, Args: append([]string{s.p, "0", op}, append(args, dla)...)}
		}
		for _, r := range scriptSweep.ExecMulti(ctx, s.c, execs...) {
			n, err := r.AsInt64()
			if err != nil {
				return err
			}
			total += int(n)
		}
		return nil
	})
	return total, err
}

// scan calls fn with each batch of keys matching the prefix and match, on
// every primary (a Cluster spreads the keys over several).
func (s *Store) scan(ctx context.Context, match string, fn func([]string) error) error {
	for _, n := range s.c.Nodes() {
		rctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
		role, err := n.Do(rctx, n.B().Role().Build()).ToArray()
		cancel()
		if err != nil {
			return err
		}
		if r, _ := role[0].ToString(); r != "master" {
			continue
		}
		var cursor uint64
		for {
			sctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
			e, err := n.Do(sctx, n.B().Scan().Cursor(cursor).Match(s.globMatch(match)).Count(1000).Build()).AsScanEntry()
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
				break
			}
		}
	}
	return nil
}
