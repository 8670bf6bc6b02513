package s3api

import (
	"bytes"
	"net"
	"strings"
	"sync"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Names of the bucket configuration documents this file reads.
const (
	policyDoc         = "policy"
	requestPaymentDoc = "requestPayment"
)

// actionsFor returns the IAM actions an operation needs (all of them), as
// its row in the route table says. A kind with no row (there is none: a
// test checks) would need an action no policy grants, so only the owner.
func actionsFor(k Kind, versioned bool) []string {
	if a, ok := versionActions[k]; ok && versioned {
		return a
	}
	if rt, ok := byKind[k]; ok {
		return rt.actions
	}
	return []string{"s3:" + string(k)}
}

// resourceARN is the ARN of a bucket (key "") or of an object.
func resourceARN(bucket, key string) string {
	if key == "" {
		return "arn:aws:s3:::" + bucket
	}
	return "arn:aws:s3:::" + bucket + "/" + key
}

// policyCache keeps parsed bucket policies keyed by bucket, reused while
// the stored document is byte-identical (so there is nothing to invalidate).
type policyCache struct {
	mu sync.Mutex
	m  map[string]cachedPolicy
}

type cachedPolicy struct {
	doc    []byte
	policy *iam.Policy
}

func (c *policyCache) get(bucket string, doc []byte) *iam.Policy {
	if doc == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.m[bucket]; ok && bytes.Equal(p.doc, doc) {
		return p.policy
	}
	p, err := iam.ParsePolicy(doc, bucket)
	if err != nil {
		return nil // validated when stored; a bad stored doc grants nothing
	}
	if c.m == nil {
		c.m = map[string]cachedPolicy{}
	}
	c.m[bucket] = cachedPolicy{doc: doc, policy: p}
	return p
}

// bucketAccess is what authorization learned about a bucket.
type bucketAccess struct {
	exists       bool
	ownerAccount iam.Account
	isOwner      bool
	policy       *iam.Policy
	// versionID is the object version the request names in this bucket
	// ("" for the latest), whose ACL object grants come from.
	versionID string
	// acls reads the bucket's ACL settings when a decision needs them.
	acls *aclAccess
}

// loadBucket reads a bucket's owner and policy.
func (h *Handler) loadBucket(q *request, bucket string) (bucketAccess, error) {
	var ba bucketAccess
	b, err := h.cfg.Engine.HeadBucket(q.ctx(), bucket)
	if s3err.HasCode(err, s3err.NoSuchBucket) {
		return ba, nil
	}
	if err != nil {
		return ba, err
	}
	ba.exists = true
	if ba.ownerAccount, err = h.cfg.IAM.AccountByCanonical(b.Owner.ID); err != nil {
		// An owner whose account was removed: only the root account may act.
		ba.ownerAccount = h.cfg.IAM.Root()
	}
	ba.isOwner = !q.auth.Anonymous && q.account.ID == ba.ownerAccount.ID
	doc, err := h.cfg.Engine.BucketConfig(q.ctx(), bucket, policyDoc)
	if err != nil {
		return ba, err
	}
	ba.policy = h.policies.get(bucket, doc)
	ba.acls = &aclAccess{h: h, q: q, bucket: bucket, owner: ba.ownerAccount.Owner()}
	return ba, nil
}

// conditionContext holds the condition keys a policy may test.
func (q *request) conditionContext() map[string][]string {
	ctx := map[string][]string{"aws:securetransport": {"false"}}
	if q.r.TLS != nil {
		ctx["aws:securetransport"] = []string{"true"}
	}
	if host, _, err := net.SplitHostPort(q.r.RemoteAddr); err == nil {
		ctx["aws:sourceip"] = []string{host}
	}
	if !q.auth.Anonymous {
		ctx["aws:principalaccount"] = []string{q.account.ID}
	}
	q.apConditions(ctx)
	switch q.op.Kind {
	case ListObjects, ListObjectsV2, ListMultipartUploads:
		for _, k := range []string{"prefix", "delimiter", "max-keys"} {
			if v, ok := q.op.Query[k]; ok {
				ctx["s3:"+k] = v
			}
		}
	}
	return ctx
}

// allowed decides actions on one resource: an explicit Deny of any of
// them refuses even the owner; the owner is allowed; anyone else needs,
// for every one of them, an Allow of the bucket policy or a grant of an
// ACL (S3's evaluation: an explicit deny wins, then any allow). A public
// access block's RestrictPublicBuckets voids a public policy's Allows for
// callers outside the owner's account, and its IgnorePublicAcls the ACLs'
// public grants (aclAccess.grants). Through an access point, its policy
// must allow first (apAllows), and the bucket policy sees the
// s3:DataAccessPoint* condition keys by which it delegates.
func (q *request) allowed(ba bucketAccess, acts []string, resource string) bool {
	if q.ap != nil && !q.apAllows(acts, resource) {
		return false
	}
	req := iam.Request{Resource: resource, Context: q.conditionContext()}
	if !q.auth.Anonymous {
		req.AccountID, req.CanonicalID = q.account.ID, q.account.CanonicalID
	}
	granted := true
	for _, a := range acts {
		req.Action = a
		switch ba.policy.Evaluate(req) {
		case iam.Deny:
			return false
		case iam.Allow:
			if ba.isOwner || !ba.acls.restricted(ba.policy) {
				continue
			}
		}
		granted = granted && (ba.isOwner || ba.acls.grants(a, resource, ba.versionID))
	}
	return granted
}

// authorize is the one place that decides whether a request may proceed.
// It runs before any side effect.
func (h *Handler) authorize(q *request) error {
	denied := s3err.New(s3err.AccessDenied)
	if q.op.Kind == ListBuckets || q.op.Kind == CreateBucket {
		if q.auth.Anonymous {
			return denied
		}
		q.charged = q.account.ID
		return nil
	}
	ba, err := h.loadBucket(q, q.op.Bucket)
	if err != nil {
		return err
	}
	if !ba.exists {
		if q.auth.Anonymous {
			return denied
		}
		return nil // the handler answers NoSuchBucket
	}
	if q.ap != nil && ba.ownerAccount.ID != q.ap.BucketAccount {
		// The bucket was deleted and made again by another account: the
		// access point does not lead into someone else's bucket.
		return s3err.New(s3err.NoSuchBucket).With("BucketName", q.op.Bucket)
	}
	q.bucketOwner = ba.ownerAccount.Owner()
	ba.versionID = q.op.Query.Get("versionId")
	q.access = ba
	if v := q.r.Header.Get("x-amz-expected-bucket-owner"); v != "" && v != ba.ownerAccount.ID {
		return denied
	}
	// DeleteObjects is authorized key by key by its handler.
	if q.op.Kind != DeleteObjects && !q.allowed(ba, actionsFor(q.op.Kind, q.op.Query.Has("versionId")), resourceARN(q.op.Bucket, q.op.Key)) {
		return denied
	}
	if err := h.requesterPays(q, ba); err != nil {
		return err
	}
	if q.op.Kind == CopyObject || q.op.Kind == UploadPartCopy {
		return h.authorizeCopySource(q)
	}
	return nil
}

// requesterPays enforces a Requester Pays bucket: a non-owner must accept
// the charge with x-amz-request-payer: requester, and is then charged.
func (h *Handler) requesterPays(q *request, ba bucketAccess) error {
	q.charged = ba.ownerAccount.ID
	if ba.isOwner {
		return nil
	}
	pays, err := h.requesterPaysBucket(q, q.op.Bucket)
	if err != nil || !pays {
		return err
	}
	if q.auth.Anonymous || !strings.EqualFold(q.r.Header.Get("x-amz-request-payer"), "requester") {
		return s3err.New(s3err.AccessDenied)
	}
	q.charged = q.account.ID
	q.w.Header().Set("x-amz-request-charged", "requester")
	return nil
}

// authorizeCopySource requires read access to a copy's source object.
func (h *Handler) authorizeCopySource(q *request) error {
	src, err := h.copySourceOf(q)
	if err != nil {
		return err
	}
	bucket, key, versionID := src.bucket, src.key, src.versionID
	read := "s3:GetObject"
	if versionID != "" {
		read = "s3:GetObjectVersion"
	}
	ba, err := h.loadBucket(q, bucket)
	if err != nil || !ba.exists {
		return err // a missing source bucket is reported by the handler
	}
	if v := q.r.Header.Get("x-amz-source-expected-bucket-owner"); v != "" && v != ba.ownerAccount.ID {
		return s3err.New(s3err.AccessDenied)
	}
	if src.ap != nil && ba.ownerAccount.ID != src.ap.BucketAccount {
		return s3err.New(s3err.NoSuchBucket).With("BucketName", bucket) // as throughAccessPoint
	}
	ba.versionID = versionID
	if !q.asSource(src, func() bool { return q.allowed(ba, []string{read}, resourceARN(bucket, key)) }) {
		return s3err.New(s3err.AccessDenied)
	}
	// Reading a Requester Pays source is a paid read like any other.
	if ba.isOwner {
		return nil
	}
	pays, err := h.requesterPaysBucket(q, bucket)
	if err != nil || !pays {
		return err
	}
	if !strings.EqualFold(q.r.Header.Get("x-amz-request-payer"), "requester") {
		return s3err.New(s3err.AccessDenied)
	}
	q.w.Header().Set("x-amz-request-charged", "requester")
	return nil
}

// requesterPaysBucket reports whether a bucket is Requester Pays.
func (h *Handler) requesterPaysBucket(q *request, bucket string) (bool, error) {
	doc, err := h.cfg.Engine.BucketConfig(q.ctx(), bucket, requestPaymentDoc)
	return string(doc) == payerRequester, err
}

// hideMissingKey turns NoSuchKey into AccessDenied for a caller who may not
// list the bucket, as S3 does, so object grants do not reveal which keys exist.
func (q *request) hideMissingKey(err error) error {
	if !s3err.HasCode(err, s3err.NoSuchKey) || q.access.isOwner || !q.access.exists {
		return err
	}
	if q.allowed(q.access, []string{"s3:ListBucket"}, resourceARN(q.op.Bucket, "")) {
		return err
	}
	return s3err.New(s3err.AccessDenied)
}
