package pgstore

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

// UserEvents returns this many events when asked for limit <= 0, and never
// more than maxEventLimit.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// AddEvents implements store.Events: one INSERT of the whole batch, so a
// batch is all or nothing. An empty batch writes nothing.
func (s *Store) AddEvents(ctx context.Context, es []store.Event) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if len(es) == 0 {
		return nil
	}
	n := len(es)
	ids, users, sids, types, details := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ips, uas, created := make([]string, n), make([]string, n), make([]int64, n)
	for i, e := range es {
		d, err := encodeDetail(e.Detail)
		if err != nil {
			return wrap("add events", err)
		}
		ids[i], users[i], sids[i], types[i], details[i] = e.ID, e.UserID, e.SessionID, e.Type, d
		ips[i], uas[i], created[i] = e.IP, e.UserAgent, micro(e.CreatedAt)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO events (id, user_id, session_id, type, detail, ip, user_agent, created_at)
		SELECT i, u, s, t, d, ip, ua, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
			$5::text[], $6::text[], $7::text[], $8::bigint[]) AS x(i, u, s, t, d, ip, ua, c)`,
		ids, users, sids, types, details, ips, uas, created)
	return wrap("add events", err)
}

// UserEvents implements store.Events, through the (user_id, id) index. A
// limit <= 0 means defaultEventLimit; larger limits are capped at
// maxEventLimit.
func (s *Store) UserEvents(ctx context.Context, userID, before string, limit int) ([]store.Event, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if limit <= 0 {
		limit = defaultEventLimit
	}
	limit = min(limit, maxEventLimit)
	var (
		rows pgx.Rows
		err  error
	)
	if before == "" {
		rows, err = s.pool.Query(ctx, `SELECT `+eventCols+` FROM events WHERE user_id = $1
			ORDER BY id DESC LIMIT $2`, userID, limit)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+eventCols+` FROM events WHERE user_id = $1 AND id < $2
			ORDER BY id DESC LIMIT $3`, userID, before, limit)
	}
	if err != nil {
		return nil, wrap("user events", err)
	}
	es, err := collect(rows, scanEvent)
	return es, wrap("user events", err)
}

// pruneBatch is how many events one PruneEvents statement deletes, so that
// pruning a large backlog never holds many row locks for long.
const pruneBatch = 5000

// PruneEvents implements store.Events. It deletes in batches of pruneBatch;
// on error it returns the count deleted so far.
func (s *Store) PruneEvents(ctx context.Context, t time.Time) (int, error) {
	ctx, cancel := s.boundLong(ctx)
	defer cancel()
	total := 0
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM events WHERE id IN
			(SELECT id FROM events WHERE created_at < $1 LIMIT $2)`, micro(t), pruneBatch)
		if err != nil {
			return total, wrap("prune events", err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
