package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// Refuse answers a request the server will not serve — too many in flight,
// headers too large — with e, as ServeHTTP answers errors (request ID, XML
// body), without authenticating it or reading its body. The action is
// still recorded for OpName, so refusals show in metrics by action.
func (h *Handler) Refuse(w http.ResponseWriter, r *http.Request, e *s3err.Error) {
	reqID := newRequestID()
	w.Header().Set("x-amz-request-id", reqID)
	w.Header().Set("x-amz-id-2", hostID(reqID))
	w.Header().Set("Server", "Tessera")
	if op, err := parse(r, h.cfg.Domains); err == nil {
		if p, ok := r.Context().Value(opKey{}).(*string); ok {
			*p = string(op.Kind)
		}
	}
	writeError(w, r, h.log, e)
}
