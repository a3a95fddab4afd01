package redisstore

import (
	"slices"
	"testing"
)

// TestClusterURLs: redis-cluster:// and rediss-cluster:// give rueidis'
// cluster client every seed node, the URL's user and password, TLS for
// rediss with each node's own name, and the key prefix; a /db or an empty
// host list is refused; redis:// stays a single client.
func TestClusterURLs(t *testing.T) {
	for _, tc := range []struct {
		url, prefix, user, pass string
		seeds                   []string
		cluster, tls            bool
	}{
		{url: "redis-cluster://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3", seeds: []string{"10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:6379"}, cluster: true},
		{url: "rediss-cluster://gh:s%2Fcret@a.example:7000,b.example:7000/?prefix=p1:", prefix: "p1:", user: "gh", pass: "s/cret",
			seeds: []string{"a.example:7000", "b.example:7000"}, cluster: true, tls: true},
		{url: "redis-cluster://h1:7000?prefix=x:", prefix: "x:", seeds: []string{"h1:7000"}, cluster: true},
		{url: "redis://u:p@h1:6380/2?prefix=y:", prefix: "y:", user: "u", pass: "p", seeds: []string{"h1:6380"}},
	} {
		co, prefix, cluster, err := clientOption(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if prefix != tc.prefix || cluster != tc.cluster || co.ForceSingleClient == tc.cluster ||
			co.Username != tc.user || co.Password != tc.pass || !slices.Equal(co.InitAddress, tc.seeds) ||
			(co.TLSConfig != nil) != tc.tls || !co.DisableCache {
			t.Errorf("%s: prefix %q cluster %v single %v user %q pass %q seeds %v tls %v",
				tc.url, prefix, cluster, co.ForceSingleClient, co.Username, co.Password, co.InitAddress, co.TLSConfig != nil)
		}
		if tc.tls && tc.cluster && co.TLSConfig.ServerName != "" {
			t.Errorf("%s: TLS server name %q pinned for every node", tc.url, co.TLSConfig.ServerName)
		}
	}
	for _, bad := range []string{"redis-cluster://h1:7000/1", "redis-cluster://", "redis-cluster://u:p@", "cluster://h1", "h1:6379"} {
		if _, _, _, err := clientOption(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
