package web

import (
	_ "embed"
	"net/http"

	"github.com/gatehouse/gatehouse/web/static"
)

//go:embed assets/style.css
var styleCSS []byte

// serveScript serves gatehouse.js, the browser helper (package static), as
// an ES module. Pages import it from this origin; like the stylesheet it is
// the same for everyone.
func serveScript(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(static.GatehouseJS)
}

// serveStyle serves the one stylesheet. It is public and the same for
// everyone, so caches may keep it for an hour.
func serveStyle(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(styleCSS)
}
