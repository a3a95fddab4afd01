package store

import (
	"context"
	"time"
)

// Users holds accounts.
type Users interface {
	// CreateUser inserts u, keeping u.Username as given; ErrUserExists if
	// another user has its NormalizeUsername key or its UsernameSkeleton.
	CreateUser(ctx context.Context, u User) error
	UserByID(ctx context.Context, id string) (User, error)
	// UserByName looks up by NormalizeUsername(username), never by skeleton.
	UserByName(ctx context.Context, username string) (User, error)
	// ListUsers returns users ordered by creation, at most limit (0 = all).
	ListUsers(ctx context.Context, limit int) ([]User, error)
	// SetRoles replaces the user's roles and, in the same operation, the
	// copy on each of the user's sessions (Session.Roles).
	SetRoles(ctx context.Context, id string, roles []string, now time.Time) (User, error)
	// SetPasswordHash replaces the hash only (rehash on login to the current
	// parameters), and only while the user's CredVersion is still
	// credVersion: a rehash of the old password never lands after a change.
	// ErrCredentialChanged otherwise, ErrNotFound if the user is gone.
	SetPasswordHash(ctx context.Context, id, hash string, credVersion int64, now time.Time) error
	// DeleteUser removes the account; its username becomes free. ErrNotFound
	// if absent. Sessions are ended separately, first (they may live in
	// another store).
	DeleteUser(ctx context.Context, id string) error
}

// Overflow is the rule applied when a login would exceed the session limit.
type Overflow string

const (
	EvictOldest Overflow = "evict-oldest"
	EvictIdle   Overflow = "evict-idle"
	Reject      Overflow = "reject"
)

// CreateSession is the input of Sessions.CreateSession.
type CreateSession struct {
	// Session: RefreshGen must be 1, RotatedAt = CreatedAt, RefreshHash set
	// (hash of the generation-1 refresh token).
	Session Session
	// CredVersion is the user's User.CredVersion when the password was
	// checked; if the password changed since, nothing is written and the
	// answer is ErrCredentialChanged.
	CredVersion int64
	// ReplaceDevice: end this user's live session on Session.DeviceID, if any,
	// before applying the limit (same device logging in again).
	ReplaceDevice bool
	MaxSessions   int // 0 = no limit
	Overflow      Overflow
	IdleTimeout   time.Duration // sessions idle this long do not count and are removed
	Now           time.Time
	// Revocation template for every session this operation ends: its Until
	// is copied onto each revocation written.
	RevokeUntil time.Time
	// End lists sessions of this user to end first (reason "resolved"), in
	// the same operation, before the device rule and the limit apply (the
	// login-challenge flow: "end that one and let me in"). Ids that are not
	// this user's live sessions are ignored.
	End []string
}

// Ended describes a session that an operation ended, and the revocation
// written for it.
type Ended struct {
	Session    Session
	Revocation Revocation
	Reason     string // "device", "evict-oldest", "evict-idle", "logout", "reuse", ...
}

// Rotate is the input of Sessions.RotateRefresh.
type Rotate struct {
	// UserID, SessionID and Gen are what the presented refresh token says
	// under the server's MAC (the caller has checked the MAC). A session is
	// found by its user and id together (a Redis Cluster finds the user's
	// slot from UserID); a UserID that is not the session's finds nothing.
	UserID        string
	SessionID     string
	Gen           int64
	PresentedHash []byte
	// SuccessorHash is the hash of the successor token. The successor is
	// derived from the presented token, so a replay within the grace window
	// yields the same successor.
	SuccessorHash []byte
	Now           time.Time
	Grace         time.Duration
	RefreshTTL    time.Duration
	IdleTimeout   time.Duration
	RevokeUntil   time.Time // for the revocation written on reuse
	// JKT is the thumbprint of the key of the DPoP proof that came with
	// the refresh ("" without one). A bound session refuses any other
	// (ErrKeyMismatch) without consuming the token; see DecideRotation.
	JKT string
	// RequireBound (--dpop required) refuses to rotate an unbound
	// session's token (ErrUnbound), changing nothing.
	RequireBound bool
}

