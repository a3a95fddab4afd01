package pgstore

import (
	"context"
	"time"
)

// UseProof implements store.ProofReplay: one INSERT whose conflict clause
// takes over only an entry whose time has passed (not yet swept), so
// exactly one of any number of concurrent uses inserts or takes the row.
// One statement, no transaction: it is atomic by itself.
func (s *Store) UseProof(ctx context.Context, key string, until, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO dpop_proofs (key, until) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET until = EXCLUDED.until WHERE dpop_proofs.until <= $3`,
		key, micro(until), micro(now))
	if err != nil {
		return false, wrap("use proof", err)
	}
	return tag.RowsAffected() == 1, nil
}
