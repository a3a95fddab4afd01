package authn

import (
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/store"
)

// maxUsernameBytes bounds the work spent on a presented name before it is
// mapped: 64 characters of up to four bytes, each with a few combining marks
// when sent decomposed.
const maxUsernameBytes = 16 * maxUsername

// mapUsername checks a name for a new account and returns its one spelling,
// the PRECIS UsernameCaseMapped form (RFC 8265) that is stored and shown:
// "ＡＤＭＩＮ", "Admin" and "admin" are one name, "admin". The 3–64
// characters are counted in that form. Names that only look like a taken one
// are refused by the store (ErrUserExists), not here.
func mapUsername(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid("username", "must be valid UTF-8")
	}
	if len(s) > maxUsernameBytes {
		return "", invalid("username", "must be %d to %d characters", minUsername, maxUsername)
	}
	if err := checkVisible(s); err != nil {
		return "", err
	}
	m, err := store.MapUsername(s)
	if err != nil {
		return "", invalid("username", "must be letters, digits and ASCII punctuation in one writing direction, "+
			"without spaces, symbols or compatibility characters (PRECIS UsernameCaseMapped, RFC 8265)")
	}
	if n := utf8.RuneCountInString(m); n < minUsername || n > maxUsername {
		return "", invalid("username", "must be %d to %d characters", minUsername, maxUsername)
	}
	return m, nil
}

// checkVisible refuses a name that would show as nothing, or as another
// name: one with an invisible character anywhere (a filler such as U+3164
// HANGUL FILLER after "admin" would make a second "admin"), and one made
// only of combining marks, which have no letter to sit on. PRECIS refuses
// most of these too; this rule says why, and holds whatever PRECIS version.
func checkVisible(s string) error {
	base := false
	for _, r := range s {
		if invisible(r) {
			return invalid("username", "must not contain spaces, control, format or invisible characters")
		}
		if !unicode.In(r, unicode.M) {
			base = true
		}
	}
	if !base {
		return invalid("username", "must contain a visible letter or digit")
	}
	return nil
}

// blankLetters are letters and symbols that render as empty space without
// being spaces or default-ignorable: Braille blank, musical null notehead.
// The Hangul fillers (U+115F, U+1160, U+3164, U+FFA0) are default-ignorable.
var blankLetters = map[rune]bool{0x2800: true, 0x1D159: true}

// invisible reports whether r shows as nothing: white space, controls,
// format characters (zero-width joiners, bidi overrides), private use and
// surrogates, default-ignorable code points (fillers, variation selectors)
// and blankLetters.
func invisible(r rune) bool {
	return r == utf8.RuneError || unicode.IsSpace(r) || blankLetters[r] ||
		unicode.In(r, unicode.Z, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs,
			unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}
