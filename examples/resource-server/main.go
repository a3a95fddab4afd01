// Command resource-server is a tiny API that trusts Gatehouse without
// calling it per request: package verifier checks each access token with
// Gatehouse's published keys and follows its revocation feed, so a user
// who logs out on Gatehouse is refused here within milliseconds.
//
//	GATEHOUSE_URL=http://127.0.0.1:8080 GATEHOUSE_FEED_TOKEN=... \
//	  go run ./examples/resource-server -addr 127.0.0.1:9000
//	curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:9000/api/whoami
//
// Routes: GET /api/whoami (any signed-in user) answers the token's user,
// session and roles; GET /api/admin needs the admin role; GET /healthz.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/verifier"
)

// config is what the example needs to know about Gatehouse.
type config struct {
	Addr       string // where this API listens
	Gatehouse  string // Gatehouse's base URL
	Issuer     string // its --issuer (default: the base URL)
	Audience   string // its --audience
	FeedToken  string // its --feed-token
	StaleAfter time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.Addr, "addr", "127.0.0.1:9000", "listen address")
	flag.StringVar(&c.Gatehouse, "gatehouse", os.Getenv("GATEHOUSE_URL"), "Gatehouse base URL (GATEHOUSE_URL)")
	flag.StringVar(&c.Issuer, "issuer", os.Getenv("GATEHOUSE_ISSUER"), "Gatehouse's --issuer (default: the base URL)")
	flag.StringVar(&c.Audience, "audience", cmp.Or(os.Getenv("GATEHOUSE_AUDIENCE"), "gatehouse"), "Gatehouse's --audience")
	flag.StringVar(&c.FeedToken, "feed-token", os.Getenv("GATEHOUSE_FEED_TOKEN"), "Gatehouse's --feed-token (GATEHOUSE_FEED_TOKEN)")
	flag.DurationVar(&c.StaleAfter, "stale-after", 15*time.Minute, "Gatehouse's --access-ttl: refuse tokens when the feed is down longer")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c, func(addr string) { log.Printf("resource server on http://%s", addr) }); err != nil {
		log.Fatal(err)
	}
}

// run serves until ctx ends; ready receives the bound address.
func run(ctx context.Context, c config, ready func(addr string)) error {
	if c.Gatehouse == "" {
		return errors.New("set -gatehouse or GATEHOUSE_URL")
	}
	base := strings.TrimRight(c.Gatehouse, "/")
	v, err := verifier.New(ctx, verifier.Options{
		Issuer:     cmp.Or(c.Issuer, base),
		Audience:   c.Audience,
		JWKSURL:    base + "/.well-known/jwks.json",
		FeedURL:    base + "/v1/revocations",
		FeedToken:  c.FeedToken,
		StaleAfter: c.StaleAfter,
	})
	if err != nil {
		return err
	}
	defer v.Close()
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: routes(v), ReadHeaderTimeout: 10 * time.Second}
	ready(ln.Addr().String())
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func routes(v *verifier.Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/whoami", v.Middleware(http.HandlerFunc(whoami)))
	mux.Handle("GET /api/admin", v.Middleware(v.RequireRole("admin")(http.HandlerFunc(whoami))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if stale, down := v.Stale(); stale {
			http.Error(w, "revocation feed down for "+down.String(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

func whoami(w http.ResponseWriter, r *http.Request) {
	c, _ := verifier.ClaimsFrom(r.Context())
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"user_id": c.Subject, "username": c.Username, "session_id": c.SessionID, "roles": c.Roles,
	})
}
