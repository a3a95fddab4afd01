package keys

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keys/seal"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// memKeys is an in-memory store.Keys, enough for the schedule: the real
// backends run the store conformance suite.
type memKeys struct {
	mu                                    sync.Mutex
	keys                                  map[string]store.Key
	secrets                               map[string][]byte
	listErr, addErr, retireErr, deleteErr error
}

// fail sets the errors the next operations return.
func (s *memKeys) fail(list, add, retire, del error) {
	s.mu.Lock()
	s.listErr, s.addErr, s.retireErr, s.deleteErr = list, add, retire, del
	s.mu.Unlock()
}

func newMemKeys() *memKeys {
	return &memKeys{keys: map[string]store.Key{}, secrets: map[string][]byte{}}
}

func (s *memKeys) AddKey(_ context.Context, k store.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addErr != nil {
		return s.addErr
	}
	if _, ok := s.keys[k.ID]; ok {
		return fmt.Errorf("duplicate key %s", k.ID)
	}
	k.Private = bytes.Clone(k.Private)
	s.keys[k.ID] = k
	return nil
}

func (s *memKeys) ListKeys(context.Context) ([]store.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listErr != nil {
		return nil, s.listErr
	}
	out := make([]store.Key, 0, len(s.keys))
	for _, k := range s.keys {
		k.Private = bytes.Clone(k.Private)
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *memKeys) RetireKey(_ context.Context, id string, t, keepUntil time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retireErr != nil {
		return s.retireErr
	}
	k, ok := s.keys[id]
	if !ok {
		return store.ErrNotFound
	}
	if k.RetiredAt.IsZero() {
		k.RetiredAt = t
	}
	if keepUntil.After(k.KeepUntil) {
		k.KeepUntil = keepUntil
	}
	s.keys[id] = k
	return nil
}

func (s *memKeys) ReplaceKeyPrivate(_ context.Context, id string, old, new []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok || !bytes.Equal(k.Private, old) {
		return store.ErrNotFound
	}
	k.Private = bytes.Clone(new)
	s.keys[id] = k
	return nil
}

func (s *memKeys) ReplaceSecret(_ context.Context, name string, old, new []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.secrets[name]
	if !ok || !bytes.Equal(v, old) {
		return store.ErrNotFound
	}
	s.secrets[name] = bytes.Clone(new)
	return nil
}

func (s *memKeys) DeleteKey(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleteErr != nil {
		return s.deleteErr
	}
	if _, ok := s.keys[id]; !ok {
		return store.ErrNotFound
	}
	delete(s.keys, id)
	return nil
}

func (s *memKeys) Secret(_ context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.secrets[name]; ok {
		return bytes.Clone(v), nil
	}
	v, err := gen()
	if err != nil {
		return nil, err
	}
	s.secrets[name] = bytes.Clone(v)
	return v, nil
}

func (s *memKeys) get(id string) (store.Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	return k, ok
}

func (s *memKeys) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// clock is an injected clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

const (
	tokenLifetime = 15*time.Minute + 30*time.Second
	cacheLifetime = time.Hour
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testBox seals under a fixed master key; otherBox under another one.
var testBox, otherBox = mustBox(1), mustBox(2)

func mustBox(fill byte) *seal.Box {
	b, err := seal.New(bytes.Repeat([]byte{fill}, seal.MasterKeyLen))
	if err != nil {
		panic(err)
	}
	return b
}

func newTestManager(st store.Keys, clk *clock, alg string, rotateEvery time.Duration) *Manager {
	return NewManager(st, testBox, Config{Alg: alg, TokenLifetime: tokenLifetime, CacheLifetime: cacheLifetime,
		RotateEvery: rotateEvery, Now: clk.Now, Logger: quiet})
}

func mustInit(t *testing.T, m *Manager) {
	t.Helper()
	if err := m.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func mustReload(t *testing.T, m *Manager) {
	t.Helper()
	if err := m.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// mint signs a token with the manager's current signer, issued at now.
func mint(t *testing.T, m *Manager, now time.Time) string {
	t.Helper()
	s := m.Ring().Signer()
	if s == nil {
		t.Fatal("no signer")
	}
	tok, err := token.Mint(s, &token.Claims{Issuer: "iss", Subject: "u", Audience: "aud", ID: "j", SessionID: "s",
		IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func verify(src token.KeySource, tok string, now time.Time) error {
	_, err := token.NewVerifier(src, token.Options{Issuer: "iss", Audience: "aud", Leeway: 30 * time.Second,
		Now: func() time.Time { return now }}).Verify(tok)
	return err
}

// published lists the kids in a JWKS document, checking its shape.
func published(t *testing.T, doc []byte) []string {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil || set.Keys == nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	var kids []string
	for _, k := range set.Keys {
		if k["kid"] == "" || k["alg"] == "" || k["use"] != "sig" || k["kty"] == "oct" || k["k"] != "" || k["d"] != "" {
			t.Fatalf("bad JWK %v", k)
		}
		kids = append(kids, k["kid"])
	}
	return kids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var algs = []string{token.AlgEdDSA, token.AlgES256, token.AlgRS256, token.AlgHS256}

func TestGenerateEveryAlgorithm(t *testing.T) {
	t.Parallel()
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			sk, err := Generate(alg, t0)
			if err != nil {
				t.Fatal(err)
			}
			if sk.Alg != alg || !sk.SignFrom.Equal(t0) || !sk.CreatedAt.Equal(t0) || !sk.RetiredAt.IsZero() {
				t.Fatalf("metadata %+v", sk)
			}
			k, err := Load(sk)
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != sk.ID || k.Alg != alg || k.Method != token.MethodFor(alg) {
				t.Fatalf("loaded %+v", k)
			}
			checkMaterial(t, sk)
			checkKid(t, sk, k)
			tok, err := token.Mint(k, &token.Claims{Issuer: "iss", Subject: "u", Audience: "aud", ID: "j", SessionID: "s", IssuedAt: t0, ExpiresAt: t0.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if err := verify(mapSource{k.ID: k}, tok, t0); err != nil {
				t.Fatal(err)
			}
			if other, _ := Generate(alg, t0); other.ID == sk.ID {
				t.Fatal("two generated keys share a kid")
			}
		})
	}
	if _, err := Generate("HS512", t0); err == nil {
		t.Fatal("generated an unsupported algorithm")
	}
}

type mapSource map[string]*token.Key

func (m mapSource) Lookup(kid string) (*token.Key, bool) { k, ok := m[kid]; return k, ok }

func checkMaterial(t *testing.T, sk store.Key) {
	t.Helper()
	if sk.Alg == token.AlgHS256 {
		if len(sk.Private) != 32 {
			t.Fatalf("HS256 secret of %d bytes", len(sk.Private))
		}
		return
	}
	priv, err := x509.ParsePKCS8PrivateKey(sk.Private)
	if err != nil {
		t.Fatalf("Private is not PKCS#8: %v", err)
	}
	switch p := priv.(type) {
	case ed25519.PrivateKey:
	case *ecdsa.PrivateKey:
		if p.Curve != elliptic.P256() {
			t.Fatal("not P-256")
		}
	case *rsa.PrivateKey:
		if p.N.BitLen() != 2048 {
			t.Fatalf("RSA-%d", p.N.BitLen())
		}
	default:
		t.Fatalf("%T", priv)
	}
}

func checkKid(t *testing.T, sk store.Key, k *token.Key) {
	t.Helper()
	if sk.Alg == token.AlgHS256 {
		if len(sk.ID) != 22 || strings.Contains(sk.ID, base64.RawURLEncoding.EncodeToString(sk.Private)[:8]) {
			t.Fatalf("HS256 kid %q", sk.ID)
		}
		return
	}
	j, err := token.PublicJWK(k)
	if err != nil {
		t.Fatal(err)
	}
	if tp, _ := token.Thumbprint(j); tp != sk.ID {
		t.Fatalf("kid %q, thumbprint %q", sk.ID, tp)
	}
}

// RFC 7638 §3.1: the example RSA key's thumbprint.
func TestKidIsRFC7638Thumbprint(t *testing.T) {
	t.Parallel()
	n, _ := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	k := &token.Key{Alg: token.AlgRS256, Verify: &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}}
	kid, err := kidOf(k)
	if err != nil || kid != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" || k.ID != kid {
		t.Fatalf("kid = %q, %v", kid, err)
	}
}

func TestHS256KidIsLabelledHashOfSecret(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{7}, 32)
	k := &token.Key{Alg: token.AlgHS256, Verify: secret}
	kid, _ := kidOf(k)
	again, _ := kidOf(&token.Key{Alg: token.AlgHS256, Verify: bytes.Clone(secret)})
	other, _ := kidOf(&token.Key{Alg: token.AlgHS256, Verify: bytes.Repeat([]byte{8}, 32)})
	if kid != again || kid == other || len(kid) != 22 {
		t.Fatalf("kids %q %q %q", kid, again, other)
	}
}

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	ed, _ := Generate(token.AlgEdDSA, t0)
	hs, _ := Generate(token.AlgHS256, t0)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384der, _ := x509.MarshalPKCS8PrivateKey(p384)
	mod := func(k store.Key, f func(*store.Key)) store.Key { f(&k); return k }
	for name, k := range map[string]store.Key{
		"kid of another key":    mod(ed, func(k *store.Key) { k.ID = hs.ID }),
		"EdDSA stored as ES256": mod(ed, func(k *store.Key) { k.Alg = token.AlgES256 }),
		"EdDSA stored as HS256": mod(ed, func(k *store.Key) { k.Alg = token.AlgHS256 }),
		"corrupt DER":           mod(ed, func(k *store.Key) { k.Private = k.Private[:10] }),
		"unsupported alg":       mod(ed, func(k *store.Key) { k.Alg = "PS256" }),
		"short HS256 secret":    mod(hs, func(k *store.Key) { k.Private = k.Private[:16] }),
		"P-384 key as ES256":    {ID: "x", Alg: token.AlgES256, Private: p384der},
	} {
		if _, err := Load(k); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

func TestInitGeneratesOneSigner(t *testing.T) {
	t.Parallel()
	for _, alg := range algs {
		st, clk := newMemKeys(), &clock{t: t0}
		m := newTestManager(st, clk, alg, 0)
		if m.Ring().Signer() != nil || m.Ring().JWKS() == nil {
			t.Fatal("ring before Init")
		}
		mustInit(t, m)
		s := m.Ring().Signer()
		if s == nil || s.Alg != alg || st.count() != 1 {
			t.Fatalf("%s: signer %+v, %d keys", alg, s, st.count())
		}
		if k, ok := m.Lookup(s.ID); !ok || k != s {
			t.Fatal("signer not found by kid")
		}
		kids := published(t, m.Ring().JWKS())
		if alg == token.AlgHS256 && len(kids) != 0 || alg != token.AlgHS256 && !contains(kids, s.ID) {
			t.Fatalf("%s: JWKS %v", alg, kids)
		}
		// A second node (or a restart) reuses the stored key.
		mustInit(t, newTestManager(st, clk, alg, 0))
		if st.count() != 1 {
			t.Fatal("second Init generated another key")
		}
	}
}

func TestInitRefusesBadConfig(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	for _, c := range []Config{
		{Alg: "none", TokenLifetime: time.Minute},
		{Alg: token.AlgEdDSA},
		{Alg: token.AlgEdDSA, TokenLifetime: time.Minute, RotateEvery: -1},
		{Alg: token.AlgEdDSA, TokenLifetime: time.Minute, Role: Reader + 1},
	} {
		c.Now = clk.Now
		if err := NewManager(newMemKeys(), testBox, c).Init(context.Background()); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	ok := Config{Alg: token.AlgEdDSA, TokenLifetime: time.Minute, Now: clk.Now}
	if err := NewManager(newMemKeys(), nil, ok).Init(context.Background()); !errors.Is(err, errConfig) {
		t.Errorf("no seal.Box: %v", err)
	}
}

func TestJWKSNeverContainsHS256(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	ed := newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, ed)
	edKid := ed.Ring().Signer().ID
	clk.Set(t0.Add(time.Hour))
	hs := newTestManager(st, clk, token.AlgHS256, 0)
	mustInit(t, hs)
	secret := hs.Ring().Signer().Sign.([]byte)
	doc := hs.Ring().JWKS()
	kids := published(t, doc)
	if len(kids) != 1 || kids[0] != edKid {
		t.Fatalf("JWKS kids %v", kids)
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if bytes.Contains(doc, []byte(enc.EncodeToString(secret)[:16])) {
			t.Fatal("JWKS contains the HS256 secret")
		}
	}
	if bytes.Contains(doc, []byte(hs.Ring().Signer().ID)) || bytes.Contains(doc, []byte("oct")) {
		t.Fatal("JWKS mentions the HS256 key")
	}
}

func TestRotateAtOnceRetiresOldKeyAfterTokenLifetime(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	m := newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, m)
	old := m.Ring().Signer().ID
	t1 := t0.Add(time.Hour)
	clk.Set(t1)
	before := mint(t, m, t1)

	nk, err := m.Rotate(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if nk.Private != nil || !nk.SignFrom.Equal(t1) {
		t.Fatalf("Rotate returned %+v", nk)
	}
	if s := m.Ring().Signer(); s.ID != nk.ID {
		t.Fatalf("signer %s after rotation, want %s", s.ID, nk.ID)
	}
	if k, _ := st.get(old); !k.RetiredAt.Equal(t1) {
		t.Fatalf("old key RetiredAt %v, want %v", k.RetiredAt, t1)
	}
	// Tokens minted before the rotation still verify, until they expire.
	if err := verify(m, before, t1.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if kids := published(t, m.Ring().JWKS()); !contains(kids, old) || !contains(kids, nk.ID) {
		t.Fatalf("JWKS %v", kids)
	}
	// At TokenLifetime the last token of the old key is alive (exp plus
	// leeway), so the key is still published.
	clk.Set(t1.Add(tokenLifetime))
	mustReload(t, m)
	if err := verify(m, before, t1.Add(tokenLifetime)); err != nil {
		t.Fatalf("retired key dropped before its tokens died: %v", err)
	}
	// Then gone from the ring, the JWKS and the store.
	clk.Set(t1.Add(tokenLifetime + time.Second))
	mustReload(t, m)
	if _, ok := m.Lookup(old); ok || contains(published(t, m.Ring().JWKS()), old) {
		t.Fatal("dead key still published")
	}
	if _, ok := st.get(old); ok {
		t.Fatal("dead key still stored")
	}
}

func TestRotateWithPrepublish(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	m := newTestManager(st, clk, token.AlgES256, 0)
	mustInit(t, m)
	old := m.Ring().Signer().ID
	nk, err := m.Rotate(context.Background(), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// Published at once, but the old key still signs.
	if s := m.Ring().Signer(); s.ID != old {
		t.Fatalf("signer switched early to %s", s.ID)
	}
	if !contains(published(t, m.Ring().JWKS()), nk.ID) {
		t.Fatal("prepublished key not in JWKS")
	}
	if _, ok := m.Lookup(nk.ID); !ok {
		t.Fatal("prepublished key not found")
	}
	// At SignFrom the ring switches by itself, without a reload.
	clk.Set(nk.SignFrom.Add(-time.Nanosecond))
	if m.Ring().Signer().ID != old {
		t.Fatal("switched before SignFrom")
	}
	clk.Set(nk.SignFrom)
	if m.Ring().Signer().ID != nk.ID {
		t.Fatal("did not switch at SignFrom")
	}
	// The next reload records when the old key stopped.
	clk.Set(nk.SignFrom.Add(time.Minute))
	mustReload(t, m)
	if k, _ := st.get(old); !k.RetiredAt.Equal(nk.SignFrom) {
		t.Fatalf("old RetiredAt %v, want %v", k.RetiredAt, nk.SignFrom)
	}
	if m.Ring().Signer().ID != nk.ID {
		t.Fatal("signer after reload")
	}
}

func TestTokensSurviveRotationOnAnotherNode(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	node := newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, node)
	tok := mint(t, node, t0)
	// The CLI, another process on the same store, rotates with prepublish.
	cli := newTestManager(st, clk, token.AlgEdDSA, 0)
	nk, err := cli.Rotate(context.Background(), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := node.Lookup(nk.ID); ok {
		t.Fatal("node knew the key before reloading")
	}
	mustReload(t, node)
	if _, ok := node.Lookup(nk.ID); !ok {
		t.Fatal("node did not pick up the CLI's key")
	}
	clk.Set(nk.SignFrom)
	fresh := mint(t, node, nk.SignFrom)
	if node.Ring().Signer().ID != nk.ID {
		t.Fatal("node did not switch")
	}
	for _, tk := range []string{tok, fresh} {
		if err := verify(node, tk, nk.SignFrom); err != nil {
			t.Fatal(err)
		}
		if err := verify(cli, tk, nk.SignFrom); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAutoRotationSchedule(t *testing.T) {
	t.Parallel()
	const every = 24 * time.Hour
	st, clk := newMemKeys(), &clock{t: t0}
	m := newTestManager(st, clk, token.AlgEdDSA, every)
	mustInit(t, m)
	a := m.Ring().Signer().ID

	at := func(d time.Duration) { clk.Set(t0.Add(d)); mustReload(t, m) }
	at(every - cacheLifetime - time.Second)
	if st.count() != 1 {
		t.Fatal("rotated too early")
	}
	at(every - cacheLifetime)
	if st.count() != 2 {
		t.Fatalf("%d keys: no prepublished key", st.count())
	}
	b := m.Ring().next
	if b == nil || !m.Ring().nextAt.Equal(t0.Add(every)) || m.Ring().Signer().ID != a {
		t.Fatalf("next %v at %v", b, m.Ring().nextAt)
	}
	if !contains(published(t, m.Ring().JWKS()), b.ID) {
		t.Fatal("pending key not published")
	}
	at(every - time.Minute)
	if st.count() != 2 {
		t.Fatal("prepublished a second key while one is pending")
	}
	at(every)
	if m.Ring().Signer().ID != b.ID {
		t.Fatal("did not switch at SignFrom")
	}
	if k, _ := st.get(a); !k.RetiredAt.Equal(t0.Add(every)) {
		t.Fatalf("A retired at %v", k.RetiredAt)
	}
	at(every + tokenLifetime + time.Second)
	if _, ok := st.get(a); ok || st.count() != 1 {
		t.Fatalf("A not deleted: %d keys", st.count())
	}
	at(2*every - cacheLifetime)
	if c := m.Ring().next; c == nil || !m.Ring().nextAt.Equal(t0.Add(2*every)) {
		t.Fatal("second rotation not scheduled")
	}
}

// A node that was down past the rotation time still publishes the new key
// for CacheLifetime before it signs.
func TestLateAutoRotationStillPrepublishes(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	m := newTestManager(st, clk, token.AlgEdDSA, 24*time.Hour)
	mustInit(t, m)
	a := m.Ring().Signer().ID
	clk.Set(t0.Add(30 * time.Hour))
	mustReload(t, m)
	if m.Ring().Signer().ID != a || !m.Ring().nextAt.Equal(t0.Add(31*time.Hour)) {
		t.Fatalf("signer %s, next at %v", m.Ring().Signer().ID, m.Ring().nextAt)
	}
}

func TestAlgorithmSwitch(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	ed := newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, ed)
	edKid := ed.Ring().Signer().ID
	tok := mint(t, ed, t0)

	// The operator restarts with --signing-alg ES256.
	t1 := t0.Add(5 * time.Minute)
	clk.Set(t1)
	es := newTestManager(st, clk, token.AlgES256, 0)
	mustInit(t, es)
	if s := es.Ring().Signer(); s.Alg != token.AlgES256 {
		t.Fatalf("signer %s", s.Alg)
	}
	if err := verify(es, tok, t1); err != nil {
		t.Fatalf("EdDSA token after the switch: %v", err)
	}
	if kids := published(t, es.Ring().JWKS()); len(kids) != 2 || !contains(kids, edKid) {
		t.Fatalf("JWKS %v", kids)
	}
	if k, _ := st.get(edKid); !k.RetiredAt.Equal(t1) {
		t.Fatalf("EdDSA key RetiredAt %v", k.RetiredAt)
	}
	clk.Set(t1.Add(tokenLifetime + time.Second))
	mustReload(t, es)
	if _, ok := st.get(edKid); ok {
		t.Fatal("EdDSA key kept after its tokens died")
	}
	if kids := published(t, es.Ring().JWKS()); len(kids) != 1 {
		t.Fatalf("JWKS %v", kids)
	}
}

// Two nodes that each generated a key at the same instant agree on one
// signer; the other key retires.
func TestNodesAgreeOnSigner(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	for range 2 {
		k, _ := Generate(token.AlgEdDSA, t0)
		st.AddKey(context.Background(), k)
	}
	a, b := newTestManager(st, clk, token.AlgEdDSA, 0), newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, a)
	mustInit(t, b)
	if a.Ring().Signer().ID != b.Ring().Signer().ID || st.count() != 2 {
		t.Fatal("nodes disagree")
	}
	clk.Set(t0.Add(tokenLifetime + time.Second))
	mustReload(t, a)
	if st.count() != 1 {
		t.Fatal("losing key not deleted")
	}
	if _, ok := st.get(b.Ring().Signer().ID); !ok {
		t.Fatal("deleted the signer")
	}
}

func TestReloadKeepsRingWhenStoreFails(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	m := newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, m)
	ring := m.Ring()
	st.fail(store.ErrUnavailable, nil, nil, nil)
	if err := m.Reload(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Reload = %v", err)
	}
	if m.Ring() != ring || m.Ring().Signer() == nil {
		t.Fatal("ring replaced after a failed reload")
	}
}

func TestUnloadableKeyIsSkippedNotDeleted(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	bad, _ := Generate(token.AlgEdDSA, t0.Add(-time.Hour))
	bad.Private = []byte("garbage")
	st.AddKey(context.Background(), bad)
	m := newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, m)
	if m.Ring().Signer() == nil || m.Ring().Signer().ID == bad.ID {
		t.Fatal("no usable signer")
	}
	if _, ok := m.Lookup(bad.ID); ok {
		t.Fatal("unusable key published")
	}
	clk.Set(t0.Add(48 * time.Hour))
	mustReload(t, m)
	if _, ok := st.get(bad.ID); !ok {
		t.Fatal("unusable key deleted")
	}
}

func TestRunReloadsUntilCancelled(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	m := newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { m.run(ctx, tick); close(done) }()
	nk, err := newTestManager(st, clk, token.AlgEdDSA, 0).Rotate(context.Background(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Lookup(nk.ID); ok {
		t.Fatal("knew the new key before a tick")
	}
	// The loop is single-threaded: once it takes the second tick it has
	// finished the reload of the first.
	tick <- t0
	tick <- t0
	if _, ok := m.Lookup(nk.ID); !ok {
		t.Fatal("Run did not pick up the new key")
	}
	cancel()
	<-done
}

// Run's ticker starts the loop above; it stops with its context.
func TestRunStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	m := newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.Run(ctx, 0) // returns at once: the test would hang otherwise
}

// Lookups run lock-free while reloads swap rings (meaningful under -race).
func TestConcurrentLookupAndReload(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	m := newTestManager(st, clk, token.AlgHS256, time.Hour)
	mustInit(t, m)
	tok := mint(t, m, t0)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if err := verify(m, tok, t0); err != nil {
					t.Error(err)
					return
				}
				_ = m.Ring().JWKS()
			}
		}()
	}
	for range 20 {
		mustReload(t, m)
	}
	wg.Wait()
}

var (
	_ token.KeySource = (*Manager)(nil)
	_ token.KeySource = (*Ring)(nil)
)

func TestStoreWriteFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, clk := newMemKeys(), &clock{t: t0}
	m := newTestManager(st, clk, token.AlgEdDSA, 24*time.Hour)

	// No key can be added: Init fails and the ring stays empty.
	st.fail(nil, store.ErrUnavailable, nil, nil)
	if err := m.Init(ctx); !errors.Is(err, store.ErrUnavailable) || m.Ring().Signer() != nil {
		t.Fatalf("Init = %v", err)
	}
	if _, err := m.Rotate(ctx, 0); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Rotate = %v", err)
	}
	st.fail(nil, nil, nil, nil)
	mustInit(t, m)
	a := m.Ring().Signer().ID

	// Auto-rotation due but the store refuses: the ring is still renewed.
	clk.Set(t0.Add(23 * time.Hour))
	st.fail(nil, store.ErrUnavailable, nil, nil)
	if err := m.Reload(ctx); !errors.Is(err, store.ErrUnavailable) || m.Ring().Signer().ID != a {
		t.Fatalf("Reload = %v", err)
	}
	st.fail(nil, nil, nil, nil)
	mustReload(t, m)
	next := m.Ring().next.ID

	// Retirement and deletion failures are reported; the schedule holds.
	clk.Set(t0.Add(24 * time.Hour))
	st.fail(nil, nil, store.ErrUnavailable, nil)
	if err := m.Reload(ctx); !errors.Is(err, store.ErrUnavailable) || m.Ring().Signer().ID != next {
		t.Fatalf("Reload = %v", err)
	}
	// The retirement (with its keep-until) is recorded once the store takes
	// it; deletion then follows the stored keep-until.
	st.fail(nil, nil, nil, nil)
	mustReload(t, m)
	clk.Set(t0.Add(24*time.Hour + tokenLifetime + time.Second))
	st.fail(nil, nil, nil, store.ErrUnavailable)
	if err := m.Reload(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Reload = %v", err)
	}
	if _, ok := m.Lookup(a); ok {
		t.Fatal("dead key published because its deletion failed")
	}
	st.fail(nil, nil, nil, nil)
	mustReload(t, m)
	if _, ok := st.get(a); ok {
		t.Fatal("deletion not retried")
	}
}

// lockedBuffer collects log output from Run's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRunLogsReloadErrors(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	var logs lockedBuffer
	m := NewManager(st, testBox, Config{Alg: token.AlgEdDSA, TokenLifetime: tokenLifetime, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	mustInit(t, m)
	st.fail(store.ErrUnavailable, nil, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { m.run(ctx, tick); close(done) }()
	tick <- t0
	tick <- t0 // taken only after the first reload was logged
	if !strings.Contains(logs.String(), "store: unavailable") {
		t.Fatalf("no error logged: %s", logs.String())
	}
	cancel()
	<-done
	if m.Ring().Signer() == nil {
		t.Fatal("ring lost while the store was down")
	}
}

// The schedule is a pure function; these cases pin its ordering rules.
func TestScheduleOrdering(t *testing.T) {
	t.Parallel()
	e := func(id, alg string, signFrom, created time.Time) *entry {
		return &entry{meta: store.Key{ID: id, Alg: alg, SignFrom: signFrom, CreatedAt: created}, key: &token.Key{ID: id, Alg: alg}}
	}
	ed := token.AlgEdDSA
	tests := []struct {
		name         string
		es           []*entry
		signer, next string
	}{
		{"latest SignFrom signs", []*entry{e("a", ed, t0, t0), e("b", ed, t0.Add(time.Second), t0)}, "b", ""},
		{"same SignFrom: latest CreatedAt", []*entry{e("b", ed, t0, t0), e("a", ed, t0, t0.Add(time.Second))}, "a", ""},
		{"same times: greater ID", []*entry{e("b", ed, t0, t0), e("a", ed, t0, t0)}, "b", ""},
		{"earliest pending is next", []*entry{e("a", ed, t0, t0), e("c", ed, t0.Add(2*time.Hour), t0), e("b", ed, t0.Add(time.Hour), t0)}, "a", "b"},
		{"pending tie: latest CreatedAt", []*entry{e("a", ed, t0, t0), e("b", ed, t0.Add(time.Hour), t0.Add(time.Second)), e("c", ed, t0.Add(time.Hour), t0)}, "a", "b"},
		{"other algorithm never signs", []*entry{e("a", token.AlgES256, t0, t0)}, "", ""},
	}
	for _, tt := range tests {
		p := schedule(tt.es, ed, t0.Add(time.Minute), time.Minute)
		got, next := "", ""
		if p.signer != nil {
			got = p.signer.meta.ID
		}
		if p.next != nil {
			next = p.next.meta.ID
		}
		if got != tt.signer || next != tt.next {
			t.Errorf("%s: signer %q next %q, want %q %q", tt.name, got, next, tt.signer, tt.next)
		}
	}
}

// A key of another algorithm that started after the current signer (the
// operator switched back and forth) stays until its own start plus the
// token lifetime.
func TestOtherAlgorithmStoppedNoEarlierThanItStarted(t *testing.T) {
	t.Parallel()
	signer := &entry{meta: store.Key{ID: "a", Alg: token.AlgEdDSA, SignFrom: t0}}
	es := &entry{meta: store.Key{ID: "b", Alg: token.AlgES256, SignFrom: t0.Add(time.Hour)}}
	p := schedule([]*entry{signer, es}, token.AlgEdDSA, t0.Add(2*time.Hour), 90*time.Minute)
	if !es.stop.Equal(t0.Add(time.Hour)) || len(p.live) != 2 || len(p.retire) != 1 || len(p.remove) != 0 {
		t.Fatalf("stop %v, plan %+v", es.stop, p)
	}
}