// RotateOutcome says what RotateRefresh did.
type RotateOutcome int

const (
	// Rotated: the presented token was current; it is spent now and the
	// successor is current.
	Rotated RotateOutcome = iota + 1
	// Replayed: the presented token was the one spent last, within the grace
	// window: nothing changed; the caller answers with the same successor.
	Replayed
)

// RotateResult is what RotateRefresh returns on success, and on ErrReused
// (with Ended set).
type RotateResult struct {
	Outcome RotateOutcome
	Session Session
	// PrevRotatedAt is the session's RotatedAt before this operation (the
	// caller records a refresh in the audit trail at most once an hour).
	PrevRotatedAt time.Time
	// Ended is set when the operation revoked the session (reuse).
	Ended *Ended
	// ReuseCause, on ErrReused: "after-grace" (the previous token, too late)
	// or "stale" (an older token of the chain).
	ReuseCause string
}

// Sessions holds sessions, their refresh chains and the revocations that
// ending them writes. Ending a session deletes it and its refresh tokens and
// writes a Revocation, in one atomic operation.
type Sessions interface {
	// CreateSession inserts a session and its first refresh token, ending the
	// device's previous session and applying the limit, atomically. On
	// ErrSessionLimit nothing is written.
	CreateSession(ctx context.Context, in CreateSession) ([]Ended, error)
	// RotateRefresh spends a refresh token; DecideRotation says what it does.
	// It is one read and one write of one session row.
	// Errors: ErrNotFound (unknown token, or its session is gone),
	// ErrRefreshExpired, ErrSessionExpired, ErrReused (session revoked).
	RotateRefresh(ctx context.Context, in Rotate) (RotateResult, error)
	// Session reads session id of userID. Every lookup of one session
	// names its user too (the caller has it from a token, a cookie or the
	// principal): ErrNotFound if id is not userID's session.
	Session(ctx context.Context, userID, id string) (Session, error)
	// SessionByCookie reads session id of userID if its CookieHash equals
	// hash (the cookie carries the user and session ids with its secret);
	// ErrNotFound otherwise, and for an empty hash.
	SessionByCookie(ctx context.Context, userID, id string, hash []byte) (Session, error)
	// UserSessions lists the user's sessions, newest first (per-user index).
	UserSessions(ctx context.Context, userID string) ([]Session, error)
	// Touch sets LastSeenAt (and slides nothing else).
	Touch(ctx context.Context, userID, id string, now time.Time) error
	// Slide is a browser session's use: LastSeenAt = now and the session
	// cookie's lifetime (RefreshExpiresAt) slides to now+refreshTTL, never
	// past ExpiresAt. ErrNotFound if the session is gone.
	Slide(ctx context.Context, userID, id string, now time.Time, refreshTTL time.Duration) (Session, error)
	// RenewSession gives a live browser session a new id and cookie secret
	// (at reauth: no fixation of an id or a cookie across a privilege
	// change), atomically: the session moves to in.NewID with in.CookieHash,
	// a fresh generation-1 refresh chain (in.RefreshHash), AuthTime and
	// LastSeenAt in.Now; the old id is ended with a revocation. ErrNotFound
	// if the session is gone or not live.
	RenewSession(ctx context.Context, in RenewSession) (Session, Ended, error)
	// Reauth sets AuthTime, makes refreshHash the current refresh token as
	// generation gen, and touches the session. gen must be the session's
	// RefreshGen+1 (the caller minted the token for it): ErrConflict if a
	// rotation got there first. ErrNotFound if the session is gone or not
	// live.
	Reauth(ctx context.Context, userID, id string, gen int64, refreshHash []byte, now time.Time, refreshTTL, idle time.Duration) (Session, error)
	// EndSessions ends the listed sessions of userID (ids not the user's are
	// ignored). ErrNotFound if ids names exactly one session and it is not
	// the user's.
	EndSessions(ctx context.Context, userID string, ids []string, reason string, now, revokeUntil time.Time) ([]Ended, error)
	// EndUserSessions ends every session of userID except keep (may be "").
	EndUserSessions(ctx context.Context, userID, keep, reason string, now, revokeUntil time.Time) ([]Ended, error)
	// Revocations returns every revocation with Until after now and ID
	// greater than afterID, in ID order. It is a log that readers follow
	// with a cursor (the last ID they read), so a backend must assign IDs
	// in commit order: once an ID is visible to a reader, every lower ID
	// that will ever commit is visible too, and no revocation ever commits
	// with an ID at or below one a reader has seen. Otherwise a reader
	// advances past an ID still to commit and never loads that revocation.
	// IDs may have gaps (rolled-back writes) but never go back.
	//
	// SQLite keeps this because its write transactions are serialized
	// (BEGIN IMMEDIATE: the id is taken and committed under one write
	// lock). A PostgreSQL backend must not rely on a sequence alone
	// (nextval is taken before commit, so a later id can commit first); it
	// must serialise the id with the commit, e.g. take the id from a
	// single-row counter updated in the revocation's own transaction (the
	// row lock orders writers), or fence readers with xid8 snapshots
	// (return only rows whose writing transaction is older than
	// pg_snapshot_xmin(pg_current_snapshot())).
	Revocations(ctx context.Context, now time.Time, afterID int64) ([]Revocation, error)
	// AddRevocation writes a revocation not tied to a session row (user-wide
	// not-before) and returns it with its ID.
	AddRevocation(ctx context.Context, r Revocation) (Revocation, error)
	// Sweep deletes sessions dead at now (absolute, idle or refresh expiry),
	// their refresh tokens, revocations past Until and expired challenges.
	// It returns how many rows it removed.
	Sweep(ctx context.Context, now time.Time, idle time.Duration) (int, error)
	// CountSessions counts live rows (for metrics).
	CountSessions(ctx context.Context) (int, error)
}

