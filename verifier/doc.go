// Package verifier lets a resource server verify Gatehouse access tokens
// itself, without a call to Gatehouse per request, and still refuse a
// token within milliseconds of its user logging out.
//
// A Verifier keeps three things in memory: Gatehouse's public keys (the
// JWKS, refreshed in the background as its Cache-Control allows, and
// refetched when a token names an unknown key, at most once per
// MinRefreshInterval), the revocation set (followed from Gatehouse's
// GET /v1/revocations Server-Sent Events, resumed with Last-Event-ID after
// a disconnect, so nothing revoked meanwhile is missed), and a cache of
// verified tokens (a repeated token costs a map lookup, not a signature).
//
//	v, err := verifier.New(ctx, verifier.Options{
//		Issuer:    "https://auth.example.com",
//		Audience:  "gatehouse",
//		JWKSURL:   "https://auth.example.com/.well-known/jwks.json",
//		FeedURL:   "https://auth.example.com/v1/revocations",
//		FeedToken: os.Getenv("GATEHOUSE_FEED_TOKEN"),
//	})
//	if err != nil { ... }
//	mux.Handle("/api/", v.Middleware(api))
//	mux.Handle("/admin/", v.Middleware(v.RequireRole("admin")(admin)))
//
// Handlers read the caller with ClaimsFrom(r.Context()).
//
// When the feed has been unreachable longer than StaleAfter, the verifier
// no longer knows of every logout. StalePolicy decides: FailClosed (the
// default) refuses every token with ErrStale (Middleware answers 503) until
// the feed is back; KeepServing accepts tokens until they expire. OnStale
// and Stale report the condition either way.
//
// The package imports only Gatehouse's public token and credential
// packages, which parse tokens and credentials exactly as the server does.
package verifier
