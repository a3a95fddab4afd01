// Package openapi holds the OpenAPI 3.1 description of Gatehouse's HTTP
// API (openapi.yaml, the one copy: the server serves it at
// GET /v1/openapi.yaml and docs link to it) and a small checker that the
// project's tests use to hold real answers to it.
//
// The checker knows the subset of JSON Schema the document uses: type
// (one or a list), enum, const, properties, required,
// additionalProperties, items, oneOf, anyOf and local $ref. Tests pair it
// with a full validator in package openapitest, which the server does not
// link.
package openapi

import _ "embed"

// YAML is the document.
//
//go:embed openapi.yaml
var YAML []byte
