// Package webhook delivers Gatehouse audit events to an operator's HTTP(S)
// endpoint as signed JSON, from a bounded queue drained by one background
// worker so the request path never waits on the network.
//
// Each request carries a Stripe-style Gatehouse-Signature header (see Sign)
// that receivers check with Verify, and a Gatehouse-Event-Id header that stays
// the same across retries so receivers can deduplicate.
package webhook
