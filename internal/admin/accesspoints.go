package admin

import (
	"context"
	"net/http"
	"time"
)

// AccessPointView is an access point as the admin API shows it.
type AccessPointView struct {
	Name    string    `json:"name"`
	Account string    `json:"account"`
	Bucket  string    `json:"bucket"`
	Alias   string    `json:"alias"`
	ARN     string    `json:"arn"`
	Created time.Time `json:"created"`
	// HasPolicy: the access point has a policy (see S3 Control's
	// GetAccessPointPolicy for the document).
	HasPolicy bool `json:"has_policy"`
}

// AccessPointLister lists the access points of an account ("" for every
// account), ordered by account and name.
type AccessPointLister func(ctx context.Context, account string) ([]AccessPointView, error)

// ServeAccessPoints serves GET accesspoints[?account=ID], for the
// operator's overview; accounts manage their own through S3 Control.
func (h *Handler) ServeAccessPoints(list AccessPointLister) {
	h.mux.HandleFunc("GET "+Prefix+"accesspoints", func(w http.ResponseWriter, r *http.Request) {
		aps, err := list(r.Context(), r.URL.Query().Get("account"))
		if err != nil {
			h.fail(w, err)
			return
		}
		if aps == nil {
			aps = []AccessPointView{}
		}
		writeJSON(w, http.StatusOK, aps)
	})
}
