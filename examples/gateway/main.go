// Command gateway is the upstream of the gateway example: a stateless
// "whoami" server that trusts the identity Gatehouse forwards. It must only
// be reachable through Gatehouse (here: it listens on loopback).
package main

import (
	"encoding/json"
	"log"
	"net/http"
)

func main() {
	log.Fatal(http.ListenAndServe("127.0.0.1:9000", whoami()))
}

// whoami answers with the identity Gatehouse put on the request.
func whoami() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"path":       r.URL.Path,
			"user_id":    r.Header.Get("X-Auth-User-Id"),
			"username":   r.Header.Get("X-Auth-Username"),
			"roles":      r.Header.Get("X-Auth-Roles"),
			"session_id": r.Header.Get("X-Auth-Session-Id"),
			"has_token":  len(r.Header.Get("Authorization")) > len("Bearer "),
			"cookie":     r.Header.Get("Cookie"),
		})
	})
}
