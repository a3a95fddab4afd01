package httpapi

import (
	"net/http"
	"testing"
)

// TestClientIPBehindTrustedProxy: X-Forwarded-For entries with a port or
// brackets are their address, so the clients of a proxy that writes them
// get their own rate-limit buckets instead of sharing the proxy's.
func TestClientIPBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	s := &Server{proxies: parseProxies([]string{"10.0.0.0/8", "2001:db8:ffff::/48"})}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer: header ignored", "192.0.2.7:1234", []string{"198.51.100.1"}, "192.0.2.7"},
		{"bare IPv4", "10.0.0.1:1234", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4 with port", "10.0.0.1:1234", []string{"198.51.100.1:5678"}, "198.51.100.1"},
		{"bare IPv6", "10.0.0.1:1234", []string{"2001:db8::1"}, "2001:db8::1"},
		{"bracketed IPv6 with port", "10.0.0.1:1234", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"bracketed IPv6", "10.0.0.1:1234", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"IPv4-mapped IPv6", "10.0.0.1:1234", []string{"[::ffff:198.51.100.1]:80"}, "198.51.100.1"},
		{"right-most untrusted wins", "10.0.0.1:1234", []string{"203.0.113.9, 198.51.100.1:5678, 10.0.0.2:80"}, "198.51.100.1"},
		{"chain of proxies with ports", "[2001:db8:ffff::1]:443", []string{"198.51.100.1:1", "[2001:db8:ffff::2]:8443"}, "198.51.100.1"},
		{"spoofed left-most entry is not used", "10.0.0.1:1234", []string{"1.1.1.1, [2001:db8::5]:9"}, "2001:db8::5"},
		{"garbage stops the walk", "10.0.0.1:1234", []string{"198.51.100.1, unknown"}, "10.0.0.1"},
		{"IPv4 in brackets is not an entry", "10.0.0.1:1234", []string{"[198.51.100.1]"}, "10.0.0.1"},
		{"port without brackets on IPv6 is not an entry", "10.0.0.1:1234", []string{"2001:db8::1:443:x"}, "10.0.0.1"},
		{"Unicode space is not white space", "10.0.0.1:1234", []string{"198.51.100.1\u00a0"}, "10.0.0.1"},
		{"only proxies", "10.0.0.1:1234", []string{"10.0.0.2:1"}, "10.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, _ := http.NewRequest("GET", "http://x/", nil)
			r.RemoteAddr = c.peer
			r.Header["X-Forwarded-For"] = c.xff
			if got := s.clientIP(r); got != c.want {
				t.Fatalf("clientIP = %s, want %s", got, c.want)
			}
		})
	}
}
