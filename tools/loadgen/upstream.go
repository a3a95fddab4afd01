package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// upstream is the resource server behind the gateway in the gateway-overhead
// measurement: 200 with a small fixed body for any path, nothing else, so a
// direct call to it and a call through Gatehouse's --proxy differ only by
// the gateway.
func upstream(args []string) error {
	fs := flag.NewFlagSet("upstream", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9091", "listen address (loopback only)")
	life := fs.Duration("d", 30*time.Minute, "stop after this long")
	fs.Parse(args)
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	if err := loopbackHost(host, *addr); err != nil {
		return err
	}
	body := []byte(`{"ok":true}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	return serveFor(*addr, h, *life, fmt.Sprintf("upstream: listening on %s for at most %s\n", *addr, *life))
}

// serveFor serves h on addr until SIGINT/SIGTERM or life has passed,
// after printing banner: the reference servers' common loop.
func serveFor(addr string, h http.Handler, life time.Duration, banner string) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, life)
	defer cancel()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprint(os.Stderr, banner)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
