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

	GetObjectTagging    Kind = "GetObjectTagging"
	PutObjectTagging    Kind = "PutObjectTagging"
	DeleteObjectTagging Kind = "DeleteObjectTagging"

	GetBucketVersioning Kind = "GetBucketVersioning"
	PutBucketVersioning Kind = "PutBucketVersioning"
	GetBucketAcl        Kind = "GetBucketAcl"
	PutBucketAcl        Kind = "PutBucketAcl"
	GetObjectAcl        Kind = "GetObjectAcl"
	PutObjectAcl        Kind = "PutObjectAcl"
)

// Op is a parsed request: which action, on what.
type Op struct {
	Kind   Kind
	Bucket string
	Key    string
	Query  url.Values
}

// bucketSubresources are bucket configuration sub-resources Tessera does not
// implement yet; a request for one gets NotImplemented, never a listing.
var bucketSubresources = []string{
	"accelerate", "analytics", "cors", "encryption", "intelligent-tiering", "inventory",
	"logging", "metrics", "notification", "object-lock", "ownershipControls",
	"policyStatus", "publicAccessBlock", "replication", "tagging",
	"versions", "website",
}

var objectSubresources = []string{
	"legal-hold", "restore", "retention", "select", "torrent",
}

// parse routes a request by method, bucket, key and sub-resources. Routing
// is a function of the request alone, so it is table-tested with literal
// requests and cannot depend on registration order.
func parse(r *http.Request, domains []string) (Op, error) {
	q := r.URL.Query()
	op := Op{Query: q}
	path := r.URL.Path
	if b := hostBucket(r.Host, domains); b != "" {
		op.Bucket = b
		op.Key = strings.TrimPrefix(path, "/")
	} else {
		p := strings.TrimPrefix(path, "/")
		op.Bucket, op.Key, _ = strings.Cut(p, "/")
	}
	has := func(k string) bool { _, ok := q[k]; return ok }
	notImpl := func() (Op, error) {
		return op, s3err.Newf(s3err.NotImplemented, "A header you provided implies functionality that is not implemented")
	}
	m := r.Method
	switch {
	case op.Bucket == "":
		if m == http.MethodGet {
			op.Kind = ListBuckets
			return op, nil
		}
	case op.Key == "":
		for _, s := range bucketSubresources {
			if has(s) {
				return notImpl()
			}
		}
		switch {
		case m == http.MethodPut && has("lifecycle"):
			op.Kind = PutBucketLifecycleConfiguration
		case m == http.MethodGet && has("lifecycle"):
			op.Kind = GetBucketLifecycleConfiguration
		case m == http.MethodDelete && has("lifecycle"):
			op.Kind = DeleteBucketLifecycle
		case m == http.MethodGet && has("versioning"):
			op.Kind = GetBucketVersioning
		case m == http.MethodPut && has("versioning"):
			op.Kind = PutBucketVersioning
		case m == http.MethodGet && has("acl"):
			op.Kind = GetBucketAcl
		case m == http.MethodPut && has("acl"):
			op.Kind = PutBucketAcl
		case m == http.MethodPut && has("policy"):
			op.Kind = PutBucketPolicy
		case m == http.MethodGet && has("policy"):
			op.Kind = GetBucketPolicy
		case m == http.MethodDelete && has("policy"):
			op.Kind = DeleteBucketPolicy
		case m == http.MethodPut && has("requestPayment"):
			op.Kind = PutBucketRequestPayment
		case m == http.MethodGet && has("requestPayment"):
			op.Kind = GetBucketRequestPayment
		case m == http.MethodPut:
			op.Kind = CreateBucket
		case m == http.MethodHead:
			op.Kind = HeadBucket
		case m == http.MethodDelete:
			op.Kind = DeleteBucket
		case m == http.MethodGet && has("location"):
			op.Kind = GetBucketLocation
		case m == http.MethodGet && has("uploads"):
			op.Kind = ListMultipartUploads
		case m == http.MethodGet && q.Get("list-type") == "2":
			op.Kind = ListObjectsV2
		case m == http.MethodGet:
			op.Kind = ListObjects
		case m == http.MethodPost && has("delete"):
			op.Kind = DeleteObjects
		}
	default:
		for _, s := range objectSubresources {
			if has(s) {
				return notImpl()
			}
		}
		copySource := r.Header.Get("x-amz-copy-source") != ""
		switch {
		case m == http.MethodGet && has("acl"):
			op.Kind = GetObjectAcl
		case m == http.MethodPut && has("acl"):
			op.Kind = PutObjectAcl
		case m == http.MethodGet && has("tagging"):
			op.Kind = GetObjectTagging
		case m == http.MethodPut && has("tagging"):
			op.Kind = PutObjectTagging
		case m == http.MethodDelete && has("tagging"):
			op.Kind = DeleteObjectTagging
		case m == http.MethodPut && has("uploadId") && copySource:
			op.Kind = UploadPartCopy
		case m == http.MethodPut && has("uploadId"):
			op.Kind = UploadPart
		case m == http.MethodPut && copySource:
			op.Kind = CopyObject
		case m == http.MethodPut:
			op.Kind = PutObject
		case m == http.MethodGet && has("uploadId"):
			op.Kind = ListParts
		case m == http.MethodGet && has("attributes"):
			op.Kind = GetObjectAttributes
		case m == http.MethodGet:
			op.Kind = GetObject
		case m == http.MethodHead:
			op.Kind = HeadObject
		case m == http.MethodDelete && has("uploadId"):
			op.Kind = AbortMultipartUpload
		case m == http.MethodDelete:
			op.Kind = DeleteObject
		case m == http.MethodPost && has("uploads"):
			op.Kind = CreateMultipartUpload
		case m == http.MethodPost && has("uploadId"):
			op.Kind = CompleteMultipartUpload
		}
	}
	if op.Kind == "" {
		return op, s3err.New(s3err.MethodNotAllowed).With("Method", m).With("ResourceType", resourceType(op))
	}
	return op, nil
}

func resourceType(op Op) string {
	switch {
	case op.Bucket == "":
		return "SERVICE"
	case op.Key == "":
		return "BUCKET"
	}
	return "OBJECT"
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
