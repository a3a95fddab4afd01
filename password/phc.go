package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash reports a stored string that is not a PHC argon2id hash
// this package would have produced. Errors returned for malformed input wrap
// it, and never quote the input, since it is a credential.
var ErrMalformedHash = errors.New("password: malformed hash")

// b64 is the unpadded standard alphabet used by the reference argon2 CLI and
// libargon2. Strict rejects non-zero trailing bits, so one hash has one text.
var b64 = base64.RawStdEncoding.Strict()

// maxPHCLen bounds the input before any splitting or decoding: the longest
// acceptable string (1024-byte salt and key, maximal params) is under 2800
// bytes.
const maxPHCLen = 4096

// phc is a parsed stored hash.
type phc struct {
	params Params
	salt   []byte
	key    []byte
}

// encode renders h in the reference implementation's format, e.g.
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func (h phc) encode() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.params.Memory, h.params.Time, h.params.Threads,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parsePHC accepts exactly the format encode produces and nothing else: no
// optional fields, no other versions or variants, no non-canonical numbers or
// base64. Strictness keeps every later step (allocation, argon2's own panics on
// zero time or threads) away from attacker- or corruption-controlled values.
func parsePHC(s string) (phc, error) {
	if len(s) > maxPHCLen {
		return phc{}, malformed("longer than %d bytes", maxPHCLen)
	}
	// The leading "$" yields an empty first field; SplitN caps allocation on
	// inputs made of many separators.
	f := strings.SplitN(s, "$", 7)
	if len(f) != 6 || f[0] != "" {
		return phc{}, malformed("want 5 $-separated fields")
	}
	if f[1] != "argon2id" {
		return phc{}, malformed("algorithm is not argon2id")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return phc{}, malformed("version is not %d", argon2.Version)
	}
	p, err := parseParams(f[3])
	if err != nil {
		return phc{}, err
	}
	return decodeSaltKey(p, f[4], f[5])
}

// parseParams parses "m=<KiB>,t=<passes>,p=<lanes>" in that order. Salt and key
// lengths are filled in later from the decoded bytes.
func parseParams(s string) (Params, error) {
	kv := strings.SplitN(s, ",", 4)
	if len(kv) != 3 {
		return Params{}, malformed("want parameters m,t,p")
	}
	var n [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		digits, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return Params{}, malformed("want parameters m,t,p")
		}
		v, err := parseDecimal(digits)
		if err != nil {
			return Params{}, malformed("parameter %s: %v", name, err)
		}
		n[i] = v
	}
	if n[2] > 255 {
		return Params{}, malformed("parameter p: exceeds 255")
	}
	return Params{Memory: uint32(n[0]), Time: uint32(n[1]), Threads: uint8(n[2])}, nil
}

// parseDecimal accepts the PHC decimal syntax: ASCII digits, no sign, no
// leading zeros, fitting in 32 bits.
func parseDecimal(s string) (uint64, error) {
	if len(s) > 1 && s[0] == '0' {
		return 0, errors.New("leading zero")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a decimal number")
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, errors.New("empty or out of range")
	}
	return v, nil
}

// decodeSaltKey decodes the two base64 fields and validates the complete
// parameter set.
func decodeSaltKey(p Params, salt64, key64 string) (phc, error) {
	salt, err := decodeB64(salt64)
	if err != nil {
		return phc{}, malformed("salt: %v", err)
	}
	key, err := decodeB64(key64)
	if err != nil {
		return phc{}, malformed("hash: %v", err)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := checkParams(p); err != nil {
		return phc{}, malformed("%v", err)
	}
	return phc{params: p, salt: salt, key: key}, nil
}

// decodeB64 decodes canonical unpadded base64. The re-encode comparison
// catches what the decoder silently skips (CR and LF), so a stored hash has
// exactly one accepted spelling.
func decodeB64(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, errors.New("invalid base64")
	}
	return b, nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformedHash}, args...)...)
}
