// Package web serves Gatehouse's own HTML pages: login, signup, the
// session-limit choice, the account page (devices, logout, password change)
// and the password re-prompt of step-up actions. They are server-rendered
// (html/template, embedded), work without JavaScript, speak English and
// Korean, and hold the browser in a cookie session (authn.DeliveryCookie)
// with the cookie and CSRF rules of package browser, so the pages and the
// JSON API cannot disagree about them.
package web
