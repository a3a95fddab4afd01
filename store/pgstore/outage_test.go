package pgstore_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/pgstore"
)

// proxy forwards TCP connections from a local port to the test server, and
// can cut them all (the server "goes down"), stop answering (the server
// hangs, as under SIGSTOP) and come back on the same port. It stands in for
// the machine's shared server, which tests must not stop.
type proxy struct {
	t       *testing.T
	target  string
	addr    string
	mu      sync.Mutex
	ln      net.Listener
	conns   []net.Conn
	hanging bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			hanging := p.hanging
			p.mu.Unlock()
			if hanging {
				continue // accept and say nothing
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

// down closes the listener and every connection.
func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// up listens on the same port again.
func (p *proxy) up(hanging bool) {
	p.mu.Lock()
	p.hanging = hanging
	p.mu.Unlock()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// TestOutageFailsPromptlyAndRecovers: with the server gone, operations fail
// with ErrUnavailable within the connect timeout; with the server hanging,
// within the caller's deadline; when it is back, the pool recovers by
// itself.
func TestOutageFailsPromptlyAndRecovers(t *testing.T) {
	target, schema := testenv.PostgresSchema(t)
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	s, err := pgstore.Open(t.Context(), u.String(), pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	user := store.User{ID: "u1", Username: "outage", CreatedAt: time.Unix(1, 0)}
	if err := s.CreateUser(t.Context(), user); err != nil {
		t.Fatal(err)
	}
	check := func(what string, bound time.Duration, want error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		_, err := s.UserByID(ctx, "u1")
		if d := time.Since(start); d > bound {
			t.Errorf("%s: UserByID took %v, want at most %v", what, d, bound)
		}
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Fatalf("%s: UserByID: %v, want %v", what, err, want)
		}
		if want != nil && s.Ping(ctx) == nil {
			t.Errorf("%s: Ping succeeded", what)
		}
	}
	check("up", time.Second, nil)

	p.down()
	check("down", 3*time.Second, store.ErrUnavailable)
	p.up(false)
	check("back up", 3*time.Second, nil)

	p.down()
	p.up(true)
	check("hanging", 4*time.Second, store.ErrUnavailable)
	p.down()
	p.up(false)
	check("back from hanging", 3*time.Second, nil)
}

// TestOperationTimeout: with the server hanging and a caller that brings
// no deadline at all (a background context), every operation still ends
// with ErrUnavailable after Options.Timeout instead of waiting on the
// socket for as long as the kernel keeps it.
func TestOperationTimeout(t *testing.T) {
	target, schema := testenv.PostgresSchema(t)
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	const bound = 300 * time.Millisecond
	s, err := pgstore.Open(t.Context(), u.String(), pgstore.Options{Schema: schema, Timeout: bound})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p.down()
	p.up(true)
	defer p.down() // before Close: a hanging connection would hold it up
	done := make(chan error, 1)
	go func() {
		_, err := s.RotateRefresh(context.Background(), store.Rotate{SessionID: "s", Gen: 1, Now: time.Unix(1, 0)})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("RotateRefresh on a hanging server: %v, want ErrUnavailable", err)
		}
	case <-time.After(30 * time.Second): // a bound for a stuck test: without Timeout it never returns
		t.Fatal("RotateRefresh on a hanging server with no caller deadline did not return")
	}
}
