package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// The S3 Control API for access points, served on the S3 port. The SDKs
// send it to "{AccountId}.<endpoint host>" (aws-sdk-go-v2's s3control
// endpoint rules prepend the account ID to a custom endpoint's host) with
// an x-amz-account-id header and /v20180820/accesspoint paths, signed for
// service "s3"; Tessera routes it by the header and the path, whatever the
// host.

const (
	controlPrefix = "/v20180820/accesspoint"
	controlNS     = "http://awss3control.amazonaws.com/doc/2018-08-20/"
)

// isControl reports whether a request is an S3 Control access point call.
func isControl(r *http.Request) bool {
	p := r.URL.Path
	return r.Header.Get("x-amz-account-id") != "" && (p == controlPrefix || strings.HasPrefix(p, controlPrefix+"/"))
}

// controlError is S3 Control's error body: S3's <Error> wrapped in
// <ErrorResponse>, request and host IDs outside it (aws-sdk-go-v2's
// s3control deserializers read errors with IsWrappedWithErrorTag).
type controlError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Error     controlErrorDetail
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

type controlErrorDetail struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message,omitempty"`
	Inner   []byte `xml:",innerxml"`
}

// serveControl answers an S3 Control call, errors included.
func (h *Handler) serveControl(w http.ResponseWriter, r *http.Request) {
	err := h.control(w, r)
	if err == nil {
		return
	}
	e := answerFor(w, r, h.log, err)
	writeXML(w, e.Status(), controlError{
		Error:     controlErrorDetail{Code: string(e.Code), Message: e.Message, Inner: fieldsXML(e)},
		RequestID: w.Header().Get("x-amz-request-id"), HostID: w.Header().Get("x-amz-id-2"),
	})
}

func (h *Handler) control(w http.ResponseWriter, r *http.Request) error {
	res, err := h.cfg.Verifier.Verify(r)
	if err != nil {
		return err
	}
	if res.Anonymous {
		return s3err.New(s3err.AccessDenied)
	}
	acct, err := h.cfg.IAM.Account(res.Credential.AccountID)
	if err != nil {
		return s3err.New(s3err.InvalidAccessKeyID)
	}
	// Tessera has no IAM users: an account manages its own access points
	// only, as an account's root user does in S3.
	if r.Header.Get("x-amz-account-id") != acct.ID {
		return s3err.New(s3err.AccessDenied)
	}
	q := &request{r: r, w: w, auth: res, account: acct, owner: acct.Owner()}
	name, sub := controlPath(strings.TrimPrefix(r.URL.Path, controlPrefix))
	action, serve := h.controlAction(r.Method, r.URL.Path == controlPrefix, sub)
	if serve == nil {
		return s3err.New(s3err.MethodNotAllowed)
	}
	if p, ok := r.Context().Value(opKey{}).(*string); ok {
		*p = action // for the access log and metrics, as OpName
	}
	return serve(q, name)
}

// controlRoute is one row of the S3 Control route table: the action a
// method on a path names, and its handler.
type controlRoute struct {
	action string
	serve  func(h *Handler, q *request, name string) error
}

// controlKey selects a row: the method, and the list path or an access
// point's sub-resource ("" for the access point itself).
type controlKey struct {
	method string
	list   bool
	sub    string
}

// controlRoutes is the S3 Control API Tessera serves: access points.
var controlRoutes = map[controlKey]controlRoute{
	{http.MethodGet, true, ""}:              {"ListAccessPoints", func(h *Handler, q *request, _ string) error { return h.listAccessPoints(q) }},
	{http.MethodPut, false, ""}:             {"CreateAccessPoint", (*Handler).createAccessPoint},
	{http.MethodGet, false, ""}:             {"GetAccessPoint", (*Handler).getAccessPoint},
	{http.MethodDelete, false, ""}:          {"DeleteAccessPoint", (*Handler).deleteAccessPoint},
	{http.MethodPut, false, "policy"}:       {"PutAccessPointPolicy", (*Handler).putAccessPointPolicy},
	{http.MethodGet, false, "policy"}:       {"GetAccessPointPolicy", (*Handler).getAccessPointPolicy},
	{http.MethodDelete, false, "policy"}:    {"DeleteAccessPointPolicy", (*Handler).deleteAccessPointPolicy},
	{http.MethodGet, false, "policyStatus"}: {"GetAccessPointPolicyStatus", (*Handler).getAccessPointPolicyStatus},
}

