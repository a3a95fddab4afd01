package authn

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/google/uuid"
)

// Recorder receives audit events (audit.Recorder); it must not block.
// Queued returns a user's events not yet in the store, so reading the trail
// shows them without forcing a write.
type Recorder interface {
	Record(store.Event)
	Queued(userID string) []store.Event
}

// Event types of the audit trail.
const (
	EvSessionCreated   = "session.created"
	EvSessionRefreshed = "session.refreshed"
	EvRefreshReused    = "refresh.reused"
	EvSessionEvicted   = "session.evicted"
	EvSessionRevoked   = "session.revoked"
	EvSessionExpired   = "session.expired"
	EvPasswordChanged  = "password.changed"
	EvSessionReauth    = "session.reauth"
	EvLoginFailed      = "login.failed"
	EvLoginLimited     = "login.session_limit"
	EvUserDeleted      = "user.deleted"
)

// Actors of a revocation.
const (
	ActorUser   = "user"
	ActorAdmin  = "admin"
	ActorSystem = "system"
)

func (s *Service) record(typ, userID, sessionID string, c Client, detail map[string]string) {
	if s.Audit == nil {
		return
	}
	id, err := uuid.NewV7()
	if err != nil {
		return
	}
	s.Audit.Record(store.Event{
		ID: id.String(), UserID: userID, SessionID: sessionID, Type: typ, Detail: detail,
		IP: c.IP, UserAgent: c.UserAgent, CreatedAt: s.Now().UTC(),
	})
}

// endedEvent names what ending a session for reason means in the trail:
// limit evictions are "evicted" with their policy, all else "revoked" with
// a scope and who did it.
func endedEvent(reason string) (typ string, detail map[string]string) {
	switch reason {
	case string(store.EvictOldest), string(store.EvictIdle):
		return EvSessionEvicted, map[string]string{"policy": reason, "actor": ActorSystem}
	case "admin", "password-reset":
		return EvSessionRevoked, map[string]string{"scope": reason, "actor": ActorAdmin}
	case "reuse":
		return EvSessionRevoked, map[string]string{"scope": reason, "actor": ActorSystem}
	default:
		return EvSessionRevoked, map[string]string{"scope": reason, "actor": ActorUser}
	}
}

// EventPage is a page of a user's audit trail, newest first.
type EventPage struct {
	Events []store.Event
	Next   string // pass as before for the next page; empty at the end
}

// UserEvents reads a user's trail (their own, or an admin's view). It only
// reads: events still queued for the store are merged in from the recorder
// rather than flushed, so a GET never writes.
func (s *Service) UserEvents(ctx context.Context, userID, before string, limit int) (EventPage, error) {
	if limit <= 0 || limit > 999 {
		limit = 100 // the store caps at 1000 and one more is read to know there is a next page
	}
	if len(before) > 64 {
		return EventPage{}, invalid("before", "is not an event id")
	}
	var queued []store.Event
	if s.Audit != nil {
		queued = s.Audit.Queued(userID) // before the store read: an event mid-write is then seen at least once
	}
	es, err := s.Store.UserEvents(ctx, userID, before, limit+1)
	if err != nil {
		return EventPage{}, storeErr(err)
	}
	es = mergeQueued(es, queued, before, limit+1)
	page := EventPage{Events: es}
	if len(es) > limit {
		page.Events = es[:limit]
		page.Next = es[limit-1].ID
	}
	return page, nil
}

// mergeQueued adds the queued events older than before (all if before is
// empty) to a stored page, drops those already stored, and keeps the newest
// n, newest first — the store's order, ids being time-ordered UUIDv7s.
func mergeQueued(stored, queued []store.Event, before string, n int) []store.Event {
	if len(queued) == 0 {
		return stored
	}
	seen := make(map[string]bool, len(stored))
	for _, e := range stored {
		seen[e.ID] = true
	}
	out := stored
	for _, e := range queued {
		if !seen[e.ID] && (before == "" || e.ID < before) {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b store.Event) int { return strings.Compare(b.ID, a.ID) })
	return out[:min(len(out), n)]
}

// AdminUserEvents is UserEvents for an admin: unknown users are ErrNotFound.
func (s *Service) AdminUserEvents(ctx context.Context, userID, before string, limit int) (EventPage, error) {
	if _, err := s.user(ctx, userID); err != nil {
		return EventPage{}, err
	}
	return s.UserEvents(ctx, userID, before, limit)
}

// PruneEvents deletes audit records older than the retention.
func (s *Service) PruneEvents(ctx context.Context, retention time.Duration) (int, error) {
	n, err := s.Store.PruneEvents(ctx, s.Now().Add(-retention))
	if err != nil && !errors.Is(err, context.Canceled) {
		return n, storeErr(err)
	}
	return n, nil
}
