package verifier_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/gatehouse/gatehouse/token"
	"github.com/gatehouse/gatehouse/verifier"
)

// A resource server with one route for any signed-in user and one for
// admins.
func Example() {
	ctx := context.Background()
	v, err := verifier.New(ctx, verifier.Options{
		Issuer:      "https://auth.example.com",
		Audience:    "gatehouse",
		JWKSURL:     "https://auth.example.com/.well-known/jwks.json",
		FeedURL:     "https://auth.example.com/v1/revocations",
		FeedToken:   os.Getenv("GATEHOUSE_FEED_TOKEN"),
		StaleAfter:  15 * time.Minute, // Gatehouse's --access-ttl
		StalePolicy: verifier.FailClosed,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	mux := http.NewServeMux()
	mux.Handle("/hello", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "hello %s\n", c.Username)
	})))
	mux.Handle("/admin", v.Middleware(v.RequireRole("admin")(http.NotFoundHandler())))
	log.Fatal(http.ListenAndServe("127.0.0.1:9000", mux))
}

// Verify without HTTP (a token from a message queue, say). This one runs:
// a stand-in JWKS server publishes one Ed25519 key and no feed is followed.
func ExampleVerifier_Verify() {
	key, jwks := exampleJWKS()
	defer jwks.Close()
	v, err := verifier.New(context.Background(), verifier.Options{
		Issuer: "https://auth.example.com", Audience: "gatehouse", JWKSURL: jwks.URL,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	now := time.Now()
	tok, _ := token.Mint(key, &token.Claims{Issuer: "https://auth.example.com", Audience: "gatehouse",
		Subject: "user-1", SessionID: "session-1", ID: "jti-1", Roles: []string{"admin"},
		IssuedAt: now, ExpiresAt: now.Add(time.Minute)})

	c, err := v.Verify(context.Background(), tok)
	fmt.Println(c.Subject, c.SessionID, c.Roles, err)
	_, err = v.Verify(context.Background(), tok[:len(tok)-4]+"AAAA")
	fmt.Println(errors.Is(err, verifier.ErrInvalid))
	// Output:
	// user-1 session-1 [admin] <nil>
	// true
}

// exampleJWKS serves a JWKS of one fresh Ed25519 key, as Gatehouse's
// /.well-known/jwks.json does.
func exampleJWKS() (*token.Key, *httptest.Server) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	k := &token.Key{Alg: token.AlgEdDSA, Method: token.MethodFor(token.AlgEdDSA), Sign: priv, Verify: pub}
	j, _ := token.PublicJWK(k)
	k.ID, _ = token.Thumbprint(j)
	j.Kid = k.ID
	body, _ := json.Marshal(map[string]any{"keys": []token.JWK{j}})
	return k, httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
}
