package authn

import (
	"context"

	"golang.org/x/text/secure/precis"
)

// Passwords are hashed and compared in one form, PRECIS OpaqueString
// (RFC 8265 §4.2: non-ASCII spaces become U+0020, then NFC), so a password
// typed with a precomposed "é" on one device and a decomposed one on another
// is one password. Hashes stored before this rule were made from the bytes as
// typed: they still verify, and are replaced by a hash of the normal form at
// the first login that proves them (checkUserPassword).

// passwordForm is the OpaqueString form of pw, or an error for a password
// the profile refuses (control characters, unassigned code points).
func passwordForm(pw string) (string, error) {
	return precis.OpaqueString.String(pw)
}

// presentedForms lists the forms of a presented password to verify, in
// order: the normal form, then the bytes as given when they differ (a hash
// from before normalization). A password OpaqueString refuses cannot be a
// new one but may be an old one, so it is tried as given, alone. The first
// form is the one a rehash stores. Known and unknown users verify the same
// list, so the number of hashes does not tell them apart.
func presentedForms(pw string) []string {
	form, err := passwordForm(pw)
	if err != nil || form == pw {
		return []string{pw}
	}
	return []string{form, pw}
}

// hashPassword hashes a new password (checked by checkPassword) in its
// normal form.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	form, err := passwordForm(pw)
	if err != nil {
		return "", invalid("password", "must not contain control or unassigned characters")
	}
	hash, err := s.Hasher.Hash(ctx, []byte(form))
	if err != nil {
		return "", s.hashErr(err)
	}
	return hash, nil
}
