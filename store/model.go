package store

import "time"

// User is an account. Username is stored as given (authn gives the PRECIS
// form, see MapUsername); users are unique on NormalizeUsername(Username)
// and on UsernameSkeleton(Username).
type User struct {
	ID           string
	Username     string
	PasswordHash string // argon2id PHC string
	Roles        []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// CredVersion counts password changes. A session is created, a login
	// challenge resolved and a rehash stored only while it still equals the
	// version read when the password was checked, so no login with an old
	// password outlives a change (see SetPassword).
	CredVersion int64
}

// Session is one login of one user on one device, with its refresh chain.
//
// The chain is kept as a generation counter and one hash, so a session costs
// one row however often it refreshes: the refresh token of generation
// RefreshGen is the current one (its hash is RefreshHash); the one of
// RefreshGen-1 was spent at RotatedAt and is honoured within the grace
// window; any older one is reuse. Refresh tokens carry their session and
// generation under a server MAC (token.ParseRefresh), which is how an old
// generation is recognised without a row of its own. See DecideRotation.
type Session struct {
	ID       string
	UserID   string
	DeviceID string
	// Username and Roles are copied from the user (roles kept current by
	// SetRoles) so a refresh mints its access token without reading the user.
	Username   string
	Roles      []string
	CreatedAt  time.Time
	LastSeenAt time.Time
	AuthTime   time.Time
	// ExpiresAt is the absolute cap (created + session lifetime).
	ExpiresAt time.Time
	// RefreshExpiresAt is when the current refresh token dies (slides on use,
	// never past ExpiresAt).
	RefreshExpiresAt time.Time
	RefreshGen       int64
	RotatedAt        time.Time // when generation RefreshGen was issued
	IP               string
	UserAgent        string
	// RefreshHash is the hash of the current (generation RefreshGen) refresh
	// token.
	RefreshHash []byte
	// CookieHash is the hash of the browser-mode cookie secret, if any.
	CookieHash []byte
	// JKT is the RFC 7638 thumbprint of the DPoP key the session is bound
	// to (RFC 9449): set at login, never changed; its refresh tokens are
	// redeemed only with a proof by that key. "" for an unbound session.
	JKT string
}

// Live reports whether the session is usable at now: before its absolute
// cap, its idle deadline and its refresh token's expiry. It is the one
// definition of a live session; every backend and use case calls it (and
// the SQL sweeps say the same thing in SQL).
func (s *Session) Live(now time.Time, idle time.Duration) bool {
	return now.Before(s.EffectiveExpiry(idle))
}

// IdleExpiresAt is when the session expires for want of use.
func (s *Session) IdleExpiresAt(idle time.Duration) time.Time {
	if idle <= 0 {
		return s.ExpiresAt
	}
	return s.LastSeenAt.Add(idle)
}

// ExpiredAt reports whether the session's idle timeout or absolute lifetime
// has passed at now.
func (s *Session) ExpiredAt(now time.Time, idle time.Duration) bool {
	return !now.Before(s.ExpiresAt) || (idle > 0 && !now.Before(s.LastSeenAt.Add(idle)))
}

// EffectiveExpiry is the earliest of the absolute cap, the idle deadline and
// the refresh token's expiry: the time the session dies if left alone.
func (s *Session) EffectiveExpiry(idle time.Duration) time.Time {
	t := s.ExpiresAt
	if i := s.IdleExpiresAt(idle); i.Before(t) {
		t = i
	}
	if !s.RefreshExpiresAt.IsZero() && s.RefreshExpiresAt.Before(t) {
		t = s.RefreshExpiresAt
	}
	return t
}

// Revocation says "session SessionID is dead" or "every token of UserID
// issued before NotBefore is dead"; it is kept until Until, after which no
// access token it covers can still be alive.
type Revocation struct {
	ID        int64 // monotonically increasing per store; the feed's event id
	SessionID string
	UserID    string
	NotBefore time.Time // zero for a session revocation
	Until     time.Time
	CreatedAt time.Time
}

// Key is a signing key. Private is the key's private material (PKCS#8 DER, or
// the raw secret for HS256) as the caller stored it: keys.Manager seals it
// under the master key first. It never leaves the store in an API answer.
type Key struct {
	ID        string // kid: RFC 7638 thumbprint (HS256: hash of the secret)
	Alg       string // EdDSA, ES256, RS256, HS256
	Private   []byte
	CreatedAt time.Time
	// SignFrom: the key signs from this time on (published before it).
	SignFrom time.Time
	// RetiredAt: the key stopped signing (zero while it may still sign).
	RetiredAt time.Time
	// KeepUntil: set with RetiredAt, the last instant a token signed by the
	// key can be accepted (retirement + access TTL + leeway in force then).
	// The key is deleted only after it, whatever TTL the deleter runs with.
	KeepUntil time.Time
}

// Event is one audit record of a session event.
type Event struct {
	ID        string
	UserID    string
	SessionID string
	Type      string // session.created, refresh.reused, session.revoked, ...
	Detail    map[string]string
	IP        string
	UserAgent string
	CreatedAt time.Time
}
