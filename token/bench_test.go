package token

import (
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/revoke"
	"github.com/gatehouse/gatehouse/store"
)

// The Verify benchmarks run the full path, uncached: strict parse,
// signature, claims, and a real revocation set of 1000 entries as the
// Revoked callback. The VerifyCached ones present the same token again, as
// a resource server does: a cache hit (time rules and the revocation lookup
// still run). The Bare ones are golang-jwt's ParseWithClaims on the same
// token and key, the reference the uncached Verify must stay within 1.25x
// of.

func benchToken(b *testing.B, alg string) (*Key, string) {
	k := testKeys()[alg]
	now := time.Now()
	c := testClaims(now)
	c.ExpiresAt = now.Add(time.Hour)
	return k, mustMint(b, k, c)
}

func benchSet() *revoke.Set {
	set := revoke.New()
	until := time.Now().Add(time.Hour)
	for i := range 1000 {
		id := strconv.Itoa(i)
		if i%2 == 0 {
			set.Add(store.Revocation{ID: int64(i + 1), SessionID: "s-" + id, Until: until})
		} else {
			set.Add(store.Revocation{ID: int64(i + 1), UserID: "u-" + id, NotBefore: time.Now(), Until: until})
		}
	}
	return set
}

func benchVerify(b *testing.B, alg string) { benchVerifyCache(b, alg, -1) }

func benchVerifyCached(b *testing.B, alg string) { benchVerifyCache(b, alg, 0) }

func benchVerifyCache(b *testing.B, alg string, size int) {
	k, tok := benchToken(b, alg)
	v := NewVerifier(mapSource{k.ID: k}, Options{Issuer: testIss, Audience: testAud, Leeway: 30 * time.Second,
		Revoked: benchSet().Revoked, CacheSize: size})
	if _, err := v.Verify(tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func benchBare(b *testing.B, alg string) {
	k, tok := benchToken(b, alg)
	p := jwt.NewParser(jwt.WithValidMethods([]string{alg}))
	keyfunc := func(*jwt.Token) (any, error) { return k.Verify, nil }
	if _, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, keyfunc); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, keyfunc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyEdDSA(b *testing.B)       { benchVerify(b, AlgEdDSA) }
func BenchmarkVerifyCachedEdDSA(b *testing.B) { benchVerifyCached(b, AlgEdDSA) }
func BenchmarkVerifyCachedHS256(b *testing.B) { benchVerifyCached(b, AlgHS256) }

// BenchmarkVerifyCachedEdDSAParallel is the cache hit from every core at
// once (shard locks, revocation-set read lock).
func BenchmarkVerifyCachedEdDSAParallel(b *testing.B) {
	k, tok := benchToken(b, AlgEdDSA)
	v := NewVerifier(mapSource{k.ID: k}, Options{Issuer: testIss, Audience: testAud, Leeway: 30 * time.Second, Revoked: benchSet().Revoked})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
func BenchmarkVerifyHS256(b *testing.B)  { benchVerify(b, AlgHS256) }
func BenchmarkBareJWTEdDSA(b *testing.B) { benchBare(b, AlgEdDSA) }
func BenchmarkBareJWTHS256(b *testing.B) { benchBare(b, AlgHS256) }
func BenchmarkVerifyES256(b *testing.B)  { benchVerify(b, AlgES256) }
func BenchmarkVerifyRS256(b *testing.B)  { benchVerify(b, AlgRS256) }
func BenchmarkBareJWTES256(b *testing.B) { benchBare(b, AlgES256) }
func BenchmarkBareJWTRS256(b *testing.B) { benchBare(b, AlgRS256) }
func BenchmarkRejectForged(b *testing.B) {
	k, tok := benchToken(b, AlgEdDSA)
	tok = withSig(tok, make([]byte, 64))
	v := NewVerifier(mapSource{k.ID: k}, Options{Issuer: testIss, Audience: testAud})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok); err == nil {
			b.Fatal("forged token accepted")
		}
	}
}
