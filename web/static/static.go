package static

import _ "embed"

// GatehouseJS is gatehouse.js, to be served at /gatehouse.js with
// Content-Type text/javascript (see docs/browser-js.md).
//
//go:embed gatehouse.js
var GatehouseJS []byte
