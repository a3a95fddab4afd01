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
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.proxies.trusted(a) {
			return a.Unmap().String()
		}
	}
	return host
}

func (s *Server) client(r *http.Request) authn.Client {
	return authn.Client{IP: s.clientIP(r), UserAgent: r.UserAgent()}
}
