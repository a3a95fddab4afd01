package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

// A refresh token carries the session it belongs to and its generation in
// the chain, under a server MAC:
//
//	base64url( version 0x01 | len(uid) | uid | len(sid) | sid | gen (8 bytes, big endian) | body (32) | mac (32) )
//
// body is 256 random bits for the first generation (and after a reauth),
// and HMAC(secret, parent token) for a successor, so a replay of the parent
// within the grace window yields the same successor without the server
// storing it. mac = HMAC(secret, everything before it). The server keeps only
// the SHA-256 of the current generation; an older generation is recognised
// by its MAC alone, which is what lets a session cost one row however often
// it refreshes while reuse of any old token of its chain is still detected.
// The user id is there so a sharded store (Redis Cluster) can route the
// token to its user's slot.

const (
	refreshVersion = 1
	refreshBody    = 32
	refreshMAC     = 32
	maxRefreshID   = 64
	// MaxRefreshLen bounds an encoded refresh token; longer input is refused
	// before any work.
	MaxRefreshLen = (1 + 2*(1+maxRefreshID) + 8 + refreshBody + refreshMAC + 2) * 4 / 3
)

// Labels separate the uses of the one refresh secret.
const (
	macLabel       = "gatehouse/refresh-mac/v2\x00"
	successorLabel = "gatehouse/refresh-successor/v2\x00"
)

// ErrRefreshMalformed: not a refresh token of this server (shape or MAC).
var ErrRefreshMalformed = errors.New("token: malformed refresh token")

// Refresh is what a refresh token says about itself.
type Refresh struct {
	UserID    string
	SessionID string
	Gen       int64
}

// NewRefresh returns a refresh token of generation r.Gen with a random body.
func NewRefresh(secret []byte, r Refresh) (string, error) {
	var body [refreshBody]byte
	if _, err := rand.Read(body[:]); err != nil {
		return "", err
	}
	return encodeRefresh(secret, r, body[:])
}

// SuccessorRefresh derives the token that replaces parent (generation
// p.Gen+1 of the same session). It is deterministic, so a replay of parent
// within the grace window yields the same successor; without secret nobody
// can compute it.
func SuccessorRefresh(secret []byte, parent string, p Refresh) (string, error) {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(successorLabel))
	m.Write([]byte(parent))
	next := p
	next.Gen++
	return encodeRefresh(secret, next, m.Sum(nil))
}

func encodeRefresh(secret []byte, r Refresh, body []byte) (string, error) {
	if r.UserID == "" || r.SessionID == "" || len(r.UserID) > maxRefreshID || len(r.SessionID) > maxRefreshID || r.Gen < 1 {
		return "", ErrRefreshMalformed
	}
	b := make([]byte, 0, 1+2+len(r.UserID)+len(r.SessionID)+8+refreshBody+refreshMAC)
	b = append(b, refreshVersion, byte(len(r.UserID)))
	b = append(b, r.UserID...)
	b = append(b, byte(len(r.SessionID)))
	b = append(b, r.SessionID...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Gen))
	b = append(b, body...)
	b = append(b, refreshTag(secret, b)...)
	return b64.EncodeToString(b), nil
}

func refreshTag(secret, msg []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(macLabel))
	m.Write(msg)
	return m.Sum(nil)
}

// ParseRefresh checks the shape and MAC of s and returns what it says. Any
// input that is not exactly a token this server's secret made is
// ErrRefreshMalformed, decided before any store lookup.
func ParseRefresh(secret []byte, s string) (Refresh, error) {
	if len(s) == 0 || len(s) > MaxRefreshLen {
		return Refresh{}, ErrRefreshMalformed
	}
	for i := 0; i < len(s); i++ {
		if !b64url[s[i]] {
			return Refresh{}, ErrRefreshMalformed
		}
	}
	b, err := b64.DecodeString(s) // strict: one spelling per token
	if err != nil || len(b) < 1+1+1+1+1+8+refreshBody+refreshMAC || b[0] != refreshVersion {
		return Refresh{}, ErrRefreshMalformed
	}
	msg, tag := b[:len(b)-refreshMAC], b[len(b)-refreshMAC:]
	if !hmac.Equal(tag, refreshTag(secret, msg)) {
		return Refresh{}, ErrRefreshMalformed
	}
	rest := msg[1:]
	uid, rest, ok := lenPrefixed(rest)
	if !ok {
		return Refresh{}, ErrRefreshMalformed
	}
	sid, rest, ok := lenPrefixed(rest)
	if !ok || len(rest) != 8+refreshBody {
		return Refresh{}, ErrRefreshMalformed
	}
	gen := binary.BigEndian.Uint64(rest[:8])
	if gen < 1 || gen > 1<<62 {
		return Refresh{}, ErrRefreshMalformed
	}
	return Refresh{UserID: string(uid), SessionID: string(sid), Gen: int64(gen)}, nil
}

func lenPrefixed(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 1 {
		return nil, nil, false
	}
	n := int(b[0])
	if n == 0 || n > maxRefreshID || len(b) < 1+n {
		return nil, nil, false
	}
	return b[1 : 1+n], b[1+n:], true
}

// HashRefresh is what the store keeps instead of the token: SHA-256 is
// enough because the token has 256 bits of entropy (no dictionary to slow
// down).
func HashRefresh(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}
