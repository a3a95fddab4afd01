package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// refserver is the ceiling for /v1/verify: golang-jwt's ParseWithClaims on
// the bearer token with the server's published Ed25519 keys, 200 or 401,
// and nothing else (no claim rules beyond the library's, no revocation
// check, no metrics, no JSON body).
func refserver(args []string) error {
	fs := flag.NewFlagSet("refserver", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address (loopback only)")
	jwksURL := fs.String("jwks", "http://127.0.0.1:8080/.well-known/jwks.json", "JWKS to take the Ed25519 keys from (loopback only)")
	life := fs.Duration("d", 30*time.Minute, "stop after this long")
	fs.Parse(args)
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	if err := errors.Join(loopbackHost(host, *addr), loopbackURL(*jwksURL)); err != nil {
		return err
	}
	keys, err := fetchEd25519(*jwksURL)
	if err != nil {
		return err
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}))
	keyfunc := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, errors.New("unknown kid")
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearerToken(r.Header.Get("Authorization"))
		var claims jwt.RegisteredClaims
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if _, err := parser.ParseWithClaims(tok, &claims, keyfunc); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Auth-User-Id", claims.Subject)
		w.WriteHeader(http.StatusOK)
	})
	return serveFor(*addr, h, *life, fmt.Sprintf("refserver: %d key(s), listening on %s for at most %s\n", len(keys), *addr, *life))
}

func bearerToken(h string) (string, bool) {
	const p = "Bearer "
	if len(h) <= len(p) || h[:len(p)] != p {
		return "", false
	}
	return h[len(p):], true
}

// fetchEd25519 returns the JWKS's Ed25519 public keys by kid.
func fetchEd25519(url string) (map[string]ed25519.PublicKey, error) {
	resp, err := newClient(1, 10*time.Second).Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, Kty, Crv, X string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Kty == "OKP" && k.Crv == "Ed25519" && err == nil && len(x) == ed25519.PublicKeySize {
			keys[k.Kid] = ed25519.PublicKey(x)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no Ed25519 keys", url)
	}
	return keys, nil
}