// ProofReplay is the DPoP replay cache shared by the nodes of a distributed
// store (PostgreSQL, Redis): a proof used on one node is refused on every
// other. A single node (SQLite) keeps its cache in memory instead.
type ProofReplay interface {
	// UseProof records key (dpop.ReplayKey) until until, atomically: true
	// the first time before until, false while an earlier use is in
	// force, whichever node asks.
	UseProof(ctx context.Context, key string, until, now time.Time) (bool, error)
}

// RenewSession is the input of Sessions.RenewSession.
type RenewSession struct {
	UserID       string // the session's user (ErrNotFound if not)
	OldID, NewID string
	CookieHash   []byte
	RefreshHash  []byte
	Now          time.Time
	IdleTimeout  time.Duration
	RevokeUntil  time.Time
}

// SetPassword is the input of Credentials.SetPassword.
type SetPassword struct {
	UserID string
	Hash   string // the new argon2id PHC string
	// Keep is the session that survives (the caller's, on a change by the
	// user); "" ends them all (admin reset).
	Keep        string
	Reason      string // recorded on each ended session
	Now         time.Time
	RevokeUntil time.Time
}

// Credentials changes a password as one atomic operation: the hash is
// replaced, User.CredVersion incremented (so a login that checked the old
// password can no longer create a session), every session but Keep ended
// with its revocation written, and the user's pending login challenges
// dropped. ErrNotFound if the user is gone.
type Credentials interface {
	SetPassword(ctx context.Context, in SetPassword) (User, []Ended, error)
}