// controlAction names the S3 Control action of a method on a path (the
// list when list is set, else an access point's sub-resource) and returns
// its handler; nil when there is none.
func (h *Handler) controlAction(method string, list bool, sub string) (string, func(*request, string) error) {
	if list {
		sub = ""
	}
	rt, ok := controlRoutes[controlKey{method, list, sub}]
	if !ok {
		return "", nil
	}
	return rt.action, func(q *request, name string) error { return rt.serve(h, q, name) }
}

func (h *Handler) deleteAccessPoint(q *request, name string) error {
	if err := h.cfg.Engine.DeleteAccessPoint(q.ctx(), q.account.ID, name); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) deleteAccessPointPolicy(q *request, name string) error {
	if err := h.cfg.Engine.SetAccessPointPolicy(q.ctx(), q.account.ID, name, ""); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// controlPath splits what follows /v20180820/accesspoint/ into the access
// point name and the sub-resource ("", "policy", "policyStatus").
func controlPath(rest string) (name, sub string) {
	name, sub, _ = strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	return name, sub
}

type vpcConfiguration struct {
	VpcID string `xml:"VpcId"`
}

type createAccessPointRequest struct {
	XMLName           xml.Name           `xml:"CreateAccessPointRequest"`
	Bucket            string             `xml:"Bucket"`
	VpcConfiguration  *vpcConfiguration  `xml:"VpcConfiguration"`
	PublicAccessBlock *publicAccessBlock `xml:"PublicAccessBlockConfiguration"`
	BucketAccountID   string             `xml:"BucketAccountId"`
}

type createAccessPointResult struct {
	XMLName        xml.Name `xml:"CreateAccessPointResult"`
	NS             string   `xml:"xmlns,attr"`
	AccessPointArn string   `xml:"AccessPointArn"`
	Alias          string   `xml:"Alias"`
}

// createAccessPoint: S3 Control answers a bad name with InvalidURI
// (aws-solutions/research-service-workbench-on-aws#290 quotes it for a name
// too long) and a missing bucket with InvalidRequest (S3 error list).
func (h *Handler) createAccessPoint(q *request, name string) error {
	if !engine.ValidAccessPointName(name) {
		return s3err.New(s3err.InvalidURI)
	}
	var in createAccessPointRequest
	if _, err := readXMLBody(q, &in, 64<<10, false); err != nil {
		return err
	}
	if in.Bucket == "" {
		return s3err.New(s3err.MalformedXML)
	}
	if in.VpcConfiguration != nil {
		// A VPC access point admits only its VPC's traffic; Tessera cannot
		// tell where a request comes from, so it refuses one rather than
		// make an access point open to every network.
		return s3err.Newf(s3err.InvalidRequest, "VpcConfiguration is not supported: Tessera has no VPCs")
	}
	if in.BucketAccountID != "" && in.BucketAccountID != q.account.ID {
		return s3err.New(s3err.AccessDenied)
	}
	b, err := h.cfg.Engine.HeadBucket(q.ctx(), in.Bucket)
	if err == nil && b.Owner.ID != q.account.CanonicalID {
		// Tessera makes access points on the caller's own buckets only.
		return s3err.New(s3err.AccessDenied)
	}
	// Every setting defaults to on (CreateAccessPoint API reference).
	block := engine.AccessPointBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	if p := in.PublicAccessBlock; p != nil {
		block = engine.AccessPointBlock{BlockPublicAcls: p.BlockPublicAcls, IgnorePublicAcls: p.IgnorePublicAcls,
			BlockPublicPolicy: p.BlockPublicPolicy, RestrictPublicBuckets: p.RestrictPublicBuckets}
	}
	ap, err := h.cfg.Engine.CreateAccessPoint(q.ctx(), engine.AccessPoint{
		Name: name, Account: q.account.ID, Bucket: in.Bucket, BucketAccount: q.account.ID, Block: block})
	if err != nil {
		return err
	}
	writeXML(q.w, http.StatusOK, createAccessPointResult{NS: controlNS, AccessPointArn: ap.ARN, Alias: ap.Alias})
	return nil
}

type getAccessPointResult struct {
	XMLName           xml.Name          `xml:"GetAccessPointResult"`
	NS                string            `xml:"xmlns,attr"`
	Name              string            `xml:"Name"`
	Bucket            string            `xml:"Bucket"`
	NetworkOrigin     string            `xml:"NetworkOrigin"`
	PublicAccessBlock publicAccessBlock `xml:"PublicAccessBlockConfiguration"`
	CreationDate      string            `xml:"CreationDate"`
	Alias             string            `xml:"Alias"`
	AccessPointArn    string            `xml:"AccessPointArn"`
	BucketAccountID   string            `xml:"BucketAccountId"`
}

func pabOf(b engine.AccessPointBlock) publicAccessBlock {
	return publicAccessBlock{BlockPublicAcls: b.BlockPublicAcls, IgnorePublicAcls: b.IgnorePublicAcls,
		BlockPublicPolicy: b.BlockPublicPolicy, RestrictPublicBuckets: b.RestrictPublicBuckets}
}

func (h *Handler) getAccessPoint(q *request, name string) error {
	ap, err := h.cfg.Engine.GetAccessPoint(q.ctx(), q.account.ID, name)
	if err != nil {
		return err
	}
	writeXML(q.w, http.StatusOK, getAccessPointResult{
		NS: controlNS, Name: ap.Name, Bucket: ap.Bucket, NetworkOrigin: "Internet",
		PublicAccessBlock: pabOf(ap.Block), CreationDate: ap.Created.UTC().Format(time.RFC3339),
		Alias: ap.Alias, AccessPointArn: ap.ARN, BucketAccountID: ap.BucketAccount,
	})
	return nil
}

type accessPointEntry struct {
	Name            string `xml:"Name"`
	NetworkOrigin   string `xml:"NetworkOrigin"`
	Bucket          string `xml:"Bucket"`
	AccessPointArn  string `xml:"AccessPointArn"`
	Alias           string `xml:"Alias"`
	BucketAccountID string `xml:"BucketAccountId"`
}

type listAccessPointsResult struct {
	XMLName   xml.Name           `xml:"ListAccessPointsResult"`
	NS        string             `xml:"xmlns,attr"`
	List      []accessPointEntry `xml:"AccessPointList>AccessPoint"`
	NextToken string             `xml:"NextToken,omitempty"`
}

// maxAccessPointResults is ListAccessPoints' largest page (MaxResults:
// 0-1000 in the API reference; Tessera takes 0 and an absent value as 1000).
const maxAccessPointResults = 1000

// listAccessPoints: a bad MaxResults or next token, and a bucket that does
// not exist, are InvalidRequest with S3's error-list messages.
func (h *Handler) listAccessPoints(q *request) error {
	qs := q.r.URL.Query()
	limit := maxAccessPointResults
	if v := qs.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxAccessPointResults {
			return s3err.Newf(s3err.InvalidRequest, "The range for the MaxResults parameter is not valid.")
		}
		if n > 0 {
			limit = n
		}
	}
	after, err := decodeAPToken(qs.Get("nextToken"))
	if err != nil {
		return err
	}
	bucket := qs.Get("bucket")
	if bucket != "" {
		if _, err := h.cfg.Engine.HeadBucket(q.ctx(), bucket); s3err.HasCode(err, s3err.NoSuchBucket) {
			return s3err.Newf(s3err.InvalidRequest, "An access point can be listed only for an existing bucket.")
		} else if err != nil {
			return err
		}
	}
	aps, next, err := h.cfg.Engine.ListAccessPoints(q.ctx(), q.account.ID, bucket, after, limit)
	if err != nil {
		return err
	}
	out := listAccessPointsResult{NS: controlNS}
	for _, ap := range aps {
		out.List = append(out.List, accessPointEntry{Name: ap.Name, NetworkOrigin: "Internet", Bucket: ap.Bucket,
			AccessPointArn: ap.ARN, Alias: ap.Alias, BucketAccountID: ap.BucketAccount})
	}
	if next != "" {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	writeXML(q.w, http.StatusOK, out)
	return nil
}

// decodeAPToken reads a ListAccessPoints next token: the last name listed,
// base64url ("" for none).
func decodeAPToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !engine.ValidAccessPointName(string(b)) {
		return "", s3err.Newf(s3err.InvalidRequest, "The next token is not valid.")
	}
	return string(b), nil
}

