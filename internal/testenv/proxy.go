package testenv

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from a loopback port of its own to a
// target address. A failure test puts it between one client (a node, an
// HTTP client) and a server that others keep reaching directly, and cuts
// that one path: Cut closes every connection and stops listening (the
// server is gone for this client alone), Restore listens on the same port
// again. DropResponses makes it forward what the client sends and swallow
// what the server answers, closing the client's connection at the first
// byte of the answer: the request was served, the client never hears of
// it (a node that dies right after committing). Stall makes it accept and
// never answer (a hanging server).
type Proxy struct {
	// Addr is the proxy's host:port, to give the client instead of the
	// target's.
	Addr string

	t      testing.TB
	target string

	mu      sync.Mutex
	ln      net.Listener
	conns   []net.Conn
	drop    bool
	stalled bool
	dropped bytes.Buffer
}

// StartProxy listens on a free loopback port and forwards to target. It is
// cut when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), t: t, target: target}
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

func (p *Proxy) serve(ln net.Listener) {
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
			stalled := p.stalled
			if stalled {
				p.conns = append(p.conns, c)
			}
			p.mu.Unlock()
			if stalled {
				continue // accepted, and nothing will ever answer
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { p.back(c, s); c.Close() }()
		}
	}()
}

// back copies the server's answer to the client, or swallows it (and ends
// the client's connection) while responses are dropped.
func (p *Proxy) back(c, s net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			p.mu.Lock()
			drop := p.drop
			if drop {
				p.dropped.Write(buf[:n])
			}
			p.mu.Unlock()
			if drop {
				// Keep reading the rest of the answer, so it is all recorded,
				// but the client is told nothing.
				c.Close()
			} else if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Cut closes the listener and every connection through it.
func (p *Proxy) Cut() {
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

// Restore listens on the same port again after Cut.
func (p *Proxy) Restore() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// Stall makes the proxy accept new connections and never answer them (a
// server that hangs: a client's connect or first query waits for its own
// deadline); connections already open are not affected. Cut, then Stall,
// then Restore gives a hanging server.
func (p *Proxy) Stall(on bool) {
	p.mu.Lock()
	p.stalled = on
	p.mu.Unlock()
}

// DropResponses switches swallowing the server's answers on or off (for
// connections open now and later).
func (p *Proxy) DropResponses(on bool) {
	p.mu.Lock()
	p.drop = on
	p.mu.Unlock()
}

// Dropped is everything the proxy swallowed so far.
func (p *Proxy) Dropped() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.dropped.Bytes())
}
