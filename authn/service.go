package authn

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/dpop"
	"github.com/gatehouse/gatehouse/keys"
	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/revoke"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

// Policy is the operator's strategy: lifetimes, sliding, limits, checks.
type Policy struct {
	Issuer          string
	Audience        string
	AccessTTL       time.Duration
	RefreshTTL      time.Duration
	SessionLifetime time.Duration
	IdleTimeout     time.Duration
	ReuseGrace      time.Duration
	Leeway          time.Duration
	MaxSessions     int
	Overflow        store.Overflow
	ReauthMaxAge    time.Duration
	Signup          bool
	Rates           Rates
	// RoleLimits caps sessions per role; a user with several listed roles
	// gets the smallest. It applies even when MaxSessions is 0.
	RoleLimits map[string]int
	// VerifyCacheSize is the access-token verifier's cache bound
	// (token.Options.CacheSize: 0 default, negative off).
	VerifyCacheSize int
	// DPoPRequired is --dpop required: no bearer tokens are issued.
	DPoPRequired bool
}

// Rates are the token buckets of the attempt limiter (0 burst: off).
type Rates struct {
	UserBurst     int
	UserPerMinute float64
	IPBurst       int
	IPPerMinute   float64
}

// Deps are the parts a Service is built from.
type Deps struct {
	Store   store.Store
	Hasher  *password.Hasher
	Keys    *keys.Manager
	Revoked *revoke.Set
	Metrics *metrics.Metrics
	Log     *slog.Logger
	Now     func() time.Time
	Policy  Policy
	Secret  []byte // derives refresh successors; from store.Keys.Secret
	Audit   Recorder
	// DPoP checks the proofs that come with DPoP-bound access tokens
	// (AuthenticateDPoP); nil refuses them. DPoPToken checks those of the
	// token endpoints: the same replay cache, plus the server nonce when
	// --dpop-nonce is on. Either nil: DPoP is off.
	DPoP, DPoPToken *dpop.Checker
}

// Service runs the use cases.
type Service struct {
	Deps
	verify     *token.Verifier
	refreshKey []byte // MACs and derives refresh tokens
	deviceKey  []byte // binds device ids to users
	admin      *AdminGuard
	csrfKey    []byte // derives CSRF tokens
	// lateVerify accepts access tokens expired up to a refresh lifetime
	// ago: only to hand a reloaded jwt-cookie page its session's CSRF
	// token, which it needs to refresh.
	lateVerify *token.Verifier
	cookies    *cookieCache
	// sessionTokens are the gateway's minted access tokens (MintForSession).
	sessionTokens *sessionTokens
}

// New builds a Service. The refresh secret is loaded (or created) by the
// caller with store.Keys.Secret so every node shares it.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Hasher == nil || d.Keys == nil || d.Revoked == nil || d.Metrics == nil || len(d.Secret) < 32 {
		return nil, errors.New("authn: incomplete dependencies")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Service{Deps: d, refreshKey: d.Secret, deviceKey: subkey(d.Secret, "device-id/v1")}
	s.admin = &AdminGuard{svc: s, blocked: map[string]time.Time{}}
	s.csrfKey = subkey(d.Secret, "csrf/v1")
	s.lateVerify = token.NewVerifier(d.Keys, token.Options{
		Issuer: d.Policy.Issuer, Audience: d.Policy.Audience, Leeway: d.Policy.RefreshTTL + d.Policy.Leeway,
		Now: d.Now, Revoked: d.Revoked.Revoked, CacheSize: -1,
	})
	s.cookies = &cookieCache{m: map[[32]byte]cachedSession{}}
	s.sessionTokens = &sessionTokens{m: map[string]sessionToken{}}
	s.verify = token.NewVerifier(d.Keys, token.Options{
		Issuer:    d.Policy.Issuer,
		Audience:  d.Policy.Audience,
		Leeway:    d.Policy.Leeway,
		Now:       d.Now,
		Revoked:   d.Revoked.Revoked,
		CacheSize: d.Policy.VerifyCacheSize,
	})
	return s, nil
}

// Verifier is the access-token verifier (signature, claims, revocation set).
func (s *Service) Verifier() *token.Verifier { return s.verify }

// revokeUntil is how long a revocation made now must be kept: until every
// access token it covers has expired, leeway included.
func (s *Service) revokeUntil(now time.Time) time.Time {
	return now.Add(s.Policy.AccessTTL + s.Policy.Leeway)
}

// ended writes revocations through to the local set, counts them and
// records them in the audit trail. Bulk endings (logout everywhere) take
// the set's lock once.
func (s *Service) ended(es []store.Ended, c Client) {
	if len(es) == 0 {
		return
	}
	revs := make([]store.Revocation, len(es))
	for i, e := range es {
		revs[i] = e.Revocation
	}
	s.Revoked.AddAll(revs)
	counts := map[string]float64{}
	for _, e := range es {
		counts[e.Reason]++
		typ, detail := endedEvent(e.Reason)
		s.record(typ, e.Session.UserID, e.Session.ID, c, detail)
	}
	for reason, n := range counts {
		s.Metrics.Evictions.WithLabelValues(reason).Add(n)
	}
}

// storeErr maps a store failure that the use case does not expect to
// ErrUnavailable, keeping the cause for the log.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Service) hashErr(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return &RetryError{Err: ErrBusy, After: time.Second}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &RetryError{Err: ErrBusy, After: time.Second}
	}
	return fmt.Errorf("%w: %w", ErrInvalidCredentials, err)
}
