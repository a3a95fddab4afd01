package dpop

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var t0 = time.Unix(1893553445, 0)

const (
	testURL   = "https://auth.example.com/v1/me"
	testToken = "header.payload.signature"
)

func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustSigner(t testing.TB, alg string) *Signer {
	t.Helper()
	s, err := GenerateSigner(alg)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = clock(t0)
	return s
}

func mustSign(t testing.TB, s *Signer, htm, htu, ath, nonce string) string {
	t.Helper()
	p, err := s.Sign(htm, htu, ath, nonce)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRaw(t testing.TB, s *Signer, hdr, payload string) string {
	t.Helper()
	p, err := s.SignRaw([]byte(hdr), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newChecker(nonces *Nonces) *Checker {
	return New(Options{Now: clock(t0), Replay: NewMemoryReplay(0, clock(t0)), Nonce: nonces})
}

func resourceRequest(proof string) Request {
	return Request{Method: "GET", URL: testURL, AccessToken: testToken, Header: []string{proof}}
}

// payload builds claims JSON for the resource request with one member
// replaced or added.
func payload(extra string) string {
	base := `"jti":"id-1","htm":"GET","htu":"` + testURL + `","iat":1893553445,"ath":"` + AccessTokenHash(testToken) + `"`
	if extra == "" {
		return "{" + base + "}"
	}
	return "{" + base + "," + extra + "}"
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

type proofCase struct {
	name string
	req  Request
	want error // exact error; all wrap a sentinel
}

func hostileProofs(t *testing.T) []proofCase {
	ed := mustSigner(t, "EdDSA")
	es := mustSigner(t, "ES256")
	other := mustSigner(t, "EdDSA")
	good := mustSign(t, ed, "GET", testURL, AccessTokenHash(testToken), "")
	goodES := mustSign(t, es, "GET", testURL, AccessTokenHash(testToken), "")
	seg := strings.Split(good, ".")
	edHdr := string(ed.Header())
	edJWK := `{"kty":"OKP","crv":"Ed25519","x":"` + ed.JWK().X + `"}`
	hdr := func(h string) Request { return resourceRequest(mustRaw(t, ed, h, payload(""))) }
	claims := func(p string) Request { return resourceRequest(mustRaw(t, ed, edHdr, p)) }
	req := func(r Request, mod func(*Request)) Request { mod(&r); return r }
	// A valid proof with other claim values.
	at := func(htm, htu, ath string, iat time.Time) Request {
		s := *ed
		s.Now = clock(iat)
		return resourceRequest(mustSign(t, &s, htm, htu, ath, ""))
	}
	ath := AccessTokenHash(testToken)
	// An Ed25519 key whose private part is published in the header.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	withD := `{"kty":"OKP","crv":"Ed25519","x":"` + ed.JWK().X + `","d":"` + enc(string(priv.Seed())) + `"}`
	esSig := func(p string, sig []byte) string {
		return p[:strings.LastIndexByte(p, '.')+1] + base64.RawURLEncoding.EncodeToString(sig)
	}

	return []proofCase{
		// Header count and lexical shape.
		{"no DPoP header", req(resourceRequest(""), func(r *Request) { r.Header = nil }), ErrMissing},
		{"two DPoP headers", req(resourceRequest(good), func(r *Request) { r.Header = []string{good, good} }), errManyHeaders},
		{"two DPoP headers, one empty", req(resourceRequest(good), func(r *Request) { r.Header = []string{good, ""} }), errManyHeaders},
		{"empty proof", resourceRequest(""), errEmpty},
		{"oversize proof", claims(payload(`"pad":"` + strings.Repeat("x", MaxProofLength) + `"`)), errTooLong},
		{"four segments", resourceRequest(good + ".AAAA"), errSegments},
		{"two segments", resourceRequest(seg[0] + "." + seg[1]), errSegments},
		{"empty signature", resourceRequest(seg[0] + "." + seg[1] + "."), errSegments},
		{"comma-joined proofs", resourceRequest(good + "," + good), errCharset},
		{"padding", resourceRequest(good + "=="), errCharset},
		{"leading space", resourceRequest(" " + good), errCharset},
		{"non-canonical base64", resourceRequest(seg[0] + "." + seg[1] + "." + seg[2][:len(seg[2])-1] + "B"), errBase64},

		// Header.
		{"header not JSON", hdr(`typ=dpop+jwt`), errHeaderJSON},
		{"header duplicate alg", hdr(`{"typ":"dpop+jwt","alg":"HS256","alg":"EdDSA","jwk":` + edJWK + `}`), errHeaderJSON},
		{"header duplicate typ by escape", hdr(`{"typ":"dpop+jwt","t\u0079p":"dpop+jwt","alg":"EdDSA","jwk":` + edJWK + `}`), errHeaderJSON},
		{"header kid", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","kid":"k","jwk":` + edJWK + `}`), errHeaderField},
		{"header jku", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","jku":"https://evil/","jwk":` + edJWK + `}`), errHeaderField},
		{"header x5c", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","x5c":["AA"],"jwk":` + edJWK + `}`), errHeaderField},
		{"header crit", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","crit":["b64"],"jwk":` + edJWK + `}`), errHeaderField},
		{"header ALG in upper case", hdr(`{"typ":"dpop+jwt","ALG":"EdDSA","jwk":` + edJWK + `}`), errHeaderField},
		{"typ missing", hdr(`{"alg":"EdDSA","jwk":` + edJWK + `}`), errTyp},
		{"typ JWT", hdr(`{"typ":"JWT","alg":"EdDSA","jwk":` + edJWK + `}`), errTyp},
		{"typ at+jwt", hdr(`{"typ":"at+jwt","alg":"EdDSA","jwk":` + edJWK + `}`), errTyp},
		{"typ in upper case", hdr(`{"typ":"DPOP+JWT","alg":"EdDSA","jwk":` + edJWK + `}`), errTyp},
		{"alg none", hdr(`{"typ":"dpop+jwt","alg":"none","jwk":` + edJWK + `}`), errAlg},
		{"alg HS256", hdr(`{"typ":"dpop+jwt","alg":"HS256","jwk":` + edJWK + `}`), errAlg},
		{"alg Ed25519 with an EC key", resourceRequest(mustRaw(t, es, `{"typ":"dpop+jwt","alg":"Ed25519","jwk":{"kty":"EC","crv":"P-256","x":"`+es.JWK().X+`","y":"`+es.JWK().Y+`"}}`, payload(""))), errJWKKey},
		{"alg RS256", hdr(`{"typ":"dpop+jwt","alg":"RS256","jwk":` + edJWK + `}`), errAlg},
		{"alg ES384", hdr(`{"typ":"dpop+jwt","alg":"ES384","jwk":` + edJWK + `}`), errAlg},
		{"alg in lower case", hdr(`{"typ":"dpop+jwt","alg":"eddsa","jwk":` + edJWK + `}`), errAlg},
		{"alg missing", hdr(`{"typ":"dpop+jwt","jwk":` + edJWK + `}`), errAlg},
		{"jwk missing", hdr(`{"typ":"dpop+jwt","alg":"EdDSA"}`), errJWK},
		{"jwk as string", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","jwk":"` + ed.JWK().X + `"}`), errJWK},
		{"jwk with private member d", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","jwk":` + withD + `}`), errJWKPrivate},
		{"jwk symmetric k", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","jwk":{"kty":"oct","k":"c2VjcmV0"}}`), errJWKPrivate},
		{"jwk with key_ops", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"` + ed.JWK().X + `","key_ops":["verify"]}}`), errJWKField},
		{"jwk OKP under alg ES256", hdr(`{"typ":"dpop+jwt","alg":"ES256","jwk":` + edJWK + `}`), errJWKKey},
		{"jwk alg member disagrees", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"` + ed.JWK().X + `","alg":"ES256"}}`), errJWKKey},
		{"jwk x too short", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"` + ed.JWK().X[:40] + `"}}`), errJWKKey},
		{"jwk EC point not on the curve", resourceRequest(mustRaw(t, es, `{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"`+es.JWK().X+`","y":"`+es.JWK().X+`"}}`, payload(""))), errJWKKey},
		{"jwk x as number", hdr(`{"typ":"dpop+jwt","alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":1}}`), errJWKKey},

		// Signature.
		{"signed by another key than the jwk", resourceRequest(mustRaw(t, other, edHdr, payload(""))), errSignature},
		{"payload changed after signing", resourceRequest(seg[0] + "." + enc(payload(`"x":1`)) + "." + seg[2]), errSignature},
		{"ES256 signature of zeros", resourceRequest(esSig(goodES, make([]byte, 64))), errSignature},
		{"ES256 signature of the wrong length", resourceRequest(esSig(goodES, make([]byte, 63))), errSignature},

		// Claims JSON.
		{"claims not JSON", claims(`jti=1`), errClaimsJSON},
		{"claims array", claims(`["GET"]`), errClaimsJSON},
		{"duplicate htm", claims(payload(`"htm":"POST"`)), errClaimsJSON},
		{"HTM beside htm", claims(payload(`"HTM":"POST"`)), errClaimCase},
		{"jti missing", claims(`{"htm":"GET","htu":"` + testURL + `","iat":1893553445,"ath":"` + ath + `"}`), errClaimMiss},
		{"jti empty", claims(strings.Replace(payload(""), `"id-1"`, `""`, 1)), errClaimMiss},
		{"jti as number", claims(strings.Replace(payload(""), `"id-1"`, `1`, 1)), errClaimType},
		{"jti over 256 bytes", claims(strings.Replace(payload(""), `"id-1"`, `"`+strings.Repeat("j", 257)+`"`, 1)), errJTILength},
		{"iat missing", claims(strings.Replace(payload(""), `,"iat":1893553445`, ``, 1)), errClaimMiss},
		{"iat as string", claims(strings.Replace(payload(""), `1893553445`, `"1893553445"`, 1)), errClaimType},
		{"iat negative", claims(strings.Replace(payload(""), `1893553445`, `-1`, 1)), errIATDate},
		{"htu as array", claims(strings.Replace(payload(""), `"`+testURL+`"`, `["`+testURL+`"]`, 1)), errClaimType},

		// The request.
		{"htm POST for GET", at("POST", testURL, ath, t0), errHTM},
		{"htm in lower case", at("get", testURL, ath, t0), errHTM},
		{"htu of another host", at("GET", "https://evil.example.com/v1/me", ath, t0), errHTU},
		{"htu of another path", at("GET", "https://auth.example.com/v1/sessions", ath, t0), errHTU},
		{"htu with http scheme", at("GET", "http://auth.example.com/v1/me", ath, t0), errHTU},
		{"htu with another port", at("GET", "https://auth.example.com:8443/v1/me", ath, t0), errHTU},
		{"htu path with trailing slash", at("GET", testURL+"/", ath, t0), errHTU},
		{"htu with a query", at("GET", testURL+"?a=1", ath, t0), errHTUQuery},
		{"htu with a fragment", at("GET", testURL+"#x", ath, t0), errHTUQuery},
		{"htu relative", at("GET", "/v1/me", ath, t0), errHTUSyntax},
		{"htu with userinfo", at("GET", "https://user@auth.example.com/v1/me", ath, t0), errHTUUserinfo},
		{"iat 61 s in the future", at("GET", testURL, ath, t0.Add(61*time.Second)), errIATFuture},
		{"iat 61 s old", at("GET", testURL, ath, t0.Add(-61*time.Second)), errIATPast},

		// The token.
		{"ath missing with a token", at("GET", testURL, "", t0), errATHMissing},
		{"ath of another token", at("GET", testURL, AccessTokenHash(testToken+"x"), t0), errATH},
		{"ath without a token", req(at("GET", testURL, ath, t0), func(r *Request) { r.AccessToken = "" }), errATHPresent},
		{"ath as the token itself", at("GET", testURL, testToken, t0), errATH},
		{"key other than the bound one", req(resourceRequest(good), func(r *Request) { r.JKT = other.JKT() }), errKeyMismatch},
	}
}

func TestHostileProofsAreRefused(t *testing.T) {
	t.Parallel()
	for _, c := range hostileProofs(t) {
		t.Run(c.name, func(t *testing.T) {
			replay := NewMemoryReplay(0, clock(t0))
			ch := New(Options{Now: clock(t0), Replay: replay})
			p, err := ch.Check(context.Background(), c.req)
			if err != c.want {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if p != nil || !IsProofError(err) || Code(err) != "invalid_dpop_proof" {
				t.Fatalf("proof %v, IsProofError %v, code %q", p, IsProofError(err), Code(err))
			}
			if n := replay.Len(); n != 0 {
				t.Fatalf("a refused proof spent a jti (%d entries)", n)
			}
		})
	}
}

// The hostile table must not pass by accident: the same constructions with
// nothing wrong are accepted.
func TestValidProofsAreAccepted(t *testing.T) {
	t.Parallel()
	ed := mustSigner(t, "EdDSA")
	es := mustSigner(t, "ES256")
	edHdr := string(ed.Header())
	at := func(s *Signer, htm, htu string, iat time.Time) Request {
		c := *s
		c.Now = clock(iat)
		return Request{Method: htm, URL: testURL, AccessToken: testToken, Header: []string{mustSign(t, &c, htm, htu, AccessTokenHash(testToken), "")}}
	}
	cases := map[string]struct {
		req Request
		jkt string
	}{
		"EdDSA":                  {at(ed, "GET", testURL, t0), ed.JKT()},
		"ES256":                  {at(es, "GET", testURL, t0), es.JKT()},
		"bound to the proof key": {func() Request { r := at(ed, "GET", testURL, t0); r.JKT = ed.JKT(); return r }(), ed.JKT()},
		"iat 60 s in the future": {at(ed, "GET", testURL, t0.Add(60*time.Second)), ed.JKT()},
		"iat 60 s old":           {at(ed, "GET", testURL, t0.Add(-60*time.Second)), ed.JKT()},
		"htu normalised":         {at(ed, "GET", "HTTPS://Auth.Example.COM:443/v1/./%6De", t0), ed.JKT()},
		"unknown claims and whitespace": {resourceRequest(mustRaw(t, ed, " "+edHdr+" ",
			strings.ReplaceAll(payload(`"client":{"x":[1,true]}`), ",", " ,\n"))), ed.JKT()},
		"alg Ed25519 (RFC 9864's name for EdDSA)": {resourceRequest(mustRaw(t, ed, `{"typ":"dpop+jwt","alg":"Ed25519","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+ed.JWK().X+`","alg":"Ed25519"}}`, payload(""))), ed.JKT()},
		"jwk with kid, alg and use":               {resourceRequest(mustRaw(t, ed, `{"typ":"dpop+jwt","alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+ed.JWK().X+`","kid":"k1","alg":"EdDSA","use":"sig"}}`, payload(""))), ed.JKT()},
		"token endpoint without ath": {Request{Method: "POST", URL: "https://auth.example.com/v1/login",
			Header: []string{mustSign(t, ed, "POST", "https://auth.example.com/v1/login", "", "")}}, ed.JKT()},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := newChecker(nil).Check(context.Background(), c.req)
			if err != nil {
				t.Fatal(err)
			}
			if p.JKT != c.jkt || p.JTI == "" || p.HTM != c.req.Method {
				t.Fatalf("proof %+v, want jkt %s", p, c.jkt)
			}
		})
	}
}

// A proof refused for not matching the request has not spent its jti: the
// request it was made for still passes, once.
func TestRefusedProofStaysUsableOnce(t *testing.T) {
	t.Parallel()
	ed := mustSigner(t, "EdDSA")
	ch := newChecker(nil)
	r := resourceRequest(mustSign(t, ed, "GET", testURL, AccessTokenHash(testToken), ""))
	wrong := r
	wrong.Method = "DELETE"
	if _, err := ch.Check(context.Background(), wrong); err != errHTM {
		t.Fatalf("wrong method: %v", err)
	}
	if _, err := ch.Check(context.Background(), r); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := ch.Check(context.Background(), r); err != errReplayed || !errors.Is(err, ErrReplayed) {
		t.Fatalf("second use: %v", err)
	}
}

// Under concurrency exactly one use of a proof wins.
func TestReplayRaceExactlyOneWins(t *testing.T) {
	t.Parallel()
	ed := mustSigner(t, "EdDSA")
	ch := newChecker(nil)
	r := resourceRequest(mustSign(t, ed, "GET", testURL, AccessTokenHash(testToken), ""))
	var wins, replays atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := ch.Check(context.Background(), r)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, ErrReplayed):
				replays.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || replays.Load() != 15 {
		t.Fatalf("wins %d, replays %d", wins.Load(), replays.Load())
	}
}

func TestNonces(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	now := t0
	n := NewNonces(key, time.Minute, func() time.Time { return now })
	ch := New(Options{Now: func() time.Time { return now }, Replay: NewMemoryReplay(0, func() time.Time { return now }), Nonce: n})
	ed := mustSigner(t, "EdDSA")
	login := func(nonce string) error {
		s := *ed
		s.Now = func() time.Time { return now }
		_, err := ch.Check(context.Background(), Request{Method: "POST", URL: "https://a.example/v1/login",
			Header: []string{mustSign(t, &s, "POST", "https://a.example/v1/login", "", nonce)}})
		return err
	}
	if err := login(""); err != errNonceStale || Code(err) != "use_dpop_nonce" {
		t.Fatalf("no nonce: %v", err)
	}
	if err := login("not-the-nonce-at-all00"); err != errNonceStale {
		t.Fatalf("wrong nonce: %v", err)
	}
	cur := n.Current()
	if err := login(cur); err != nil {
		t.Fatalf("current nonce: %v", err)
	}
	now = now.Add(time.Minute)
	if n.Current() == cur {
		t.Fatal("nonce did not rotate")
	}
	if err := login(cur); err != nil {
		t.Fatalf("previous period's nonce: %v", err)
	}
	now = now.Add(time.Minute)
	if err := login(cur); err != errNonceStale {
		t.Fatalf("nonce two periods old: %v", err)
	}
	// Another node with the same key agrees; one with another key does not.
	same := NewNonces(key, time.Minute, func() time.Time { return now })
	otherKey := NewNonces([]byte("another key of thirty-two bytes!"), time.Minute, func() time.Time { return now })
	if !same.Valid(n.Current()) || otherKey.Valid(n.Current()) {
		t.Fatal("nonces are not derived from the key and time alone")
	}
}

func TestMemoryReplayBoundFailsClosed(t *testing.T) {
	t.Parallel()
	now := t0
	r := NewMemoryReplay(replayShards, func() time.Time { return now }) // one entry per shard
	ctx := context.Background()
	var full error
	used := 0
	for i := 0; i < 10*replayShards && full == nil; i++ {
		var ok bool
		ok, full = r.Use(ctx, string(rune('a'+i%26))+string(rune('a'+i/26)), "k", now.Add(time.Minute))
		if ok {
			used++
		}
	}
	if full != ErrReplayFull || used > replayShards {
		t.Fatalf("bound not enforced: %d used, err %v", used, full)
	}
	if IsProofError(full) {
		t.Fatal("a full cache is not the proof's fault")
	}
	// Once the entries' window has passed they make room again.
	now = now.Add(time.Minute)
	if ok, err := r.Use(ctx, "new", "k", now.Add(time.Minute)); !ok || err != nil {
		t.Fatalf("after expiry: %v %v", ok, err)
	}
	if r.Len() > replayShards {
		t.Fatalf("%d entries", r.Len())
	}
}

func TestMemoryReplayForgetsAfterUntil(t *testing.T) {
	t.Parallel()
	now := t0
	r := NewMemoryReplay(0, func() time.Time { return now })
	ctx := context.Background()
	if ok, _ := r.Use(ctx, "j", "k", t0.Add(time.Second)); !ok {
		t.Fatal("first use refused")
	}
	if ok, _ := r.Use(ctx, "j", "k", t0.Add(time.Second)); ok {
		t.Fatal("replay accepted")
	}
	if ok, _ := r.Use(ctx, "j", "other key", t0.Add(time.Second)); !ok {
		t.Fatal("the same jti of another key refused")
	}
	now = now.Add(time.Second)
	if ok, _ := r.Use(ctx, "j", "k", t0.Add(2*time.Second)); !ok {
		t.Fatal("jti refused after its window")
	}
}

// TestMemoryReplayMemoryFollowsTheWindow: entries whose window has passed
// are dropped as the cache goes, not only when it is full, so memory holds
// about one window of proofs rather than the bound.
func TestMemoryReplayMemoryFollowsTheWindow(t *testing.T) {
	t.Parallel()
	now := t0
	r := NewMemoryReplay(0, func() time.Time { return now })
	ctx := context.Background()
	use := func(prefix string) {
		for i := range 1000 {
			if ok, err := r.Use(ctx, prefix+strconv.Itoa(i), "k", now.Add(60*time.Second)); !ok || err != nil {
				t.Fatalf("first use of %s%d: %v %v", prefix, i, ok, err)
			}
		}
	}
	use("old")
	if n := r.Len(); n != 1000 {
		t.Fatalf("%d entries, want 1000", n)
	}
	now = now.Add(70 * time.Second)
	use("new")
	if n := r.Len(); n != 1000 {
		t.Fatalf("%d entries after the old window passed, want the 1000 new ones", n)
	}
}

func TestNormalizeHTU(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"https://a.example/x":                  "https://a.example/x",
		"HTTPS://A.Example/x":                  "https://a.example/x",
		"https://a.example:443/x":              "https://a.example/x",
		"http://a.example:80/x":                "http://a.example/x",
		"http://a.example:443/x":               "http://a.example:443/x",
		"https://a.example:/x":                 "https://a.example/x",
		"https://a.example:0443/x":             "https://a.example/x",
		"https://a.example":                    "https://a.example/",
		"https://a.example/%7euser/%2fa%2Fb":   "https://a.example/~user/%2Fa%2Fb",
		"https://a.example/%41%62":             "https://a.example/Ab",
		"https://a.example/a/./b/../c":         "https://a.example/a/c",
		"https://a.example/a/%2E%2E/c":         "https://a.example/c",
		"https://a.example/a//b/":              "https://a.example/a//b/",
		"https://a.example/a/X":                "https://a.example/a/X",
		"https://[::1]:8443/v1":                "https://[::1]:8443/v1",
		"https://[::1]:443/v1":                 "https://[::1]/v1",
		"https://127.0.0.1:8080/v1/verify":     "https://127.0.0.1:8080/v1/verify",
		"https://a.example/p;x=1/@:!$&'()*+,=": "https://a.example/p;x=1/@:!$&'()*+,=",
	}
	for in, want := range good {
		if got, err := NormalizeHTU(in); err != nil || got != want {
			t.Errorf("NormalizeHTU(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]error{
		"https://a.example/x?y":                            errHTUQuery,
		"https://a.example/x#y":                            errHTUQuery,
		"ftp://a.example/x":                                errHTUSyntax,
		"a.example/x":                                      errHTUSyntax,
		"https://u:p@a.example/x":                          errHTUUserinfo,
		"https:///x":                                       errHTUHost,
		"https://a example/x":                              errHTUHost,
		"https://a%2eexample/x":                            errHTUHost,
		"https://[::1/x":                                   errHTUHost,
		"https://a.example:99999/x":                        errHTUPort,
		"https://a.example:8o/x":                           errHTUPort,
		"https://a.example/a b":                            errHTUPath,
		"https://a.example/%zz":                            errHTUPath,
		"https://a.example/%4":                             errHTUPath,
		"https://a.example/é":                              errHTUPath,
		"https://a.example/\\":                             errHTUPath,
		"https://a.example/" + strings.Repeat("a", maxHTU): errHTUSyntax,
	}
	for in, want := range bad {
		if _, err := NormalizeHTU(in); err != want {
			t.Errorf("NormalizeHTU(%q) err = %v, want %v", in, err, want)
		}
	}
}

func TestChallenge(t *testing.T) {
	t.Parallel()
	if got := Challenge("invalid_dpop_proof"); got != `DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"` {
		t.Fatal(got)
	}
	if got := Challenge(""); got != `DPoP algs="ES256 EdDSA"` {
		t.Fatal(got)
	}
	if Code(errors.New("store down")) != "" || Code(ErrMissing) != "invalid_dpop_proof" || Code(errKeyMismatch) != "invalid_dpop_proof" {
		t.Fatal("Code maps errors wrongly")
	}
}

func TestSignerRefusesOtherKeys(t *testing.T) {
	t.Parallel()
	if _, err := NewSigner(&ecdsa.PrivateKey{}); err == nil {
		t.Fatal("P-less ECDSA key accepted")
	}
	if _, err := GenerateSigner("RS256"); err == nil {
		t.Fatal("RS256 signer made")
	}
}

func BenchmarkCheck(b *testing.B) {
	for _, alg := range []string{"EdDSA", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			s := mustSigner(b, alg)
			s.Now = time.Now
			proofs := make([]string, b.N)
			for i := range proofs {
				proofs[i] = mustSign(b, s, "GET", testURL, AccessTokenHash(testToken), "")
			}
			ch := New(Options{Replay: NewMemoryReplay(0, nil)})
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				if _, err := ch.Check(context.Background(), resourceRequest(proofs[i])); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user+system CPU time in ns: on a shared, loaded
// machine wall-clock ns/op mostly measures waiting for a core.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
