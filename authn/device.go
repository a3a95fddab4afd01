package authn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// A device id is 16 random bytes and a 16-byte MAC binding them to the
// user, base64url: the server recognises a device this user has logged in
// on before without storing anything, nobody can make one for another
// user, and an id shown to one user means nothing for another. It is not a
// credential; it selects which session a login replaces and which
// rate-limit bucket a password attempt counts against.
const (
	deviceRand = 16
	deviceMAC  = 16
)

// deviceIDLen is the encoded length: 43 characters.
var deviceIDLen = base64.RawURLEncoding.EncodedLen(deviceRand + deviceMAC)

func (s *Service) newDeviceID(userID string) string {
	b := make([]byte, deviceRand, deviceRand+deviceMAC)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b = append(b, s.deviceTag(userID, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Service) deviceTag(userID string, r []byte) []byte {
	m := hmac.New(sha256.New, s.deviceKey)
	m.Write([]byte(userID))
	m.Write([]byte{0})
	m.Write(r)
	return m.Sum(nil)[:deviceMAC]
}

// knownDevice reports whether id is a device id the server issued to
// userID.
func (s *Service) knownDevice(userID, id string) bool {
	if len(id) != deviceIDLen || userID == "" {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(id)
	if err != nil || len(b) != deviceRand+deviceMAC {
		return false
	}
	return hmac.Equal(b[deviceRand:], s.deviceTag(userID, b[:deviceRand]))
}

// subkey derives a key for one use from the server's refresh secret.
func subkey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("gatehouse/" + label))
	return m.Sum(nil)
}
