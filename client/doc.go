// Package client is the Go client of Gatehouse's HTTP API: one typed
// method per endpoint, and an http.RoundTripper (Transport) that presents
// the access token and, when it has expired, refreshes it once for every
// concurrent request and retries. Tokens live in a TokenStore (MemoryStore,
// or FileStore for command-line tools that keep a login between runs).
//
// It imports only the standard library, so any Go program can use it
// without pulling in the server.
//
//	c := client.New("https://auth.example.com")
//	if _, err := c.Login(ctx, "alice", "correct horse battery"); err != nil {
//		return err
//	}
//	me, err := c.Me(ctx) // refreshes the access token when it expires
//
// With WithDPoP the client binds its logins to a private key it keeps
// with the tokens (RFC 9449, DPoP): every request and refresh then carries
// a proof signed with it, so stolen tokens are useless without the key.
//
// Errors from the server are *Error values; test them against this
// package's sentinels with errors.Is (errors.Is(err, client.ErrTokenRevoked)).
// When the refresh token is spent or the session has ended, calls return
// ErrLoggedOut and the store's tokens are cleared: log in again.
package client
