// Package dpopinterop holds no code, only tests: Gatehouse's DPoP (RFC
// 9449) against an independent implementation. Node runs panva's dpop and
// jose packages, vendored as tarballs under testdata (their integrity is
// checked against testdata/package-lock.json, so no registry is needed):
// proofs they make must pass Gatehouse's checker and token endpoints, and
// proofs Gatehouse's Go client makes must pass jose.
package dpopinterop
