package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/webhook"
)

// TestWebhookReceivesSignedSessionEvents: with --webhook, a new-device login
// and a refresh-token reuse reach the receiver as signed JSON, off the
// request path.
func TestWebhookReceivesSignedSessionEvents(t *testing.T) {
	t.Parallel()
	const secret = "webhook-secret-0123456789"
	got := make(chan map[string]any, 16)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte(secret), r.Header.Get("Gatehouse-Signature"), body, time.Now(), 0); err != nil {
			t.Errorf("bad signature: %v", err)
		}
		var ev map[string]any
		json.Unmarshal(body, &ev)
		got <- ev
	}))
	defer recv.Close()
	e := start(t, func(c *config.Config) {
		c.Webhook, c.WebhookSecret = recv.URL, secret
		c.WebhookEvents = []string{"session.created", "refresh.reused"}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.app.Webhook.Run(ctx)
	_, p := e.user("hook")
	expect(t, e.refresh(p.Refresh), 200, "")
	e.clock.Add(11 * time.Second)
	expect(t, e.refresh(p.Refresh), 401, "refresh_token_reused")
	for _, want := range []string{"session.created", "refresh.reused"} {
		select {
		case ev := <-got:
			if ev["type"] != want || ev["session_id"] != p.Session {
				t.Fatalf("got %v, want %s of %s", ev, want, p.Session)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s delivered", want)
		}
	}
}
