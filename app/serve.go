package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Serve listens on the configured address and serves until ctx ends, then
// shuts down gracefully. ready, if not nil, receives the bound address.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	go a.Background(bg)
	if a.Config.AdminToken == "" {
		a.Log.Warn("admin API disabled: GATEHOUSE_ADMIN_TOKEN is not set, /v1/admin and /v1/introspect answer 403")
	}
	if a.Config.InsecureCookies {
		a.Log.Warn("--insecure-cookies: browser cookies are sent without Secure, over plain http; for development only (localhost needs no such flag)")
	}
	a.Log.Info("gatehouse listening", append([]any{"addr", "http://" + ln.Addr().String()}, a.Describe()...)...)
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
