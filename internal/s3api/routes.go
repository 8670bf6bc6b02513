package s3api

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// Routing is data: one row per operation says which requests it answers
// (method, target, required sub-resources and headers), which IAM actions
// it needs and which handler serves it. parse, authorize and dispatch all
// read this table, so adding an operation is adding a row.
//
// Row order never matters. Among the rows a request matches, the most
// specific wins: the one whose requirements (sub-resources, the copy-source
// header, a query value) include those of every other match, e.g.
// UploadPartCopy (uploadId + copy source) over UploadPart, CopyObject and
// PutObject. If no match includes all the others (?acl&policy), the request
// combines operations Tessera does not serve together and gets
// NotImplemented. No implemented row requires an unimplemented
// sub-resource, so a request naming one (?cors) always gets NotImplemented,
// never a listing. TestRoutesUnambiguous checks that no two rows have the
// same requirements, so the most specific match is never a tie.

// target is what a request's path names.
type target uint8

const (
	onService target = iota // "/"
	onBucket                // "/bucket"
	onObject                // "/bucket/key"
)

// String is the ResourceType S3 reports in MethodNotAllowed.
func (t target) String() string {
	switch t {
	case onService:
		return "SERVICE"
	case onBucket:
		return "BUCKET"
	}
	return "OBJECT"
}

// anyMethod as a row's method matches every method (not-implemented rows).
const anyMethod = "*"

// when is what a request must carry, beyond method and target, to match a row.
type when struct {
	// sub lists query sub-resources that must be present (any value).
	sub []string
	// copySource requires an x-amz-copy-source header, even an empty one
	// (S3 answers that with "Invalid copy source bucket name", versitygw#1388).
	copySource bool
	// param, if set, must have the query value value (list-type=2).
	param, value string
}

// route is one row of the table. A row with no kind is a not-implemented
// row: requests it matches get NotImplemented before authentication.
type route struct {
	method  string
	target  target
	when    when
	kind    Kind
	actions []string
	serve   func(*Handler, *request) error
}

// Builders that keep the table one line per row.
func always() when                  { return when{} }
func sub(names ...string) when      { return when{sub: names} }
func param(name, value string) when { return when{param: name, value: value} }
func (w when) withCopySource() when { w.copySource = true; return w }
func acts(a ...string) []string     { return a }

// bucketNotImplemented are bucket configuration sub-resources Tessera does
// not implement yet; a request for one gets NotImplemented, never a listing.
var bucketNotImplemented = []string{}

// objectNotImplemented are the object sub-resources Tessera does not implement yet.
var objectNotImplemented = []string{
	"restore", "select", "torrent",
}

// routes is the table. It is filled by init because handlers reach
// actionsFor, which reads it (a package-level initializer would be a cycle).
var routes []route

// versionActions are the IAM actions an operation needs instead of its
// row's when the request names a version (?versionId=), as S3 authorizes
// them (the S3 actions reference: "…Version" actions).
var versionActions = map[Kind][]string{
	GetObject:           {"s3:GetObjectVersion"},
	HeadObject:          {"s3:GetObjectVersion"},
	DeleteObject:        {"s3:DeleteObjectVersion"},
	GetObjectAttributes: {"s3:GetObjectVersion", "s3:GetObjectVersionAttributes"},
	GetObjectTagging:    {"s3:GetObjectVersionTagging"},
	PutObjectTagging:    {"s3:PutObjectVersionTagging"},
	DeleteObjectTagging: {"s3:DeleteObjectVersionTagging"},
	GetObjectAcl:        {"s3:GetObjectVersionAcl"},
	PutObjectAcl:        {"s3:PutObjectVersionAcl"},
}

// beforeAuth are the operations answered before authentication, with no
// IAM action: a browser sends a CORS preflight without credentials, and S3
// answers it even on a presigned URL without checking the signature (ceph
// s3-tests' presigned OPTIONS cases, which run against AWS).
var beforeAuth = map[Kind]bool{OptionsBucket: true, OptionsObject: true}

// byKind indexes the implemented rows by operation.
var byKind map[Kind]*route