// Challenge is a pending login refused at the session limit: the user
// proved the password and may finish by ending one of their sessions.
type Challenge struct {
	Hash      []byte // SHA-256 of the challenge secret given to the client
	UserID    string
	DeviceID  string // the device id presented at login, if any
	IP        string
	UserAgent string
	ExpiresAt time.Time
	// CredVersion is the user's credential version when the password was
	// checked; resolving passes it to CreateSession, so a challenge obtained
	// with a password that has since changed cannot start a session.
	CredVersion int64
}

// Challenges holds login challenges; each is consumed at most once.
type Challenges interface {
	AddChallenge(ctx context.Context, c Challenge) error
	// ConsumeChallenge deletes and returns the challenge with hash, atomically:
	// of concurrent callers exactly one gets it. ErrNotFound for an unknown,
	// spent or expired (ExpiresAt not after now) challenge.
	// The challenge given to the client carries userID with its secret: a
	// challenge of another user is not found.
	ConsumeChallenge(ctx context.Context, userID string, hash []byte, now time.Time) (Challenge, error)
}

// Events is the audit trail.
type Events interface {
	// AddEvents appends events (a batch, in one transaction). Event.ID is
	// set by the caller (a UUIDv7, so ids sort by time).
	AddEvents(ctx context.Context, es []Event) error
	// UserEvents lists a user's events newest first, with ID less than
	// before (empty: from the newest), at most limit (limit <= 0 means 100;
	// a limit above 1000 means 1000).
	UserEvents(ctx context.Context, userID, before string, limit int) ([]Event, error)
	// PruneEvents deletes events created before t and returns how many.
	PruneEvents(ctx context.Context, t time.Time) (int, error)
}

// Keys holds signing keys and named server secrets. Their private bytes are
// opaque to the store: callers seal them (keys/seal) before they get here.
type Keys interface {
	AddKey(ctx context.Context, k Key) error
	ListKeys(ctx context.Context) ([]Key, error)
	// RetireKey marks a key as no longer signing at t, to be kept until
	// keepUntil (the last instant a token it signed can be accepted, decided
	// by whoever retires it with the access TTL in force). A key retired
	// already keeps its first RetiredAt, and its KeepUntil only ever grows:
	// the longest-lived token any retirer knew of wins.
	RetireKey(ctx context.Context, id string, t, keepUntil time.Time) error
	DeleteKey(ctx context.Context, id string) error
	// ReplaceKeyPrivate sets key id's Private to new if it is old now (a
	// compare-and-swap, for re-encoding in place). ErrNotFound if there is
	// no key id, or its Private is no longer old.
	ReplaceKeyPrivate(ctx context.Context, id string, old, new []byte) error
	// Secret returns the named server secret, creating it with gen() on first
	// use, atomically (two nodes starting at once agree on one value).
	Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error)
	// ReplaceSecret sets secret name to new if it is old now (see
	// ReplaceKeyPrivate). ErrNotFound if absent or no longer old.
	ReplaceSecret(ctx context.Context, name string, old, new []byte) error
}

// Bucket names a token bucket: capacity Burst, refilled at Rate tokens per
// second. A bucket never written is full.
type Bucket struct {
	Key   string
	Rate  float64
	Burst int
}

// Limits holds token buckets for rate limiting. An attempt reserves a token
// of every bucket it counts against with one Take before the work,
// atomically, so concurrent attempts cannot all pass an almost empty
// bucket; an attempt that turns out not to count (a correct password) gives
// them back with one Refund.
type Limits interface {
	// Take takes one token from each of bs, all or nothing. It returns
	// whether it was allowed and, if not, how long until every bucket has a
	// token. A denied Take changes nothing.
	Take(ctx context.Context, bs []Bucket, now time.Time) (bool, time.Duration, error)
	// Refund puts one token back into each of bs, never above its burst.
	Refund(ctx context.Context, bs []Bucket, now time.Time) error
}

// Store is everything a Gatehouse node needs.
type Store interface {
	Users
	Sessions
	Credentials
	Keys
	Limits
	Challenges
	Events
	Ping(ctx context.Context) error
	Close() error
}
