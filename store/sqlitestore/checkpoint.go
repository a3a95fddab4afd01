package sqlitestore

import (
	"context"
	"database/sql"
	"time"
)

// SQLite's automatic checkpoint runs inside the commit that crosses the WAL
// threshold, so one request in every few hundred paid for copying the WAL
// into the database (6% of the refresh profile, and its tail). The writer
// runs with wal_autocheckpoint off and this loop checkpoints from its own
// connection instead: PASSIVE never blocks the writer or readers.
const checkpointEvery = 200 * time.Millisecond

func (s *Store) startCheckpointer(uri string) error {
	ck, err := sql.Open("sqlite", uri+checkpointParams)
	if err != nil {
		return err
	}
	ck.SetMaxOpenConns(1)
	s.ck = ck
	s.stopCk = make(chan struct{})
	s.ckDone = make(chan struct{})
	go func() {
		defer close(s.ckDone)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-s.stopCk:
				return
			case <-t.C:
				s.checkpoint(context.Background(), "PASSIVE")
			}
		}
	}()
	return nil
}

// checkpoint copies committed WAL frames into the database file. Errors
// (busy, closed) only mean the next tick tries again.
func (s *Store) checkpoint(ctx context.Context, mode string) {
	var busy, log, done int
	_ = s.ck.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &log, &done)
}

// stopCheckpointer ends the loop and truncates the WAL, so a closed
// database is one file.
func (s *Store) stopCheckpointer() error {
	if s.ck == nil {
		return nil
	}
	var err error
	s.ckOnce.Do(func() {
		close(s.stopCk)
		<-s.ckDone
		s.checkpoint(context.Background(), "TRUNCATE")
		err = s.ck.Close()
	})
	return err
}
