package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

func openInternal(t *testing.T) *Store {
	t.Helper()
	url, schema := testenv.PostgresSchema(t)
	s, err := Open(t.Context(), url, Options{Schema: schema})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitForLockWait returns once the backend pid waits on a lock; it fails
// the test if finished reports that the backend's work ended first, or
// after 10 s.
func waitForLockWait(t *testing.T, s *Store, pid uint32, finished func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if finished() {
			t.Fatalf("a second writer took a revocation id and committed while the first was still open")
		}
		var waiting bool
		err := s.pool.QueryRow(t.Context(), `SELECT COALESCE(wait_event_type = 'Lock', false)
			FROM pg_stat_activity WHERE pid = $1`, int32(pid)).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		time.Sleep(time.Millisecond) // polling a server's state, not a clock
	}
	t.Fatalf("backend %d never waited for the revocation id lock: a second writer took an id while the first was still open", pid)
}

// TestRevocationIDsAreTakenInCommitOrder is the case a plain sequence gets
// wrong: writer 1 takes an id and stays open; writer 2 must not get a
// higher id and commit before it (a reader following the log would move
// its cursor past writer 1's id and never load it). With the counter row,
// writer 2 waits for writer 1's commit, then gets the next id.
func TestRevocationIDsAreTakenInCommitOrder(t *testing.T) {
	s := openInternal(t)
	ctx := t.Context()
	rev := func(user string) []store.Revocation {
		return []store.Revocation{{UserID: user, NotBefore: time.Unix(1, 0), Until: time.Now().Add(time.Hour), CreatedAt: time.Unix(1, 0)}}
	}

	tx1, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(context.Background())
	r1, err := insertRevocations(ctx, tx1, rev("first"))
	if err != nil {
		t.Fatal(err)
	}

	c2, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Release()
	type result struct {
		r   []store.Revocation
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := func() ([]store.Revocation, error) {
			tx2, err := c2.Begin(ctx)
			if err != nil {
				return nil, err
			}
			defer tx2.Rollback(context.Background())
			r, err := insertRevocations(ctx, tx2, rev("second"))
			if err != nil {
				return nil, err
			}
			return r, tx2.Commit(ctx)
		}()
		done <- result{r, err}
	}()
	waitForLockWait(t, s, c2.Conn().PgConn().PID(), func() bool { return len(done) > 0 })

	// Nothing is visible yet: neither writer has committed.
	if got, err := s.Revocations(ctx, time.Now(), 0); err != nil || len(got) != 0 {
		t.Fatalf("while writer 1 is open: Revocations = %+v, %v; want none", got, err)
	}
	if err := tx1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.r[0].ID != r1[0].ID+1 {
		t.Errorf("writer 2 got id %d, writer 1 %d; want the next one", res.r[0].ID, r1[0].ID)
	}
	got, err := s.Revocations(ctx, time.Now(), 0)
	if err != nil || len(got) != 2 || got[0].UserID != "first" || got[1].UserID != "second" {
		t.Fatalf("after both commits: Revocations = %+v, %v", got, err)
	}
}

// TestRolledBackIDsAreNeverVisible: an id taken by a writer that rolls
// back is taken again by the next one (the counter update rolled back too),
// which is fine — it was never visible — and ids never go back below one
// that committed.
func TestRolledBackIDsAreNeverVisible(t *testing.T) {
	s := openInternal(t)
	ctx := t.Context()
	a, err := s.AddRevocation(ctx, store.Revocation{UserID: "a", Until: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := insertRevocations(ctx, tx, []store.Revocation{{UserID: "gone", Until: time.Now().Add(time.Hour)}}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	b, err := s.AddRevocation(ctx, store.Revocation{UserID: "b", Until: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID <= a.ID {
		t.Errorf("ids went back: %d after %d", b.ID, a.ID)
	}
	got, _ := s.Revocations(ctx, time.Now(), 0)
	for _, r := range got {
		if r.UserID == "gone" {
			t.Errorf("a rolled-back revocation is visible: %+v", r)
		}
	}
}

var errRollback = errorString("roll back")

type errorString string

func (e errorString) Error() string { return string(e) }
