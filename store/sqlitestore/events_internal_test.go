package sqlitestore

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// TestPruneEventsInBatches prunes an exact multiple of pruneBatch events, so
// that the last batch deletes nothing, and keeps the newer ones.
func TestPruneEventsInBatches(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "prune.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cut := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	old := 2 * pruneBatch
	es := make([]store.Event, 0, old+3)
	for i := range old + 3 {
		created := cut.Add(-time.Duration(old-i) * time.Second) // the last 3 at or after cut
		es = append(es, store.Event{ID: fmt.Sprintf("e%06d", i), UserID: "u1", Type: "t", CreatedAt: created})
	}
	if err := s.AddEvents(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneEvents(t.Context(), cut)
	if err != nil || n != old {
		t.Fatalf("PruneEvents = %d, %v; want %d", n, err, old)
	}
	left, err := s.UserEvents(t.Context(), "u1", "", 0)
	if err != nil || len(left) != 3 || left[2].ID != es[old].ID {
		t.Fatalf("after PruneEvents: %d events, %v; want the 3 newest", len(left), err)
	}
}