func init() {
	const (
		get, head, put = http.MethodGet, http.MethodHead, http.MethodPut
		post, del      = http.MethodPost, http.MethodDelete
		options        = http.MethodOptions
	)
	routes = []route{
		{get, onService, always(), ListBuckets, acts("s3:ListAllMyBuckets"), (*Handler).listBuckets},

		{put, onBucket, always(), CreateBucket, acts("s3:CreateBucket"), (*Handler).createBucket},
		{head, onBucket, always(), HeadBucket, acts("s3:ListBucket"), (*Handler).headBucket},
		{del, onBucket, always(), DeleteBucket, acts("s3:DeleteBucket"), (*Handler).deleteBucket},
		{get, onBucket, always(), ListObjects, acts("s3:ListBucket"), (*Handler).listObjects},
		{get, onBucket, param("list-type", "2"), ListObjectsV2, acts("s3:ListBucket"), (*Handler).listObjects},
		{get, onBucket, sub("location"), GetBucketLocation, acts("s3:GetBucketLocation"), (*Handler).getBucketLocation},
		{get, onBucket, sub("uploads"), ListMultipartUploads, acts("s3:ListBucketMultipartUploads"), (*Handler).listMultipartUploads},
		{post, onBucket, sub("delete"), DeleteObjects, acts("s3:DeleteObject"), (*Handler).deleteObjects},
		{put, onBucket, sub("lifecycle"), PutBucketLifecycleConfiguration, acts("s3:PutLifecycleConfiguration"), (*Handler).putBucketLifecycle},
		{get, onBucket, sub("lifecycle"), GetBucketLifecycleConfiguration, acts("s3:GetLifecycleConfiguration"), (*Handler).getBucketLifecycle},
		{del, onBucket, sub("lifecycle"), DeleteBucketLifecycle, acts("s3:PutLifecycleConfiguration"), (*Handler).deleteBucketLifecycle},
		{get, onBucket, sub("versioning"), GetBucketVersioning, acts("s3:GetBucketVersioning"), (*Handler).getBucketVersioning},
		{put, onBucket, sub("versioning"), PutBucketVersioning, acts("s3:PutBucketVersioning"), (*Handler).putBucketVersioning},
		{get, onBucket, sub("versions"), ListObjectVersions, acts("s3:ListBucketVersions"), (*Handler).listObjectVersions},
		{put, onBucket, sub("object-lock"), PutObjectLockConfiguration, acts("s3:PutBucketObjectLockConfiguration"), (*Handler).putObjectLockConfiguration},
		{get, onBucket, sub("object-lock"), GetObjectLockConfiguration, acts("s3:GetBucketObjectLockConfiguration"), (*Handler).getObjectLockConfiguration},
		{get, onBucket, sub("acl"), GetBucketAcl, acts("s3:GetBucketAcl"), (*Handler).getACL},
		{put, onBucket, sub("acl"), PutBucketAcl, acts("s3:PutBucketAcl"), (*Handler).putACL},
		{put, onBucket, sub("policy"), PutBucketPolicy, acts("s3:PutBucketPolicy"), (*Handler).putBucketPolicy},
		{get, onBucket, sub("policy"), GetBucketPolicy, acts("s3:GetBucketPolicy"), (*Handler).getBucketPolicy},
		{del, onBucket, sub("policy"), DeleteBucketPolicy, acts("s3:DeleteBucketPolicy"), (*Handler).deleteBucketPolicy},
		{put, onBucket, sub("requestPayment"), PutBucketRequestPayment, acts("s3:PutBucketRequestPayment"), (*Handler).putBucketRequestPayment},
		{get, onBucket, sub("requestPayment"), GetBucketRequestPayment, acts("s3:GetBucketRequestPayment"), (*Handler).getBucketRequestPayment},
		{put, onBucket, sub("encryption"), PutBucketEncryption, acts("s3:PutEncryptionConfiguration"), (*Handler).putBucketEncryption},

		// Browser form uploads: any POST on the bucket itself, whatever its
		// Content-Type, because S3 answers a body that is not
		// multipart/form-data with 412 PreconditionFailed, not
		// MethodNotAllowed (LocalStack test_presigned_post_with_different_
		// content_type, recorded against AWS). The form, not the request,
		// is signed: serve authenticates it (post.go).
		{post, onBucket, always(), PostObject, acts("s3:PutObject"), (*Handler).postObject},
		{get, onBucket, sub("encryption"), GetBucketEncryption, acts("s3:GetEncryptionConfiguration"), (*Handler).getBucketEncryption},
		{del, onBucket, sub("encryption"), DeleteBucketEncryption, acts("s3:PutEncryptionConfiguration"), (*Handler).deleteBucketEncryption},

		// Configuration of features Tessera does not have: reads answer as
		// S3 does for a bucket without it, writes NotImplemented
		// (config_absent.go). A Delete S3 serves without an id is 204,
		// as S3 answers when there is nothing to delete.
		{get, onBucket, sub("website"), GetBucketWebsite, acts("s3:GetBucketWebsite"), (*Handler).getBucketWebsite},
		{put, onBucket, sub("website"), PutBucketWebsite, acts("s3:PutBucketWebsite"), (*Handler).notSupported},
		{del, onBucket, sub("website"), DeleteBucketWebsite, acts("s3:DeleteBucketWebsite"), (*Handler).deleteAbsent},
		{get, onBucket, sub("accelerate"), GetBucketAccelerateConfiguration, acts("s3:GetAccelerateConfiguration"), (*Handler).getBucketAccelerate},
		{put, onBucket, sub("accelerate"), PutBucketAccelerateConfiguration, acts("s3:PutAccelerateConfiguration"), (*Handler).notSupported},
		{get, onBucket, sub("logging"), GetBucketLogging, acts("s3:GetBucketLogging"), (*Handler).getBucketLogging},
		{put, onBucket, sub("logging"), PutBucketLogging, acts("s3:PutBucketLogging"), (*Handler).notSupported},
		{get, onBucket, sub("replication"), GetBucketReplication, acts("s3:GetReplicationConfiguration"), (*Handler).getBucketReplication},
		{put, onBucket, sub("replication"), PutBucketReplication, acts("s3:PutReplicationConfiguration"), (*Handler).notSupported},
		{del, onBucket, sub("replication"), DeleteBucketReplication, acts("s3:PutReplicationConfiguration"), (*Handler).deleteAbsent},
		{get, onBucket, sub("notification"), GetBucketNotificationConfiguration, acts("s3:GetBucketNotification"), (*Handler).getBucketNotification},
		{put, onBucket, sub("notification"), PutBucketNotificationConfiguration, acts("s3:PutBucketNotification"), (*Handler).notSupported},
		{get, onBucket, sub("analytics"), ListBucketAnalyticsConfigurations, acts("s3:GetAnalyticsConfiguration"), (*Handler).listAbsentConfigs},
		{get, onBucket, sub("analytics", "id"), GetBucketAnalyticsConfiguration, acts("s3:GetAnalyticsConfiguration"), (*Handler).noSuchConfiguration},
		{put, onBucket, sub("analytics"), PutBucketAnalyticsConfiguration, acts("s3:PutAnalyticsConfiguration"), (*Handler).notSupported},
		{del, onBucket, sub("analytics", "id"), DeleteBucketAnalyticsConfiguration, acts("s3:PutAnalyticsConfiguration"), (*Handler).noSuchConfiguration},
		{get, onBucket, sub("metrics"), ListBucketMetricsConfigurations, acts("s3:GetMetricsConfiguration"), (*Handler).listAbsentConfigs},
		{get, onBucket, sub("metrics", "id"), GetBucketMetricsConfiguration, acts("s3:GetMetricsConfiguration"), (*Handler).noSuchConfiguration},
		{put, onBucket, sub("metrics"), PutBucketMetricsConfiguration, acts("s3:PutMetricsConfiguration"), (*Handler).notSupported},
		{del, onBucket, sub("metrics", "id"), DeleteBucketMetricsConfiguration, acts("s3:PutMetricsConfiguration"), (*Handler).noSuchConfiguration},
		{get, onBucket, sub("inventory"), ListBucketInventoryConfigurations, acts("s3:GetInventoryConfiguration"), (*Handler).listAbsentConfigs},
		{get, onBucket, sub("inventory", "id"), GetBucketInventoryConfiguration, acts("s3:GetInventoryConfiguration"), (*Handler).noSuchConfiguration},
		{put, onBucket, sub("inventory"), PutBucketInventoryConfiguration, acts("s3:PutInventoryConfiguration"), (*Handler).notSupported},
		{del, onBucket, sub("inventory", "id"), DeleteBucketInventoryConfiguration, acts("s3:PutInventoryConfiguration"), (*Handler).noSuchConfiguration},
		{get, onBucket, sub("intelligent-tiering"), ListBucketIntelligentTieringConfigurations, acts("s3:GetIntelligentTieringConfiguration"), (*Handler).listAbsentConfigs},
		{get, onBucket, sub("intelligent-tiering", "id"), GetBucketIntelligentTieringConfiguration, acts("s3:GetIntelligentTieringConfiguration"), (*Handler).noSuchConfiguration},
		{put, onBucket, sub("intelligent-tiering"), PutBucketIntelligentTieringConfiguration, acts("s3:PutIntelligentTieringConfiguration"), (*Handler).notSupported},
		{del, onBucket, sub("intelligent-tiering", "id"), DeleteBucketIntelligentTieringConfiguration, acts("s3:PutIntelligentTieringConfiguration"), (*Handler).noSuchConfiguration},
		// Bucket tags, Object Ownership, the public access block.
		{get, onBucket, sub("tagging"), GetBucketTagging, acts("s3:GetBucketTagging"), (*Handler).getBucketTagging},
		{put, onBucket, sub("tagging"), PutBucketTagging, acts("s3:PutBucketTagging"), (*Handler).putBucketTagging},
		{del, onBucket, sub("tagging"), DeleteBucketTagging, acts("s3:PutBucketTagging"), (*Handler).deleteBucketTagging},
		{get, onBucket, sub("ownershipControls"), GetBucketOwnershipControls, acts("s3:GetBucketOwnershipControls"), (*Handler).getOwnershipControls},
		{put, onBucket, sub("ownershipControls"), PutBucketOwnershipControls, acts("s3:PutBucketOwnershipControls"), (*Handler).putOwnershipControls},
		{del, onBucket, sub("ownershipControls"), DeleteBucketOwnershipControls, acts("s3:PutBucketOwnershipControls"), (*Handler).deleteOwnershipControls},
		{get, onBucket, sub("publicAccessBlock"), GetPublicAccessBlock, acts("s3:GetBucketPublicAccessBlock"), (*Handler).getPublicAccessBlock},
		{put, onBucket, sub("publicAccessBlock"), PutPublicAccessBlock, acts("s3:PutBucketPublicAccessBlock"), (*Handler).putPublicAccessBlock},
		{del, onBucket, sub("publicAccessBlock"), DeletePublicAccessBlock, acts("s3:PutBucketPublicAccessBlock"), (*Handler).deletePublicAccessBlock},
		{get, onBucket, sub("policyStatus"), GetBucketPolicyStatus, acts("s3:GetBucketPolicyStatus"), (*Handler).getBucketPolicyStatus},

		{put, onObject, always(), PutObject, acts("s3:PutObject"), (*Handler).putObject},
		{put, onObject, always().withCopySource(), CopyObject, acts("s3:PutObject"), (*Handler).copyObject},
		{get, onObject, always(), GetObject, acts("s3:GetObject"), (*Handler).getObject},
		{head, onObject, always(), HeadObject, acts("s3:GetObject"), (*Handler).getObject},
		{del, onObject, always(), DeleteObject, acts("s3:DeleteObject"), (*Handler).deleteObject},
		{get, onObject, sub("attributes"), GetObjectAttributes, acts("s3:GetObject", "s3:GetObjectAttributes"), (*Handler).getObjectAttributes},
		{post, onObject, sub("uploads"), CreateMultipartUpload, acts("s3:PutObject"), (*Handler).createMultipartUpload},
		{put, onObject, sub("uploadId"), UploadPart, acts("s3:PutObject"), (*Handler).uploadPart},
		{put, onObject, sub("uploadId").withCopySource(), UploadPartCopy, acts("s3:PutObject"), (*Handler).uploadPartCopy},
		{post, onObject, sub("uploadId"), CompleteMultipartUpload, acts("s3:PutObject"), (*Handler).completeMultipartUpload},
		{del, onObject, sub("uploadId"), AbortMultipartUpload, acts("s3:AbortMultipartUpload"), (*Handler).abortMultipartUpload},
		{get, onObject, sub("uploadId"), ListParts, acts("s3:ListMultipartUploadParts"), (*Handler).listParts},
		{get, onObject, sub("tagging"), GetObjectTagging, acts("s3:GetObjectTagging"), (*Handler).getObjectTagging},
		{put, onObject, sub("tagging"), PutObjectTagging, acts("s3:PutObjectTagging"), (*Handler).putObjectTagging},
		{del, onObject, sub("tagging"), DeleteObjectTagging, acts("s3:DeleteObjectTagging"), (*Handler).deleteObjectTagging},
		{get, onObject, sub("acl"), GetObjectAcl, acts("s3:GetObjectAcl"), (*Handler).getACL},
		{put, onObject, sub("acl"), PutObjectAcl, acts("s3:PutObjectAcl"), (*Handler).putACL},
		{put, onObject, sub("retention"), PutObjectRetention, acts("s3:PutObjectRetention"), (*Handler).putObjectRetention},
		{get, onObject, sub("retention"), GetObjectRetention, acts("s3:GetObjectRetention"), (*Handler).getObjectRetention},
		{put, onObject, sub("legal-hold"), PutObjectLegalHold, acts("s3:PutObjectLegalHold"), (*Handler).putObjectLegalHold},
		{get, onObject, sub("legal-hold"), GetObjectLegalHold, acts("s3:GetObjectLegalHold"), (*Handler).getObjectLegalHold},

		// CORS. There is no s3:DeleteBucketCORS: deleting needs the Put
		// action (API_DeleteBucketCors). A preflight needs no action: it
		// is answered before authentication (see beforeAuth).
		{put, onBucket, sub("cors"), PutBucketCors, acts("s3:PutBucketCORS"), (*Handler).putBucketCors},
		{get, onBucket, sub("cors"), GetBucketCors, acts("s3:GetBucketCORS"), (*Handler).getBucketCors},
		{del, onBucket, sub("cors"), DeleteBucketCors, acts("s3:PutBucketCORS"), (*Handler).deleteBucketCors},
		{options, onBucket, always(), OptionsBucket, nil, (*Handler).preflight},
		{options, onObject, always(), OptionsObject, nil, (*Handler).preflight},
	}
	for _, s := range bucketNotImplemented {
		routes = append(routes, route{method: anyMethod, target: onBucket, when: sub(s)})
	}
	for _, s := range objectNotImplemented {
		routes = append(routes, route{method: anyMethod, target: onObject, when: sub(s)})
	}
	byKind = make(map[Kind]*route, len(routes))
	for i := range routes {
		if k := routes[i].kind; k != "" {
			byKind[k] = &routes[i]
		}
	}
}

