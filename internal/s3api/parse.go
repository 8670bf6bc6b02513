// Package s3api is the HTTP edge of Tessera: it parses an *http.Request
// into a typed Op, authenticates it, calls the engine and writes S3's XML.
// It never touches metadata or blob storage directly.
package s3api

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// Kind names an S3 action; the values are the action names AWS uses.
type Kind string

// The actions Tessera serves.
const (
	ListBuckets             Kind = "ListBuckets"
	CreateBucket            Kind = "CreateBucket"
	HeadBucket              Kind = "HeadBucket"
	DeleteBucket            Kind = "DeleteBucket"
	GetBucketLocation       Kind = "GetBucketLocation"
	ListObjects             Kind = "ListObjects"
	ListObjectsV2           Kind = "ListObjectsV2"
	DeleteObjects           Kind = "DeleteObjects"
	ListMultipartUploads    Kind = "ListMultipartUploads"
	PutObject               Kind = "PutObject"
	CopyObject              Kind = "CopyObject"
	GetObject               Kind = "GetObject"
	HeadObject              Kind = "HeadObject"
	DeleteObject            Kind = "DeleteObject"
	CreateMultipartUpload   Kind = "CreateMultipartUpload"
	UploadPart              Kind = "UploadPart"
	UploadPartCopy          Kind = "UploadPartCopy"
	CompleteMultipartUpload Kind = "CompleteMultipartUpload"
	AbortMultipartUpload    Kind = "AbortMultipartUpload"
	ListParts               Kind = "ListParts"
	GetObjectAttributes     Kind = "GetObjectAttributes"

	PutBucketLifecycleConfiguration Kind = "PutBucketLifecycleConfiguration"
	GetBucketLifecycleConfiguration Kind = "GetBucketLifecycleConfiguration"
	DeleteBucketLifecycle           Kind = "DeleteBucketLifecycle"

	PutBucketPolicy         Kind = "PutBucketPolicy"
	GetBucketPolicy         Kind = "GetBucketPolicy"
	DeleteBucketPolicy      Kind = "DeleteBucketPolicy"
	PutBucketRequestPayment Kind = "PutBucketRequestPayment"
	GetBucketRequestPayment Kind = "GetBucketRequestPayment"

	PutBucketEncryption    Kind = "PutBucketEncryption"
	GetBucketEncryption    Kind = "GetBucketEncryption"
	DeleteBucketEncryption Kind = "DeleteBucketEncryption"

	GetObjectTagging    Kind = "GetObjectTagging"
	PutObjectTagging    Kind = "PutObjectTagging"
	DeleteObjectTagging Kind = "DeleteObjectTagging"

	GetBucketVersioning Kind = "GetBucketVersioning"
	PutBucketVersioning Kind = "PutBucketVersioning"
	ListObjectVersions  Kind = "ListObjectVersions"

	PutObjectLockConfiguration Kind = "PutObjectLockConfiguration"
	GetObjectLockConfiguration Kind = "GetObjectLockConfiguration"
	PutObjectRetention         Kind = "PutObjectRetention"
	GetObjectRetention         Kind = "GetObjectRetention"
	PutObjectLegalHold         Kind = "PutObjectLegalHold"
	GetObjectLegalHold         Kind = "GetObjectLegalHold"
	GetBucketAcl               Kind = "GetBucketAcl"
	PutBucketAcl               Kind = "PutBucketAcl"
	GetObjectAcl               Kind = "GetObjectAcl"
	PutObjectAcl               Kind = "PutObjectAcl"

	// PostObject is a browser form upload (AWS "POST Object"); IAM
	// authorizes it as s3:PutObject.
	PostObject       Kind = "PostObject"
	PutBucketCors    Kind = "PutBucketCors"
	GetBucketCors    Kind = "GetBucketCors"
	DeleteBucketCors Kind = "DeleteBucketCors"
	// A CORS preflight (S3's "OPTIONS object") on a bucket or an object
	// URL; it has no IAM action and is answered before authentication.
	OptionsBucket Kind = "OptionsBucket"
	OptionsObject Kind = "OptionsObject"
	// Bucket configuration Tessera reads as S3 answers for a bucket without
	// the feature, and refuses to set (config_absent.go).
	GetBucketWebsite                            Kind = "GetBucketWebsite"
	PutBucketWebsite                            Kind = "PutBucketWebsite"
	DeleteBucketWebsite                         Kind = "DeleteBucketWebsite"
	GetBucketAccelerateConfiguration            Kind = "GetBucketAccelerateConfiguration"
	PutBucketAccelerateConfiguration            Kind = "PutBucketAccelerateConfiguration"
	GetBucketLogging                            Kind = "GetBucketLogging"
	PutBucketLogging                            Kind = "PutBucketLogging"
	GetBucketReplication                        Kind = "GetBucketReplication"
	PutBucketReplication                        Kind = "PutBucketReplication"
	DeleteBucketReplication                     Kind = "DeleteBucketReplication"
	GetBucketNotificationConfiguration          Kind = "GetBucketNotificationConfiguration"
	PutBucketNotificationConfiguration          Kind = "PutBucketNotificationConfiguration"
	ListBucketAnalyticsConfigurations           Kind = "ListBucketAnalyticsConfigurations"
	GetBucketAnalyticsConfiguration             Kind = "GetBucketAnalyticsConfiguration"
	PutBucketAnalyticsConfiguration             Kind = "PutBucketAnalyticsConfiguration"
	DeleteBucketAnalyticsConfiguration          Kind = "DeleteBucketAnalyticsConfiguration"
	ListBucketMetricsConfigurations             Kind = "ListBucketMetricsConfigurations"
	GetBucketMetricsConfiguration               Kind = "GetBucketMetricsConfiguration"
	PutBucketMetricsConfiguration               Kind = "PutBucketMetricsConfiguration"
	DeleteBucketMetricsConfiguration            Kind = "DeleteBucketMetricsConfiguration"
	ListBucketInventoryConfigurations           Kind = "ListBucketInventoryConfigurations"
	GetBucketInventoryConfiguration             Kind = "GetBucketInventoryConfiguration"
	PutBucketInventoryConfiguration             Kind = "PutBucketInventoryConfiguration"
	DeleteBucketInventoryConfiguration          Kind = "DeleteBucketInventoryConfiguration"
	ListBucketIntelligentTieringConfigurations  Kind = "ListBucketIntelligentTieringConfigurations"
	GetBucketIntelligentTieringConfiguration    Kind = "GetBucketIntelligentTieringConfiguration"
	PutBucketIntelligentTieringConfiguration    Kind = "PutBucketIntelligentTieringConfiguration"
	DeleteBucketIntelligentTieringConfiguration Kind = "DeleteBucketIntelligentTieringConfiguration"
	// Bucket tags, Object Ownership and the public access block.
	GetBucketTagging              Kind = "GetBucketTagging"
	PutBucketTagging              Kind = "PutBucketTagging"
	DeleteBucketTagging           Kind = "DeleteBucketTagging"
	GetBucketOwnershipControls    Kind = "GetBucketOwnershipControls"
	PutBucketOwnershipControls    Kind = "PutBucketOwnershipControls"
	DeleteBucketOwnershipControls Kind = "DeleteBucketOwnershipControls"
	GetPublicAccessBlock          Kind = "GetPublicAccessBlock"
	PutPublicAccessBlock          Kind = "PutPublicAccessBlock"
	DeletePublicAccessBlock       Kind = "DeletePublicAccessBlock"
	GetBucketPolicyStatus         Kind = "GetBucketPolicyStatus"
)

