package store

import (
	"strings"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// Usernames have one spelling: the PRECIS UsernameCaseMapped form (RFC 8265:
// width-mapped, case-folded, NFC). Every backend keys users on
// NormalizeUsername and refuses a second account whose UsernameSkeleton is
// taken, so these three functions are the only definition of "the same name"
// and of "a name that looks the same".
//
// Backends store both values, so they depend on the Unicode tables of
// golang.org/x/text and github.com/mtibben/confusables: when an upgrade
// changes them, stored keys and skeletons must be recomputed (as the
// sqlitestore migration 0004 backfill does).

// legacyMark starts the key of a name PRECIS refuses. Such names can only
// come from accounts created before usernames were mapped (signup refuses
// them); the mark keeps their keys apart from every PRECIS form, which never
// contains a space.
const legacyMark = " "

// MapUsername returns the PRECIS UsernameCaseMapped form of s, or an error
// if the profile refuses s (spaces, symbols, compatibility characters,
// invisible letters, a bidi mix). Signup stores this form as the username.
func MapUsername(s string) (string, error) {
	return precis.UsernameCaseMapped.String(s)
}

// NormalizeUsername is the key usernames are unique on and looked up by:
// MapUsername(s), or, for a name PRECIS refuses, the legacy key (Unicode
// simple case folding behind legacyMark), so accounts from before the
// mapping still log in with the spelling they signed up with. It is stable:
// NormalizeUsername(MapUsername(s)) == NormalizeUsername(s).
func NormalizeUsername(s string) string {
	if m, err := MapUsername(s); err == nil {
		return m
	}
	return legacyMark + legacyFold(s)
}

// legacyFold is the case folding usernames were keyed on before PRECIS:
// ToLower after ToUpper.
func legacyFold(s string) string {
	return strings.ToLower(strings.ToUpper(s))
}

// UsernameSkeleton is the Unicode confusable skeleton (UTS #39) of the name
// s is keyed on, after case folding: two names with one skeleton look alike
// ("admin" in Latin and "аdmin" with a Cyrillic а, "paypal" and "paypa1"),
// and only the first of them gets an account. The skeleton may contain
// capitals (prototypes such as "O" for "0"), so it is folded and skeletonised
// again until it is stable: "g00gle" and "google" then share one.
func UsernameSkeleton(s string) string {
	// NFKC changes no PRECIS form; it gives a legacy name its width and
	// compatibility mapping, which PRECIS did not.
	k := norm.NFKC.String(strings.TrimPrefix(NormalizeUsername(s), legacyMark))
	fold := cases.Fold()
	for range 4 {
		next := fold.String(confusables.Skeleton(k))
		if next == k {
			break
		}
		k = next
	}
	return k
}
