package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/tessera-s3/tessera/internal/fsck"
)

// FsckFunc runs a check of the server's own stores.
type FsckFunc func(ctx context.Context, opts fsck.Options) (*fsck.Report, error)

// FsckRequest is the body of POST fsck. The zero value asks for a quick,
// read-only check: nothing is removed unless Repair is set.
type FsckRequest struct {
	Deep     bool `json:"deep"`
	Repair   bool `json:"repair"`
	MaxItems int  `json:"max_items"`
}

// ServeFsck serves POST fsck, which runs check inside the server and
// answers with its fsck.Report (200 whatever it found; 500 when the check
// could not be completed). The check reads every record and, if deep,
// every blob: the answer comes when it is done.
func (h *Handler) ServeFsck(check FsckFunc) {
	h.mux.HandleFunc("POST "+Prefix+"fsck", func(w http.ResponseWriter, r *http.Request) {
		var in FsckRequest
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err == nil && len(body) > 0 {
			err = json.Unmarshal(body, &in)
		}
		if err != nil || in.MaxItems < 0 {
			writeErr(w, http.StatusBadRequest, `body must be {"deep": bool, "repair": bool, "max_items": n} (each optional)`)
			return
		}
		h.log.Info("admin: fsck started", "deep", in.Deep, "repair", in.Repair)
		rep, err := check(r.Context(), fsck.Options{Deep: in.Deep, Repair: in.Repair, MaxItems: in.MaxItems})
		if err != nil {
			h.log.Error("admin: fsck could not complete", "err", err)
			writeErr(w, http.StatusInternalServerError, "fsck could not complete: "+err.Error())
			return
		}
		h.log.Info("admin: fsck done", "problems", rep.Problems(), "repaired", rep.Repaired, "seconds", rep.Seconds)
		writeJSON(w, http.StatusOK, rep)
	})
}
