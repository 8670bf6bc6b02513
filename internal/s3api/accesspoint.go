package s3api

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Requests through an access point name it where a bucket name goes:
//   - by its ARN: the SDKs turn arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME
//     given as Bucket into the host NAME-ACCOUNT.<endpoint host> with a
//     custom endpoint (aws-sdk-go-v2's s3 endpoint rules with UsePathStyle
//     false, which it requires for ARNs; boto3 does the same), so under
//     --domain the "bucket" of a virtual-host request is NAME-ACCOUNT;
//   - by its alias (NAME-RANDOM-s3alias), in path or virtual-host style.
//
// throughAccessPoint resolves either to the access point's bucket before
// authorization, and records the access point on the request.

// apHostName is NAME-ACCOUNT: an access point name and a 12-digit account.
var apHostName = regexp.MustCompile(`^([a-z0-9][a-z0-9-]{1,48}[a-z0-9])-([0-9]{12})$`)

// apKinds are the operations S3 serves through an access point (S3 user
// guide, "Access point compatibility"); the rest are refused.
var apKinds = map[Kind]bool{
	AbortMultipartUpload: true, CompleteMultipartUpload: true, CopyObject: true, CreateMultipartUpload: true,
	DeleteObject: true, DeleteObjects: true, DeleteObjectTagging: true, GetBucketAcl: true, GetBucketCors: true,
	GetBucketLocation: true, GetBucketNotificationConfiguration: true, GetBucketPolicy: true, GetObject: true,
	GetObjectAcl: true, GetObjectAttributes: true, GetObjectLegalHold: true, GetObjectRetention: true,
	GetObjectTagging: true, HeadBucket: true, HeadObject: true, ListMultipartUploads: true, ListObjects: true,
	ListObjectsV2: true, ListObjectVersions: true, ListParts: true, PutObject: true, PutObjectAcl: true,
	PutObjectLegalHold: true, PutObjectRetention: true, PutObjectTagging: true, UploadPart: true,
	UploadPartCopy: true, PostObject: true,
}

// throughAccessPoint: see above. A NAME-ACCOUNT that names no access point,
// or comes in a path, is a bucket name like any other; an unknown alias is NoSuchBucket, as no
// bucket name may end in "-s3alias".
func (h *Handler) throughAccessPoint(q *request) error {
	name := q.op.Bucket
	var ap engine.AccessPoint
	var err error
	if strings.HasSuffix(name, engine.AliasSuffix) {
		if q.op.Kind == CreateBucket {
			return nil // an invalid bucket name: the handler says so
		}
		ap, err = h.cfg.Engine.AccessPointByAlias(q.ctx(), name)
		if s3err.HasCode(err, s3err.NoSuchAccessPoint) {
			return s3err.New(s3err.NoSuchBucket).With("BucketName", name)
		}
	} else if m := apHostName.FindStringSubmatch(name); m != nil && q.op.VirtualHost {
		// Only a host names an access point this way (the SDKs' form of
		// an ARN): in a path, NAME-ACCOUNT is a bucket name, which no
		// access point may shadow.
		ap, err = h.cfg.Engine.GetAccessPoint(q.ctx(), m[2], m[1])
		if s3err.HasCode(err, s3err.NoSuchAccessPoint) {
			return nil
		}
	} else {
		return nil
	}
	if err != nil {
		return err
	}
	if !apKinds[q.op.Kind] {
		// No recorded answer found; S3's InvalidRequest is the most
		// plausible for an operation an access point does not serve.
		return s3err.Newf(s3err.InvalidRequest, "The %s operation is not supported through an access point", q.op.Kind)
	}
	if ap.Policy != "" {
		if q.apPolicy, err = iam.ParseAccessPointPolicy([]byte(ap.Policy), ap.ARN); err != nil {
			return err
		}
	}
	q.ap = &ap
	q.op.Bucket = ap.Bucket
	return nil
}

// apResource is the access point ARN a bucket or object ARN is reached as
// through q's access point, or "" when the resource is not in its bucket
// (a copy's source).
func (q *request) apResource(resource string) string {
	b := resourceARN(q.ap.Bucket, "")
	if resource == b {
		return q.ap.ARN
	}
	if key, ok := strings.CutPrefix(resource, b+"/"); ok {
		return q.ap.ARN + "/object/" + key
	}
	return ""
}

// apAllows is the access point's half of a request's authorization: an
// explicit Deny of its policy refuses; the access point's own account is
// otherwise allowed (it has no IAM users to restrict); any other account
// needs an Allow, void when the policy is public and the access point's
// RestrictPublicBuckets is on. The bucket's half is decided after it.
func (q *request) apAllows(acts []string, resource string) bool {
	req := iam.Request{Resource: q.apResource(resource), Context: q.conditionContext()}
	if req.Resource == "" {
		return true
	}
	if !q.auth.Anonymous {
		req.AccountID, req.CanonicalID = q.account.ID, q.account.CanonicalID
	}
	own := !q.auth.Anonymous && q.account.ID == q.ap.Account
	for _, a := range acts {
		req.Action = a
		switch q.apPolicy.Evaluate(req) {
		case iam.Deny:
			return false
		case iam.Allow:
			if own || !(q.ap.Block.RestrictPublicBuckets && q.apPolicy.IsPublic()) {
				continue
			}
		}
		if !own {
			return false
		}
	}
	return true
}

