package s3api

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// payerRequester is the stored requestPayment document of a Requester Pays
// bucket; a bucket without the document is paid by its owner.
const payerRequester = "Requester"

func (h *Handler) putBucketPolicy(q *request) error {
	data, err := io.ReadAll(io.LimitReader(q.auth.Body, iam.MaxPolicySize+1))
	if err != nil {
		if _, ok := s3err.As(err); ok {
			return err
		}
		return s3err.New(s3err.IncompleteBody)
	}
	if len(data) > iam.MaxPolicySize {
		// Only the limit was read: a digest of it would not match.
		_, err := iam.ParsePolicy(data, q.op.Bucket)
		var pe *iam.PolicyError
		if errors.As(err, &pe) {
			return s3err.Newf(s3err.MalformedPolicy, "%s", pe.Msg)
		}
		return err
	}
	if err := verifySmallBody(q, data, true); err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 || strings.TrimSpace(string(data))[0] != '{' {
		return s3err.New(s3err.MalformedPolicy)
	}
	p, err := iam.ParsePolicy(data, q.op.Bucket)
	if err != nil {
		var pe *iam.PolicyError
		if errors.As(err, &pe) {
			return s3err.Newf(s3err.MalformedPolicy, "%s", pe.Msg)
		}
		return err
	}
	if err := h.checkPublicPolicy(q, p); err != nil {
		return err
	}
	if err := h.cfg.Engine.PutBucketConfig(q.ctx(), q.op.Bucket, policyDoc, data); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getBucketPolicy(q *request) error {
	doc, err := h.cfg.Engine.BucketConfig(q.ctx(), q.op.Bucket, policyDoc)
	if err != nil {
		return err
	}
	if doc == nil {
		return s3err.New(s3err.NoSuchBucketPolicy).With("BucketName", q.op.Bucket)
	}
	q.w.Header().Set("Content-Type", "application/json")
	q.w.WriteHeader(http.StatusOK)
	q.w.Write(doc)
	return nil
}

func (h *Handler) deleteBucketPolicy(q *request) error {
	if err := h.cfg.Engine.DeleteBucketConfig(q.ctx(), q.op.Bucket, policyDoc); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type requestPaymentConfiguration struct {
	XMLName xml.Name `xml:"RequestPaymentConfiguration"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Payer   string   `xml:"Payer"`
}

func (h *Handler) putBucketRequestPayment(q *request) error {
	var cfg requestPaymentConfiguration
	if _, err := readXMLBody(q, &cfg, 64<<10, false); err != nil {
		return err
	}
	switch cfg.Payer {
	case payerRequester:
		if err := h.cfg.Engine.PutBucketConfig(q.ctx(), q.op.Bucket, requestPaymentDoc, []byte(payerRequester)); err != nil {
			return err
		}
	case "BucketOwner":
		if err := h.cfg.Engine.DeleteBucketConfig(q.ctx(), q.op.Bucket, requestPaymentDoc); err != nil {
			return err
		}
	default:
		return s3err.New(s3err.MalformedXML)
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketRequestPayment(q *request) error {
	doc, err := h.cfg.Engine.BucketConfig(q.ctx(), q.op.Bucket, requestPaymentDoc)
	if err != nil {
		return err
	}
	payer := "BucketOwner"
	if string(doc) == payerRequester {
		payer = payerRequester
	}
	writeXML(q.w, http.StatusOK, requestPaymentConfiguration{NS: s3NS, Payer: payer})
	return nil
}
