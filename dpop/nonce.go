package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// DefaultNoncePeriod is how long one nonce is current; a nonce is accepted
// for this period and the next, so it lives 1 to 2 periods.
const DefaultNoncePeriod = 5 * time.Minute

// Nonces are server nonces (RFC 9449 §8) that every node derives alike
// from a shared key and the time, so nothing is stored per client and a
// nonce one node handed out is accepted by the others: the nonce of period
// i is base64url of HMAC-SHA-256(key, "gatehouse dpop nonce" || i), cut to
// 128 bits. The current and the previous period's nonces are valid.
type Nonces struct {
	key    []byte
	period time.Duration
	now    func() time.Time
}

// NewNonces returns Nonces under key (at least 32 bytes of secret: the
// server's sealed secret), rotating every period (DefaultNoncePeriod when
// 0), on clock now (nil: time.Now).
func NewNonces(key []byte, period time.Duration, now func() time.Time) *Nonces {
	if len(key) < 32 {
		panic("dpop: nonce key shorter than 32 bytes")
	}
	if period <= 0 {
		period = DefaultNoncePeriod
	}
	if now == nil {
		now = time.Now
	}
	return &Nonces{key: append([]byte(nil), key...), period: period, now: now}
}

func (n *Nonces) index() int64 { return n.now().UnixNano() / int64(n.period) }

func (n *Nonces) at(i int64) string {
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte("gatehouse dpop nonce"))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Current is the nonce to hand out now (DPoP-Nonce header).
func (n *Nonces) Current() string { return n.at(n.index()) }

// Valid reports whether v is the current or the previous period's nonce.
func (n *Nonces) Valid(v string) bool {
	if len(v) != 22 {
		return false
	}
	i := n.index()
	return hmac.Equal([]byte(v), []byte(n.at(i))) || hmac.Equal([]byte(v), []byte(n.at(i-1)))
}
