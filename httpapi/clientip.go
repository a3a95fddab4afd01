package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gatehouse/gatehouse/authn"
)

type proxyList struct{ prefixes []netip.Prefix }

func parseProxies(list []string) *proxyList {
	p := &proxyList{}
	for _, s := range list {
		if pfx, err := netip.ParsePrefix(s); err == nil {
			p.prefixes = append(p.prefixes, pfx.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			p.prefixes = append(p.prefixes, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return p
}

func (p *proxyList) trusted(a netip.Addr) bool {
	for _, pfx := range p.prefixes {
		if pfx.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// clientIP is the peer address, or, when the peer is a trusted proxy, the
// right-most address in X-Forwarded-For that is not a trusted proxy (the
// left-most entries are whatever the client claims).
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.proxies.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		if !s.proxies.trusted(a) {
			return a.Unmap().String()
		}
	}
	return host
}

// parseHop reads one X-Forwarded-For entry. Proxies write the bare address
// (1.2.3.4, 2001:db8::1), and some add the client's port (1.2.3.4:5678,
// [2001:db8::1]:443) or bracket IPv6 without one ([2001:db8::1]); each
// of these is that address, so the clients behind such a proxy are not all
// taken for the proxy itself. Only ASCII white space around the entry is
// optional white space; anything else stops the walk.
func parseHop(h string) (netip.Addr, bool) {
	h = strings.Trim(h, " \t")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.WithZone(""), true
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !a.Is6() {
			return netip.Addr{}, false
		}
		return a.WithZone(""), true
	}
	ap, err := netip.ParseAddrPort(h)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().WithZone(""), true
}

func (s *Server) client(r *http.Request) authn.Client {
	return authn.Client{IP: s.clientIP(r), UserAgent: r.UserAgent()}
}

// forwardedHTTPS reports whether a trusted proxy says the browser used
// https (X-Forwarded-Proto: https, one value). From anyone else the header
// is ignored.
func (s *Server) forwardedHTTPS(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.proxies.trusted(peer) {
		return false
	}
	v := r.Header.Values("X-Forwarded-Proto")
	return len(v) == 1 && strings.EqualFold(v[0], "https")
}

// Client is who is asking, as the API sees it (the address behind
// --trusted-proxies, the user agent): the HTML pages use it so both
// record sessions and count attempts alike.
func (s *Server) Client(r *http.Request) authn.Client { return s.client(r) }

// Self is the request's own origin as the API's CSRF rules see it (https
// when a trusted proxy says so), shared with the HTML pages.
func (s *Server) Self(r *http.Request) string { return s.self(r) }
