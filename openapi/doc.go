// Package openapi gives access to the OpenAPI 3.1 description of
// Gatehouse's HTTP API (docs/openapi.yaml, the one copy, embedded by
// package docs: the server serves it at GET /v1/openapi.yaml) and a small
// checker that the project's tests use to hold real answers to it.
//
// The checker knows the subset of JSON Schema the document uses: type
// (one or a list), enum, const, properties, required,
// additionalProperties, items, oneOf, anyOf and local $ref. Tests pair it
// with a full validator in package openapitest, which the server does not
// link.
package openapi

import "github.com/gatehouse/gatehouse/docs"

// YAML is the document.
var YAML = docs.OpenAPI
