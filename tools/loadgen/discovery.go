package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"
)

// discovery serves OpenID Connect discovery for an issuer whose keys are a
// Gatehouse's JWKS, so a reference server that only speaks OIDC (oauth2-proxy
// with --skip-jwt-bearer-tokens) verifies Gatehouse's access tokens the way
// it verifies a provider's ID tokens. It is needed because Gatehouse's own
// discovery document lists no id_token_signing_alg_values_supported (it
// issues no ID tokens), and go-oidc, oauth2-proxy's verifier, then accepts
// RS256 only; this one names -alg. Gatehouse must run with
// --issuer http://<-addr>, so that the tokens' iss is this issuer. The
// authorization and token endpoints are listed because oauth2-proxy's OIDC
// provider requires them; nothing ever calls them in a bearer-token run.
func discovery(args []string) error {
	fs := flag.NewFlagSet("discovery", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9092", "listen address (loopback only); the issuer is http://<addr>")
	jwks := fs.String("jwks", "http://127.0.0.1:8080/.well-known/jwks.json", "Gatehouse's JWKS URL (loopback only)")
	alg := fs.String("alg", "EdDSA", "the signing algorithm to advertise")
	life := fs.Duration("d", 30*time.Minute, "stop after this long")
	fs.Parse(args)
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	if err := errors.Join(loopbackHost(host, *addr), loopbackURL(*jwks)); err != nil {
		return err
	}
	iss := "http://" + *addr
	doc, err := json.Marshal(map[string]any{
		"issuer":                                iss,
		"jwks_uri":                              *jwks,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{*alg},
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	})
	return serveFor(*addr, mux, *life, fmt.Sprintf("discovery: issuer %s, keys %s, alg %s, for at most %s\n", iss, *jwks, *alg, *life))
}