// notImplemented answers a request that matches a not-implemented row, or
// whose matches have no single most specific row.
func notImplemented() error {
	return s3err.Newf(s3err.NotImplemented, "A header you provided implies functionality that is not implemented")
}

// matches reports whether a request satisfies the row.
func (rt *route) matches(method string, t target, q url.Values, h http.Header) bool {
	if rt.target != t || (rt.method != method && rt.method != anyMethod) {
		return false
	}
	// A preflight is answered from the CORS rules whatever the query
	// names: OPTIONS /b?logging is a preflight for a request to come, not
	// an unimplemented operation.
	if rt.method == anyMethod && method == http.MethodOptions {
		return false
	}
	for _, s := range rt.when.sub {
		if _, ok := q[s]; !ok {
			return false
		}
	}
	if _, ok := h[http.CanonicalHeaderKey("x-amz-copy-source")]; rt.when.copySource && !ok {
		return false
	}
	return rt.when.param == "" || q.Get(rt.when.param) == rt.when.value
}

// covers reports whether every requirement of o is also one of rt's, so
// that rt is at least as specific as o.
func (rt *route) covers(o *route) bool {
	for _, s := range o.when.sub {
		if !slices.Contains(rt.when.sub, s) {
			return false
		}
	}
	if o.when.copySource && !rt.when.copySource {
		return false
	}
	return o.when.param == "" || (o.when.param == rt.when.param && o.when.value == rt.when.value)
}

