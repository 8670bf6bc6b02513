package s3api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// newRequestID returns a fresh request ID (16 upper-case hex characters, as S3).
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return string(bytes.ToUpper([]byte(hex.EncodeToString(b[:]))))
}

func hostID(reqID string) string {
	return base64.StdEncoding.EncodeToString([]byte("tessera/" + reqID))
}

// writeXML writes v as an XML document with the status.
func writeXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(body)
}

type errorBody struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	// Message is omitted when empty: S3 sends no Message for some errors
	// (InvalidArgument for an unknown x-amz-acl, research12 §3.3).
	Message   string `xml:"Message,omitempty"`
	Inner     []byte `xml:",innerxml"`
	Resource  string `xml:"Resource,omitempty"`
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

// writeError is the one place an error becomes a response (the S3 Control
// API writes its own envelope around the same answer: control.go).
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := answerFor(w, r, log, err)
	for k, v := range e.Header {
		w.Header().Set(k, v)
	}
	status := e.Status()
	if r.Method == http.MethodHead || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	writeXML(w, status, errorBody{
		Code: string(e.Code), Message: e.Message, Inner: fieldsXML(e),
		Resource: r.URL.Path, RequestID: w.Header().Get("x-amz-request-id"), HostID: w.Header().Get("x-amz-id-2"),
	})
}

// fieldsXML is an error's extra fields as XML elements (<BucketName>…).
func fieldsXML(e *s3err.Error) []byte {
	var inner bytes.Buffer
	for _, f := range e.Fields {
		inner.WriteString("<" + f.Name + ">")
		xml.EscapeText(&inner, []byte(f.Value))
		inner.WriteString("</" + f.Name + ">")
	}
	return inner.Bytes()
}

// answerFor is the S3 error for err: an S3 error keeps its code, the
// metadata store being away is 503 ServiceUnavailable, a full disk its
// 503, anything else is logged and becomes InternalError.
func answerFor(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) *s3err.Error {
	if e, ok := s3err.As(err); ok {
		return e
	}
	reqID := w.Header().Get("x-amz-request-id")
	if u, down := engine.Unavailable(err); down {
		// The database is away: the client retries; the operator sees
		// readiness fail and this once per request.
		log.Warn("metadata store unavailable", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "err", err)
		return u
	}
	if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads this answer.
		return s3err.New(s3err.RequestTimeout)
	}
	if full, isFull := s3err.NoSpace(err); isFull {
		log.Warn("storage full", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "err", err)
		return full
	}
	log.Error("internal error", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "err", err)
	return s3err.New(s3err.InternalError)
}
