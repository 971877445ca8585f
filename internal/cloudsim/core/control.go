package core

import "net/http"

// routesControl serves the emulator's own introspection under /_sim/, for people
// running `trustjob sim`: the request log and counters. It needs no token (the
// emulator listens on loopback only) and is not itself logged, so reading the
// log does not change it.
func (s *Server) routesControl() {
	s.mux.HandleFunc("GET /_sim/requests", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]any{"counts": s.log.Counts(), "requests": s.log.Entries()})
	})
}
