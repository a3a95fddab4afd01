package web

import (
	_ "embed"
	"net/http"
)

//go:embed assets/style.css
var styleCSS []byte

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