type accessPointPolicy struct {
	XMLName xml.Name `xml:"PutAccessPointPolicyRequest"`
	Policy  string   `xml:"Policy"`
}

type getAccessPointPolicyResult struct {
	XMLName xml.Name `xml:"GetAccessPointPolicyResult"`
	NS      string   `xml:"xmlns,attr"`
	Policy  string   `xml:"Policy"`
}

// putAccessPointPolicy validates the policy for the access point (its
// resources must be the access point's ARN or objects under it) and
// honours the access point's BlockPublicPolicy.
func (h *Handler) putAccessPointPolicy(q *request, name string) error {
	ap, err := h.cfg.Engine.GetAccessPoint(q.ctx(), q.account.ID, name)
	if err != nil {
		return err
	}
	var in accessPointPolicy
	if _, err := readXMLBody(q, &in, 2*iam.MaxPolicySize, false); err != nil {
		return err
	}
	p, err := iam.ParseAccessPointPolicy([]byte(in.Policy), ap.ARN)
	var pe *iam.PolicyError
	if errors.As(err, &pe) {
		return s3err.Newf(s3err.MalformedPolicy, "%s", pe.Msg)
	} else if err != nil {
		return err
	}
	if ap.Block.BlockPublicPolicy && p.IsPublic() {
		return s3err.Newf(s3err.AccessDenied, "User: arn:aws:iam::%s:root is not authorized to perform: s3:PutAccessPointPolicy on resource: \"%s\" because public policies are blocked by the BlockPublicPolicy block public access setting",
			q.account.ID, ap.ARN)
	}
	if err := h.cfg.Engine.SetAccessPointPolicy(q.ctx(), q.account.ID, name, in.Policy); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getAccessPointPolicy(q *request, name string) error {
	ap, err := h.cfg.Engine.GetAccessPoint(q.ctx(), q.account.ID, name)
	if err != nil {
		return err
	}
	if ap.Policy == "" {
		return s3err.New(s3err.NoSuchAccessPointPolicy).With("AccessPointName", name)
	}
	writeXML(q.w, http.StatusOK, getAccessPointPolicyResult{NS: controlNS, Policy: ap.Policy})
	return nil
}

type accessPointPolicyStatus struct {
	XMLName  xml.Name `xml:"GetAccessPointPolicyStatusResult"`
	NS       string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"PolicyStatus>IsPublic"`
}

// getAccessPointPolicyStatus: like GetBucketPolicyStatus, from the policy
// alone; NoSuchAccessPointPolicy without one.
func (h *Handler) getAccessPointPolicyStatus(q *request, name string) error {
	ap, err := h.cfg.Engine.GetAccessPoint(q.ctx(), q.account.ID, name)
	if err != nil {
		return err
	}
	if ap.Policy == "" {
		return s3err.New(s3err.NoSuchAccessPointPolicy).With("AccessPointName", name)
	}
	p, err := iam.ParseAccessPointPolicy([]byte(ap.Policy), ap.ARN)
	if err != nil {
		return err
	}
	writeXML(q.w, http.StatusOK, accessPointPolicyStatus{NS: controlNS, IsPublic: p.IsPublic()})
	return nil
}
