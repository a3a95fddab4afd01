package httpapi_test

import (
	"context"
	"testing"
)

// TestReadingTheTrailDoesNotWrite: GET /v1/me/events used to flush the
// audit queue into the store, so every read was a write transaction a user
// could repeat at will. It now reads only, and still shows the events not
// yet written, merged with the stored ones in one newest-first order across
// pages.
func TestReadingTheTrailDoesNotWrite(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	ctx := context.Background()
	uid, p := e.user("reader")
	if err := e.app.Audit.Flush(ctx); err != nil { // some events stored …
		t.Fatal(err)
	}
	e.login("reader", "correct horse battery") // … and some only queued
	e.login("reader", "correct horse battery")
	stored := func() int {
		t.Helper()
		es, err := e.app.Store.UserEvents(ctx, uid, "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	storedBefore, pendingBefore := stored(), e.app.Audit.Pending()
	if storedBefore == 0 || pendingBefore == 0 {
		t.Fatalf("setup: %d stored, %d queued", storedBefore, pendingBefore)
	}

	r := e.do("GET", "/v1/me/events", p.Access, nil)
	expect(t, r, 200, "")
	if n := stored(); n != storedBefore || e.app.Audit.Pending() != pendingBefore {
		t.Fatalf("GET /v1/me/events wrote: %d → %d stored, %d → %d queued", storedBefore, n, pendingBefore, e.app.Audit.Pending())
	}
	all := r.json(t)["events"].([]any)
	if len(all) != storedBefore+pendingBefore {
		t.Fatalf("%d events listed, want %d stored + %d queued: %s", len(all), storedBefore, pendingBefore, r.body)
	}

	// Paging one at a time crosses from queued to stored events and yields
	// the same sequence, without repeats.
	var paged []any
	before := ""
	for range len(all) + 1 {
		path := "/v1/me/events?limit=1"
		if before != "" {
			path += "&before=" + before
		}
		page := e.do("GET", path, p.Access, nil).json(t)
		paged = append(paged, page["events"].([]any)...)
		next, _ := page["next"].(string)
		if next == "" {
			break
		}
		before = next
	}
	if len(paged) != len(all) {
		t.Fatalf("paged %d events, listed %d", len(paged), len(all))
	}
	for i := range all {
		if eventID(all[i]) != eventID(paged[i]) || (i > 0 && eventID(all[i]) >= eventID(all[i-1])) {
			t.Fatalf("event %d: listed %s, paged %s (want strictly newest first)", i, eventID(all[i]), eventID(paged[i]))
		}
	}
	if n := stored(); n != storedBefore {
		t.Fatalf("paging wrote %d events", n-storedBefore)
	}
}

func eventID(ev any) string { return ev.(map[string]any)["id"].(string) }
