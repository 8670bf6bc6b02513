package s3api

import (
	"encoding/xml"
	"net/http"
	"slices"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// ownershipDoc names the bucket configuration document holding the
// bucket's Object Ownership setting. A bucket without it has no ownership
// controls: ACLs are enabled and the writer owns what it writes, as for S3
// buckets made before the controls existed. New buckets get
// BucketOwnerEnforced, S3's default since April 2023.
const ownershipDoc = "ownershipControls"

// The Object Ownership settings.
const (
	ownerEnforced  = "BucketOwnerEnforced"
	ownerPreferred = "BucketOwnerPreferred"
	objectWriter   = "ObjectWriter"
)

func validOwnership(v string) bool {
	return v == ownerEnforced || v == ownerPreferred || v == objectWriter
}

type ownershipControls struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

// ownership returns a bucket's Object Ownership ("" without controls).
func (h *Handler) ownership(q *request, bucket string) (string, error) {
	doc, err := h.cfg.Engine.BucketConfig(q.ctx(), bucket, ownershipDoc)
	return string(doc), err
}

// GetBucketOwnershipControls: LocalStack test_crud_bucket_ownership_controls
// (recorded).
func (h *Handler) getOwnershipControls(q *request) error {
	v, err := h.ownership(q, q.op.Bucket)
	if err != nil {
		return err
	}
	if v == "" {
		return s3err.New(s3err.OwnershipControlsNotFound).With("BucketName", q.op.Bucket)
	}
	out := ownershipControls{NS: s3NS}
	out.Rules = append(out.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{v})
	writeXML(q.w, http.StatusOK, out)
	return nil
}

// putOwnershipControls: exactly one Rule with a known value, else
// MalformedXML; 200 (recorded). Enforcing bucket ownership over a bucket ACL
// that grants others is refused (Object Ownership docs).
func (h *Handler) putOwnershipControls(q *request) error {
	var in ownershipControls
	if _, err := readXMLBody(q, &in, 64<<10, false); err != nil {
		return err
	}
	if len(in.Rules) != 1 || !validOwnership(in.Rules[0].ObjectOwnership) {
		return s3err.New(s3err.MalformedXML)
	}
	v := in.Rules[0].ObjectOwnership
	if v == ownerEnforced {
		doc, err := h.cfg.Engine.BucketConfig(q.ctx(), q.op.Bucket, aclDoc)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(decodeACL(doc, q.bucketOwner), func(g grant) bool { return g.ID != q.bucketOwner.ID }) {
			return s3err.New(s3err.InvalidBucketAclWithObjectOwnership)
		}
	}
	if err := h.cfg.Engine.PutBucketConfig(q.ctx(), q.op.Bucket, ownershipDoc, []byte(v)); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteOwnershipControls(q *request) error {
	if err := h.cfg.Engine.DeleteBucketConfig(q.ctx(), q.op.Bucket, ownershipDoc); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// newBucketDocs are the configuration documents CreateBucket gives a new
// bucket: its Object Ownership (x-amz-object-ownership, default
// BucketOwnerEnforced), the public access block S3 gives every new bucket
// (all four settings on, LocalStack test_crud_public_access_block,
// recorded), its ACL (x-amz-acl / x-amz-grant-*) and its tags
// (CreateBucketConfiguration Tags).
func (h *Handler) newBucketDocs(q *request, tags []tag) (map[string][]byte, error) {
	ownership := ownerEnforced
	if v, ok := q.r.Header[http.CanonicalHeaderKey("x-amz-object-ownership")]; ok {
		if !validOwnership(v[0]) {
			// LocalStack test_crud_bucket_ownership_controls (recorded).
			return nil, s3err.Newf(s3err.InvalidArgument, "Invalid x-amz-object-ownership header: %s", v[0]).With("ArgumentName", "x-amz-object-ownership")
		}
		ownership = v[0]
	}
	docs := map[string][]byte{ownershipDoc: []byte(ownership), pabDoc: defaultPublicAccessBlock()}
	a, err := h.parseACLHeaders(q.r.Header, q.owner, q.owner)
	if err != nil {
		return nil, err
	}
	if ownership == ownerEnforced && slices.ContainsFunc(a.grants, func(g grant) bool { return g.ID != q.owner.ID }) {
		// x-amz-acl: private is accepted; anything granting others is not
		// (Object Ownership docs, research12 §3.2).
		return nil, s3err.New(s3err.InvalidBucketAclWithObjectOwnership)
	}
	// The new bucket blocks public ACLs from the start (BlockPublicAcls:
	// "PUT Bucket calls fail if the request includes a public ACL").
	if a.public() {
		return nil, publicACLDenied(q)
	}
	if enc := encodeACL(a.grants, q.owner); a.present && enc != "" {
		docs[aclDoc] = []byte(enc)
	}
	tagDoc, err := bucketTagsDoc(tags)
	if err != nil {
		return nil, err
	}
	if tagDoc != nil {
		docs[taggingDoc] = tagDoc
	}
	return docs, nil
}
