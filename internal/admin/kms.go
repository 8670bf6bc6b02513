package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/kms"
)

// KMS key endpoints:
//
//	POST kms/keys                 {"account_id": "…", "description": "…"} → 201 KeyView (account_id "" = root)
//	GET  kms/keys[?account=ID]    → []KeyView
//	GET  kms/keys/{id}            → KeyView ({id} is a key ID)
//	POST kms/keys/{id}/disable    → 204
//	POST kms/keys/{id}/enable     → 204
//	PUT  kms/keys/{id}/policy     body: the key policy JSON → 204
//	GET  kms/keys/{id}/policy     → KeyPolicyView
//	POST kms/keys/{id}/rotate     → 200 KeyView (a new key version; existing
//	                                data keys re-sealed under it before the answer)
func (h *Handler) routeKMS() {
	h.mux.HandleFunc("POST "+Prefix+"kms/keys", h.createKMSKey)
	h.mux.HandleFunc("GET "+Prefix+"kms/keys", h.listKMSKeys)
	h.mux.HandleFunc("GET "+Prefix+"kms/keys/{id}", h.getKMSKey)
	h.mux.HandleFunc("POST "+Prefix+"kms/keys/{id}/disable", h.setKMSKeyEnabled(false))
	h.mux.HandleFunc("POST "+Prefix+"kms/keys/{id}/enable", h.setKMSKeyEnabled(true))
	h.mux.HandleFunc("PUT "+Prefix+"kms/keys/{id}/policy", h.putKMSKeyPolicy)
	h.mux.HandleFunc("GET "+Prefix+"kms/keys/{id}/policy", h.getKMSKeyPolicy)
	h.mux.HandleFunc("POST "+Prefix+"kms/keys/{id}/rotate", h.rotateKMSKey)
}

// KeyView is a KMS key as the API shows it. Manager is KMS's KeyManager:
// "AWS" for an account's aws/s3 key, else "CUSTOMER".
type KeyView struct {
	ID          string    `json:"id"`
	ARN         string    `json:"arn"`
	AccountID   string    `json:"account_id"`
	Alias       string    `json:"alias,omitempty"` // "alias/aws/s3" for the managed key
	Description string    `json:"description"`
	Enabled     bool      `json:"enabled"`
	Manager     string    `json:"manager"`
	HasPolicy   bool      `json:"has_policy"`
	Created     time.Time `json:"created"`
	// Version is the key version new data keys are sealed under (0 until
	// the first rotation); RotatedAt when it was made. ResealedVersion is
	// the newest version whose re-seal finished, Resealed how many data
	// keys that re-seal rewrote; ResealPending is true while data keys may
	// remain under an older version (a rotation whose re-seal failed).
	Version         uint32     `json:"version"`
	RotatedAt       *time.Time `json:"rotated_at,omitempty"`
	ResealedVersion uint32     `json:"resealed_version"`
	Resealed        int        `json:"resealed"`
	ResealPending   bool       `json:"reseal_pending"`
}

// KeyPolicyView answers a key policy read; Policy is null when the key
// has none (then only the key's own account may use it).
type KeyPolicyView struct {
	KeyID  string          `json:"key_id"`
	ARN    string          `json:"arn"`
	Policy json.RawMessage `json:"policy"`
}

func (h *Handler) keyView(k kms.Key) KeyView {
	v := KeyView{ID: k.ID, ARN: h.kms.ARN(k), AccountID: k.AccountID, Description: k.Description,
		Enabled: k.Enabled, Manager: "CUSTOMER", HasPolicy: k.Policy != nil, Created: k.Created,
		Version: k.Version, RotatedAt: k.RotatedAt, ResealedVersion: k.ResealedVersion, Resealed: k.Resealed, ResealPending: k.ResealPending()}
	if k.Managed() {
		v.Alias, v.Manager = "alias/"+k.Alias, "AWS"
	}
	return v
}

func (h *Handler) createKMSKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AccountID   string `json:"account_id"`
		Description string `json:"description"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, `body must be {"account_id": "<account ID, empty for root>", "description": "<text>"}`)
		return
	}
	if in.AccountID == "" {
		in.AccountID = h.iam.Root().ID
	}
	if _, err := h.iam.Account(in.AccountID); err != nil {
		h.fail(w, err)
		return
	}
	k, err := h.kms.Create(r.Context(), in.AccountID, in.Description)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("admin: KMS key created", "account", k.AccountID, "key", k.ID)
	writeJSON(w, http.StatusCreated, h.keyView(k))
}

func (h *Handler) listKMSKeys(w http.ResponseWriter, r *http.Request) {
	account := r.URL.Query().Get("account")
	if account != "" {
		if _, err := h.iam.Account(account); err != nil {
			h.fail(w, err)
			return
		}
	}
	out := []KeyView{}
	for _, k := range h.kms.List(account) {
		out = append(out, h.keyView(k))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) getKMSKey(w http.ResponseWriter, r *http.Request) {
	k, err := h.kms.Get(r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, h.keyView(k))
}

func (h *Handler) setKMSKeyEnabled(enabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := h.kms.SetEnabled(r.Context(), id, enabled); err != nil {
			h.fail(w, err)
			return
		}
		h.log.Info("admin: KMS key changed", "key", id, "enabled", enabled)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (h *Handler) putKMSKeyPolicy(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	// One byte over the limit is enough for the parser to refuse the size.
	doc, err := io.ReadAll(io.LimitReader(r.Body, iam.MaxKeyPolicySize+1))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "reading the policy: "+err.Error())
		return
	}
	if err := h.kms.PutPolicy(r.Context(), id, doc); err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("admin: KMS key policy set", "key", id)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) getKMSKeyPolicy(w http.ResponseWriter, r *http.Request) {
	k, err := h.kms.Get(r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, KeyPolicyView{KeyID: k.ID, ARN: h.kms.ARN(k), Policy: k.Policy})
}

// rotateKMSKey rotates a key and re-seals its data keys synchronously (see
// kms.Service.Rotate for why). A re-seal that fails after the new version
// was stored answers 500 with the reason; the key then shows
// reseal_pending, and rotating again finishes the job.
func (h *Handler) rotateKMSKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	k, err := h.kms.Rotate(r.Context(), id)
	if err != nil {
		if k.ID == "" {
			h.fail(w, err)
			return
		}
		h.log.Error("admin: KMS key rotation did not finish", "key", id, "version", k.Version, "err", err)
		writeErr(w, http.StatusInternalServerError, err.Error())
		return
	}
	h.log.Info("admin: KMS key rotated", "key", k.ID, "version", k.Version, "resealed", k.Resealed)
	writeJSON(w, http.StatusOK, h.keyView(k))
}