// Op is a parsed request: which action, on what.
type Op struct {
	Kind   Kind
	Bucket string
	Key    string
	Query  url.Values
	// VirtualHost is set when the Host header named the bucket.
	VirtualHost bool
}

// parse routes a request by method, bucket, key, sub-resources and headers
// through the route table (routes.go). Routing is a function of the request
// alone, so it is table-tested with literal requests and cannot depend on
// registration order.
func parse(r *http.Request, domains []string) (Op, error) {
	q := r.URL.Query()
	op := Op{Query: q}
	path := r.URL.Path
	if b := hostBucket(r.Host, domains); b != "" {
		op.Bucket, op.VirtualHost = b, true
		op.Key = strings.TrimPrefix(path, "/")
	} else {
		p := strings.TrimPrefix(path, "/")
		op.Bucket, op.Key, _ = strings.Cut(p, "/")
	}
	if k, dup := duplicateParam(q); dup {
		// No recorded S3 answer; refusing is the safe reading of an
		// ambiguous request, in S3's words for a bad argument.
		return op, s3err.Newf(s3err.InvalidArgument, "Only one %s parameter may be specified", k).
			With("ArgumentName", k).With("ArgumentValue", strings.Join(q[k], ","))
	}
	rt, err := match(r.Method, targetOf(op), q, r.Header)
	if err != nil {
		return op, err
	}
	op.Kind = rt.kind
	return op, nil
}

// dotDotPath reports whether a request path, as sent, has a segment that
// is ".." once percent-decoded ("%2e%2e" too; "..%2F" is not a segment).
func dotDotPath(u *url.URL) bool {
	for seg := range strings.SplitSeq(u.EscapedPath(), "/") {
		if s, err := url.PathUnescape(seg); err == nil && s == ".." {
			return true
		}
	}
	return false
}

// singleValued are the query parameters that name one thing; two values
// for one of them are ambiguous, and picking either could act on an
// upload, part or version the signer did not mean.
var singleValued = []string{"uploadId", "partNumber", "versionId"}

// duplicateParam returns the first single-valued parameter given twice.
func duplicateParam(q url.Values) (string, bool) {
	for _, k := range singleValued {
		if len(q[k]) > 1 {
			return k, true
		}
	}
	return "", false
}

// targetOf says whether an Op names the service, a bucket or an object.
func targetOf(op Op) target {
	switch {
	case op.Bucket == "":
		return onService
	case op.Key == "":
		return onBucket
	}
	return onObject
}

// hostBucket returns the bucket named by a virtual-host-style Host header
// (bucket.domain), or "".
func hostBucket(host string, domains []string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	for _, d := range domains {
		if strings.HasSuffix(host, "."+d) {
			return host[:len(host)-len(d)-1]
		}
	}
	return ""
}
