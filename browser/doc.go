// Package browser holds what every browser-facing part of Gatehouse shares:
// the cookies (names, attributes, setting and clearing them), the
// same-origin and CSRF rules for cookie-authenticated requests, and CORS for
// --allowed-origins. The HTTP API, the HTML pages and the gateway use it so
// their cookie and CSRF behaviour cannot drift apart; it knows nothing of
// sessions or tokens beyond their string values.
package browser
