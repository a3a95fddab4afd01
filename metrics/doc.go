// Package metrics defines Gatehouse's Prometheus collectors, all prefixed
// gatehouse_, on a registry of their own so tests can build many servers.
//
// Counters whose labels are known in advance are resolved once, so counting
// on the verify path costs an atomic add and no map lookup.
package metrics