// apConditions adds the condition keys S3 sets for a request through an
// access point, by which a bucket policy delegates to access points.
func (q *request) apConditions(ctx map[string][]string) {
	if q.ap == nil {
		return
	}
	ctx["s3:dataaccesspointarn"] = []string{q.ap.ARN}
	ctx["s3:dataaccesspointaccount"] = []string{q.ap.Account}
	ctx["s3:accesspointnetworkorigin"] = []string{"Internet"}
}

// copySourceARN is a copy source through an access point, as S3 documents
// it for CopyObject and UploadPartCopy:
// arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY (URL-encoded).
var copySourceARN = regexp.MustCompile(`^arn:aws:s3:[a-z0-9-]*:([0-9]{12}):accesspoint[/:]([a-z0-9][a-z0-9-]{1,48}[a-z0-9])/object/(.+)$`)

// copySrc is a copy's source: its bucket, key and version, and the access
// point it is read through (nil: by bucket name) with its policy.
type copySrc struct {
	bucket, key, versionID string
	ap                     *engine.AccessPoint
	apPolicy               *iam.Policy
}

// copySourceOf parses x-amz-copy-source, resolving a source named by an
// access point ARN or alias to its bucket.
func (h *Handler) copySourceOf(q *request) (copySrc, error) {
	v := q.r.Header.Get("x-amz-copy-source")
	raw, version, hasVersion := strings.Cut(v, "?versionId=")
	var ap engine.AccessPoint
	var key string // escaped, as in the header
	dec, err := url.PathUnescape(strings.TrimPrefix(raw, "/"))
	rawBucket, rawKey, _ := strings.Cut(strings.TrimPrefix(raw, "/"), "/")
	alias, _ := url.PathUnescape(rawBucket)
	if m := copySourceARN.FindStringSubmatch(dec); err == nil && m != nil {
		if ap, err = h.cfg.Engine.GetAccessPoint(q.ctx(), m[1], m[2]); err != nil {
			return copySrc{}, err
		}
		key = url.PathEscape(m[3])
	} else if strings.HasSuffix(alias, engine.AliasSuffix) {
		ap, err = h.cfg.Engine.AccessPointByAlias(q.ctx(), alias)
		if s3err.HasCode(err, s3err.NoSuchAccessPoint) {
			return copySrc{}, s3err.New(s3err.NoSuchBucket).With("BucketName", alias)
		} else if err != nil {
			return copySrc{}, err
		}
		key = rawKey
	}
	if ap.Name != "" {
		// Parsed as the bucket's own copy source, for the key and
		// version checks every copy source gets.
		v = url.PathEscape(ap.Bucket) + "/" + key
		if hasVersion {
			v += "?versionId=" + version
		}
	}
	bucket, k, versionID, err := copySource(v)
	if err != nil {
		return copySrc{}, err
	}
	src := copySrc{bucket: bucket, key: k, versionID: versionID}
	if ap.Name == "" {
		return src, nil
	}
	src.ap = &ap
	if ap.Policy != "" {
		if src.apPolicy, err = iam.ParseAccessPointPolicy([]byte(ap.Policy), ap.ARN); err != nil {
			return copySrc{}, err
		}
	}
	return src, nil
}

// asSource runs fn with the request seen as reading through the copy
// source's access point (or through none, for a source named by bucket):
// allowed then applies that access point's policy and condition keys.
func (q *request) asSource(src copySrc, fn func() bool) bool {
	ap, pol := q.ap, q.apPolicy
	defer func() { q.ap, q.apPolicy = ap, pol }()
	q.ap, q.apPolicy = src.ap, src.apPolicy
	return fn()
}

// apHostTaken refuses a new bucket named NAME-ACCOUNT when ACCOUNT has an
// access point NAME: the host NAME-ACCOUNT.<domain> already names the
// access point (the SDKs' form of its ARN), so the name is not available
// (BucketAlreadyExists, S3's answer to a name that is taken). In S3 the two
// live on different hosts and never meet; CreateAccessPoint refuses the
// other order.
func (h *Handler) apHostTaken(q *request) error {
	m := apHostName.FindStringSubmatch(q.op.Bucket)
	if m == nil {
		return nil
	}
	_, err := h.cfg.Engine.GetAccessPoint(q.ctx(), m[2], m[1])
	switch {
	case err == nil:
		return s3err.New(s3err.BucketAlreadyExists).With("BucketName", q.op.Bucket)
	case s3err.HasCode(err, s3err.NoSuchAccessPoint):
		return nil
	default:
		return err
	}
}