// match finds the row that answers a request, or the S3 error for it: the
// matching row that covers every other matching row.
func match(method string, t target, q url.Values, h http.Header) (*route, error) {
	var found []*route
	var best *route
	for i := range routes {
		rt := &routes[i]
		if !rt.matches(method, t, q, h) {
			continue
		}
		found = append(found, rt)
		if best == nil || rt.requirements() > best.requirements() {
			best = rt
		}
	}
	if best == nil {
		return nil, s3err.New(s3err.MethodNotAllowed).With("Method", method).With("ResourceType", t.String())
	}
	for _, rt := range found {
		if !best.covers(rt) {
			return nil, notImplemented() // no single most specific row
		}
	}
	if best.kind == "" {
		return nil, notImplemented()
	}
	if method == http.MethodDelete && namesOtherSubresource(best, q) {
		return nil, s3err.New(s3err.MethodNotAllowed).With("Method", method).With("ResourceType", t.String())
	}
	return best, nil
}

// namesOtherSubresource reports whether the query names a sub-resource
// that some row requires but rt does not: DELETE /b/k?legal-hold must not
// fall through to DeleteObject.
func namesOtherSubresource(rt *route, q url.Values) bool {
	for i := range routes {
		for _, s := range routes[i].when.sub {
			if _, ok := q[s]; ok && !slices.Contains(rt.when.sub, s) {
				return true
			}
		}
	}
	return false
}

// requirements counts what a request must carry to match the row.
func (rt *route) requirements() int {
	n := len(rt.when.sub)
	if rt.when.copySource {
		n++
	}
	if rt.when.param != "" {
		n++
	}
	return n
}

// Operations lists the operations Tessera serves, sorted by name.
func Operations() []Kind {
	ks := make([]Kind, 0, len(byKind))
	for k := range byKind {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
