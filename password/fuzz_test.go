package password

import (
	"errors"
	"testing"
)

// FuzzVerify feeds arbitrary stored strings to the parser and Verify. Beyond
// not panicking, anything accepted must be in canonical form (re-encoding
// reproduces it) and within bounds; anything rejected must wrap
// ErrMalformedHash.
func FuzzVerify(f *testing.F) {
	f.Add(refHash)
	f.Add(mustHash(f, "pw", testParams()))
	for _, tc := range malformedCases() {
		f.Add(tc.phc)
	}
	pw := []byte("password")
	f.Fuzz(func(t *testing.T, stored string) {
		parsed, err := parsePHC(stored)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("parse error %v does not wrap ErrMalformedHash", err)
			}
			if ok, verr := Verify(pw, stored); ok || !errors.Is(verr, ErrMalformedHash) {
				t.Fatalf("Verify = %v, %v for rejected input", ok, verr)
			}
			return
		}
		if got := parsed.encode(); got != stored {
			t.Fatalf("accepted non-canonical input %q (canonical %q)", stored, got)
		}
		if err := checkParams(parsed.params); err != nil {
			t.Fatalf("accepted out-of-bounds params: %v", err)
		}
		// The parser rightly accepts up to 4 GiB and 100 passes; only run
		// argon2 when the fuzzer found a cheap valid input.
		if p := parsed.params; uint64(p.Memory)*uint64(p.Time) <= 4096 {
			if _, err := Verify(pw, stored); err != nil {
				t.Fatalf("Verify of accepted input: %v", err)
			}
		}
	})
}
