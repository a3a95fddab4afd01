package sqlitestore

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// UserEvents returns this many events when asked for limit <= 0, and never
// more than maxEventLimit.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// AddEvents implements store.Events. An empty batch writes nothing; a batch
// is all or nothing.
func (s *Store) AddEvents(ctx context.Context, es []store.Event) error {
	if len(es) == 0 {
		return nil
	}
	details := make([]string, len(es))
	for i, e := range es {
		var err error
		if details[i], err = encodeDetail(e.Detail); err != nil {
			return wrap("add events", err)
		}
	}
	return s.write(ctx, "add events", func(tx *wtx) error {
		for i, e := range es {
			_, err := tx.ExecContext(ctx, `INSERT INTO events (`+eventCols+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.UserID, e.SessionID, e.Type, details[i],
				e.IP, e.UserAgent, micro(e.CreatedAt))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// The two UserEvents queries: from the newest, and from before an id.
const (
	userEventsQuery       = `SELECT ` + eventCols + ` FROM events WHERE user_id = ? ORDER BY id DESC LIMIT ?`
	userEventsBeforeQuery = `SELECT ` + eventCols + ` FROM events WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
)

// UserEvents implements store.Events, through the (user_id, id) index. A
// limit <= 0 means defaultEventLimit; larger limits are capped at
// maxEventLimit. An event without detail reads back with an empty, non-nil
// Detail.
func (s *Store) UserEvents(ctx context.Context, userID, before string, limit int) ([]store.Event, error) {
	if limit <= 0 {
		limit = defaultEventLimit
	}
	limit = min(limit, maxEventLimit)
	q, args := userEventsQuery, []any{userID, limit}
	if before != "" {
		q, args = userEventsBeforeQuery, []any{userID, before, limit}
	}
	rows, err := s.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("user events", err)
	}
	es, err := collect(rows, scanEvent)
	return es, wrap("user events", err)
}

// pruneBatch is how many events one PruneEvents transaction deletes, so that
// pruning a large backlog never holds the single writer for long.
const pruneBatch = 5000

// PruneEvents implements store.Events. It deletes in batches of pruneBatch,
// each its own transaction; on error it returns the count deleted so far.
func (s *Store) PruneEvents(ctx context.Context, t time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.write(ctx, "prune events", func(tx *wtx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE rowid IN
				(SELECT rowid FROM events WHERE created_at < ? LIMIT ?)`, micro(t), pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < pruneBatch {
			return total, nil
		}
	}
}
