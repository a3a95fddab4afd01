package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

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

// Verify without HTTP: a token from a message queue, say.
func ExampleVerifier_Verify() {
	var v *verifier.Verifier // from verifier.New
	var tok string
	if v == nil {
		return
	}
	c, err := v.Verify(context.Background(), tok)
	switch {
	case err == nil:
		fmt.Println("user", c.Subject, "session", c.SessionID)
	case errors.Is(err, verifier.ErrRevoked):
		fmt.Println("logged out")
	}
}
