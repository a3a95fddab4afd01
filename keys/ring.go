package keys

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// Ring is an immutable snapshot of the usable keys. It implements
// token.KeySource.
type Ring struct {
	keys   map[string]*token.Key
	signer *token.Key
	// next takes over from signer at nextAt. The ring switches by itself,
	// so every node changes signer at the scheduled instant rather than at
	// its next reload.
	next   *token.Key
	nextAt time.Time
	now    func() time.Time
	jwks   []byte
}

var emptyJWKS = []byte(`{"keys":[]}`)

func newRing(p plan, now func() time.Time) *Ring {
	r := &Ring{keys: make(map[string]*token.Key, len(p.live)), now: now, jwks: jwks(p.live)}
	for _, e := range p.live {
		r.keys[e.key.ID] = e.key
	}
	if p.signer != nil {
		r.signer = p.signer.key
	}
	if p.next != nil {
		r.next, r.nextAt = p.next.key, p.next.meta.SignFrom
	}
	return r
}

// Lookup returns the published key named kid (pending and retired keys
// included: a token's key must verify for as long as the token may live).
func (r *Ring) Lookup(kid string) (*token.Key, bool) {
	k, ok := r.keys[kid]
	return k, ok
}

// Signer returns the key that signs now, nil if there is none.
func (r *Ring) Signer() *token.Key {
	if r.next != nil && !r.now().Before(r.nextAt) {
		return r.next
	}
	return r.signer
}

// JWKS returns {"keys":[...]}: the public JWK of every published key, with
// kid, alg and use "sig". HS256 secrets are never in it. The slice is
// shared; callers must not modify it.
func (r *Ring) JWKS() []byte {
	return r.jwks
}

// jwks marshals the public keys of es once per ring, newest first, so the
// handler serves bytes without work.
func jwks(es []*entry) []byte {
	sorted := append([]*entry(nil), es...)
	sort.Slice(sorted, func(i, j int) bool { return newer(sorted[i], sorted[j]) })
	set := struct {
		Keys []token.JWK `json:"keys"`
	}{Keys: []token.JWK{}}
	for _, e := range sorted {
		if e.key.Alg == token.AlgHS256 {
			continue
		}
		if j, err := token.PublicJWK(e.key); err == nil {
			set.Keys = append(set.Keys, j)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		return emptyJWKS
	}
	return b
}
