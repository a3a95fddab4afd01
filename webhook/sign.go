package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is the timestamp tolerance Verify uses when given a
// non-positive one.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify.
var (
	ErrMalformedSignature = errors.New("webhook: malformed signature header")
	ErrSignatureMismatch  = errors.New("webhook: signature mismatch")
	ErrStaleTimestamp     = errors.New("webhook: signature timestamp outside tolerance")
)

// Sign returns the Gatehouse-Signature header value for body sent at
// timestamp (Unix seconds): "t=<timestamp>,v1=<hex HMAC-SHA256(secret,
// "<timestamp>." + body)>", as Stripe does.
func Sign(secret []byte, timestamp int64, body []byte) string {
	return "t=" + strconv.FormatInt(timestamp, 10) + ",v1=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, timestamp, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks, for a receiver, that header is a valid Gatehouse-Signature
// of body under secret and that its timestamp is within tolerance of now
// (either side; a non-positive tolerance means DefaultTolerance). The header
// may carry several v1 values (as during a secret rotation); one matching is
// enough. Unknown schemes are ignored. MACs are compared in constant time.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errors.New("webhook: empty secret")
	}
	var (
		ts     int64
		haveTS bool
		sigs   [][]byte
	)
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformedSignature
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || haveTS {
				return ErrMalformedSignature
			}
			ts, haveTS = n, true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return ErrMalformedSignature
			}
			sigs = append(sigs, b)
		}
	}
	if !haveTS || len(sigs) == 0 {
		return ErrMalformedSignature
	}
	want := mac(secret, ts, body)
	ok := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignatureMismatch
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	age := now.Sub(time.Unix(ts, 0))
	if age > tolerance || age < -tolerance {
		return ErrStaleTimestamp
	}
	return nil
}
