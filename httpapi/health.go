package httpapi

import (
	"context"
	"net/http"
	"time"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz answers 503 with the reason while the store does not answer. With
// Options.Ready it reads the outcome of the app's background ping; else it
// pings the store itself (2 s at most).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	var err error
	if s.opt.Ready != nil {
		err = s.opt.Ready()
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		err = s.opt.Store.Ping(ctx)
	}
	if err != nil {
		s.log.Warn("not ready", "err", err)
		return errorf(http.StatusServiceUnavailable, "unavailable", "the store does not answer: "+err.Error())
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
