package dpop

import "errors"

// Algs are the proof algorithms Gatehouse accepts, in the order the
// WWW-Authenticate algs parameter and the discovery document
// (dpop_signing_alg_values_supported) list them.
var Algs = []string{"ES256", "EdDSA"}

// AlgEd25519 is RFC 9864's fully-specified name for EdDSA with Ed25519.
// Proofs that carry it are accepted as EdDSA; it is not advertised (API.md
// lists ES256 and EdDSA), so clients that read Algs send EdDSA.
const AlgEd25519 = "Ed25519"

const algsParam = `algs="ES256 EdDSA"`

// Challenge is the value of a WWW-Authenticate header for the DPoP scheme
// (RFC 9449 §7.1): with error="<code>" when code is not empty.
func Challenge(code string) string {
	if code == "" {
		return "DPoP " + algsParam
	}
	return `DPoP error="` + code + `", ` + algsParam
}

// Code is the API error code of a proof error: "use_dpop_nonce" for
// ErrUseNonce, "invalid_dpop_proof" for every other proof error, "" for an
// error that is not about the proof.
func Code(err error) string {
	switch {
	case errors.Is(err, ErrUseNonce):
		return "use_dpop_nonce"
	case IsProofError(err):
		return "invalid_dpop_proof"
	}
	return ""
}
