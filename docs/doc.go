// Package docs holds the project's guides (Markdown, read on the forge)
// and the one Go-visible document among them: openapi.yaml, the OpenAPI
// 3.1 description of the HTTP API, embedded here so the server can serve
// it (GET /v1/openapi.yaml) from the very file the guides link to.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
