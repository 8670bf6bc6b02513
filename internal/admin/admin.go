// Package admin is Tessera's administration API: accounts, access keys,
// usage and KMS keys, as JSON over HTTP under /_tessera/admin/v1/. Every request must be
// SigV4-signed by the root account; `tessera admin` is its client.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/kms"
	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

// Prefix is where the API is mounted.
const Prefix = "/_tessera/admin/v1/"

// BucketCounter tells how many buckets an account owns (an account that
// owns buckets cannot be removed).
type BucketCounter func(ctx context.Context, canonicalID string) (int, error)

// Handler serves the admin API.
type Handler struct {
	iam      *iam.Service
	kms      *kms.Service
	verifier *sigv4.Verifier
	buckets  BucketCounter
	now      func() time.Time
	log      *slog.Logger
	mux      *http.ServeMux
}

// New returns the admin API handler. keys may be nil: then the KMS
// endpoints are not served.
func New(svc *iam.Service, keys *kms.Service, verifier *sigv4.Verifier, buckets BucketCounter, now func() time.Time, log *slog.Logger) *Handler {
	if now == nil {
		now = time.Now
	}
	h := &Handler{iam: svc, kms: keys, verifier: verifier, buckets: buckets, now: now, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+Prefix+"accounts", h.listAccounts)
	h.mux.HandleFunc("POST "+Prefix+"accounts", h.createAccount)
	h.mux.HandleFunc("DELETE "+Prefix+"accounts/{id}", h.removeAccount)
	h.mux.HandleFunc("GET "+Prefix+"accounts/{id}/keys", h.listKeys)
	h.mux.HandleFunc("POST "+Prefix+"accounts/{id}/keys", h.createKey)
	h.mux.HandleFunc("GET "+Prefix+"accounts/{id}/usage", h.usage)
	h.mux.HandleFunc("POST "+Prefix+"keys/{key}/disable", h.setDisabled(true))
	h.mux.HandleFunc("POST "+Prefix+"keys/{key}/enable", h.setDisabled(false))
	h.mux.HandleFunc("DELETE "+Prefix+"keys/{key}", h.deleteKey)
	if keys != nil {
		h.routeKMS()
	}
	return h
}

// ServeHTTP authenticates the root account, then routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, err := h.verifier.Verify(r)
	if err != nil {
		writeErr(w, http.StatusForbidden, errMessage(err))
		return
	}
	if res.Anonymous || res.Credential.AccountID != h.iam.Root().ID {
		writeErr(w, http.StatusForbidden, "the admin API requires the root account's credentials")
		return
	}
	r = r.WithContext(r.Context()) // a copy: never replace the server's own body
	r.Body = res.Body
	h.mux.ServeHTTP(w, r)
}

func errMessage(err error) string {
	if e, ok := s3err.As(err); ok {
		return string(e.Code) + ": " + e.Message
	}
	return err.Error()
}

type errorBody struct {
	Error string `json:"error"`
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// fail maps service errors to statuses; secrets never appear in messages.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, iam.ErrNotFound):
		writeErr(w, http.StatusNotFound, err.Error())
	case errors.Is(err, iam.ErrExists):
		writeErr(w, http.StatusConflict, err.Error())
	case errors.Is(err, iam.ErrRoot):
		writeErr(w, http.StatusForbidden, err.Error())
	case errors.Is(err, kms.ErrNotFound):
		writeErr(w, http.StatusNotFound, err.Error())
	case errors.Is(err, kms.ErrManaged):
		writeErr(w, http.StatusForbidden, err.Error())
	case errors.Is(err, kms.ErrInvalid):
		writeErr(w, http.StatusBadRequest, err.Error())
	default:
		h.log.Error("admin API", "err", err)
		writeErr(w, http.StatusInternalServerError, "internal error")
	}
}

// AccountView is an account as the API shows it.
type AccountView struct {
	ID          string    `json:"id"`
	CanonicalID string    `json:"canonical_id"`
	Name        string    `json:"name"`
	Created     time.Time `json:"created"`
	Root        bool      `json:"root,omitempty"`
}

// CreatedAccount answers account creation: the account and its first key.
type CreatedAccount struct {
	Account AccountView `json:"account"`
	Key     iam.Key     `json:"key"`
}

func (h *Handler) view(a iam.Account) AccountView {
	return AccountView{ID: a.ID, CanonicalID: a.CanonicalID, Name: a.Name, Created: a.Created, Root: a.ID == h.iam.Root().ID}
}

func (h *Handler) listAccounts(w http.ResponseWriter, r *http.Request) {
	out := []AccountView{}
	for _, a := range h.iam.Accounts() {
		out = append(out, h.view(a))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil || in.Name == "" {
		writeErr(w, http.StatusBadRequest, `body must be {"name": "<display name>"}`)
		return
	}
	a, k, err := h.iam.CreateAccount(r.Context(), in.Name, h.now())
	if err != nil {
		if errors.Is(err, iam.ErrExists) {
			h.fail(w, err)
			return
		}
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	h.log.Info("admin: account created", "account", a.ID, "name", a.Name, "access_key", k.AccessKeyID)
	writeJSON(w, http.StatusCreated, CreatedAccount{Account: h.view(a), Key: k})
}

func (h *Handler) removeAccount(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a, err := h.iam.Account(id)
	if err != nil {
		h.fail(w, err)
		return
	}
	if n, err := h.buckets(r.Context(), a.CanonicalID); err != nil {
		h.fail(w, err)
		return
	} else if n > 0 {
		writeErr(w, http.StatusConflict, "the account owns buckets; delete them first")
		return
	}
	if err := h.iam.RemoveAccount(r.Context(), id); err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("admin: account removed", "account", id)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := h.iam.Account(id); err != nil {
		h.fail(w, err)
		return
	}
	keys := h.iam.Keys(id)
	if keys == nil {
		keys = []iam.Key{}
	}
	writeJSON(w, http.StatusOK, keys)
}

func (h *Handler) createKey(w http.ResponseWriter, r *http.Request) {
	k, err := h.iam.CreateKey(r.Context(), r.PathValue("id"), h.now())
	if err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("admin: key created", "account", k.AccountID, "access_key", k.AccessKeyID)
	writeJSON(w, http.StatusCreated, k)
}

func (h *Handler) usage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := h.iam.Account(id); err != nil {
		h.fail(w, err)
		return
	}
	u, err := h.iam.Usage(r.Context(), id)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (h *Handler) setDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("key")
		if err := h.iam.SetKeyDisabled(r.Context(), key, disabled); err != nil {
			h.fail(w, err)
			return
		}
		h.log.Info("admin: key changed", "access_key", key, "disabled", disabled)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (h *Handler) deleteKey(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if err := h.iam.DeleteKey(r.Context(), key); err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("admin: key deleted", "access_key", key)
	w.WriteHeader(http.StatusNoContent)
}
