package s3api

import (
	"encoding/json"
	"encoding/xml"
	"net/http"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// pabDoc names the bucket configuration document holding the bucket's
// public access block (JSON of publicAccessBlock). A bucket without it
// blocks nothing; new buckets get all four settings on (newBucketDocs).
const pabDoc = "publicAccessBlock"

// publicAccessBlock is the PublicAccessBlockConfiguration; element order
// per the API reference.
type publicAccessBlock struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration" json:"-"`
	NS                    string   `xml:"xmlns,attr,omitempty" json:"-"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

func defaultPublicAccessBlock() []byte {
	b, _ := json.Marshal(publicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true})
	return b
}

// publicAccess returns a bucket's public access block (all off without one)
// and whether it has one.
func (h *Handler) publicAccess(q *request, bucket string) (publicAccessBlock, bool, error) {
	var p publicAccessBlock
	doc, err := h.cfg.Engine.BucketConfig(q.ctx(), bucket, pabDoc)
	if err != nil || doc == nil {
		return p, false, err
	}
	return p, true, json.Unmarshal(doc, &p)
}

// GetPublicAccessBlock: LocalStack test_crud_public_access_block (recorded).
func (h *Handler) getPublicAccessBlock(q *request) error {
	p, ok, err := h.publicAccess(q, q.op.Bucket)
	if err != nil {
		return err
	}
	if !ok {
		return s3err.New(s3err.NoSuchPublicAccessBlockConfiguration).With("BucketName", q.op.Bucket)
	}
	p.NS = s3NS
	writeXML(q.w, http.StatusOK, p)
	return nil
}

// putPublicAccessBlock: an omitted setting is false; 200 (recorded).
func (h *Handler) putPublicAccessBlock(q *request) error {
	var in publicAccessBlock
	if _, err := readXMLBody(q, &in, 64<<10, false); err != nil {
		return err
	}
	doc, _ := json.Marshal(in)
	if err := h.cfg.Engine.PutBucketConfig(q.ctx(), q.op.Bucket, pabDoc, doc); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deletePublicAccessBlock(q *request) error {
	if err := h.cfg.Engine.DeleteBucketConfig(q.ctx(), q.op.Bucket, pabDoc); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type policyStatus struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	NS       string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// GetBucketPolicyStatus computes IsPublic from the policy alone, whatever
// the public access block says; without a policy S3 answers
// NoSuchBucketPolicy (a CloudTrail record in turbot/steampipe-plugin-aws#1136;
// moto and noobaa agree).
func (h *Handler) getBucketPolicyStatus(q *request) error {
	doc, err := h.cfg.Engine.BucketConfig(q.ctx(), q.op.Bucket, policyDoc)
	if err != nil {
		return err
	}
	if doc == nil {
		return s3err.New(s3err.NoSuchBucketPolicy).With("BucketName", q.op.Bucket)
	}
	writeXML(q.w, http.StatusOK, policyStatus{NS: s3NS, IsPublic: h.policies.get(q.op.Bucket, doc).IsPublic()})
	return nil
}

// denyPublic is the AccessDenied S3 answers when a public access block
// setting refuses a request, in AWS's wording since 2024 (Terraform and
// aws cli outputs quoted in research12 §4.2).
func denyPublic(q *request, why string) error {
	user := "arn:aws:iam::" + q.account.ID + ":root"
	action := actionsFor(q.op.Kind, false)[0]
	return s3err.Newf(s3err.AccessDenied, "User: %s is not authorized to perform: %s on resource: \"%s\" because %s",
		user, action, resourceARN(q.op.Bucket, q.op.Key), why)
}

func publicACLDenied(q *request) error {
	return denyPublic(q, "public access control lists (ACLs) are blocked by the BlockPublicAcls block public access setting")
}

// checkPublicACL refuses a public ACL on a bucket whose public access block
// has BlockPublicAcls.
func (h *Handler) checkPublicACL(q *request, a aclRequest) error {
	if !a.public() {
		return nil
	}
	p, _, err := h.publicAccess(q, q.op.Bucket)
	if err != nil {
		return err
	}
	if p.BlockPublicAcls || q.ap != nil && q.ap.Block.BlockPublicAcls {
		return publicACLDenied(q)
	}
	return nil
}

// checkPublicPolicy refuses a public bucket policy on a bucket whose public
// access block has BlockPublicPolicy.
func (h *Handler) checkPublicPolicy(q *request, p *iam.Policy) error {
	if !p.IsPublic() {
		return nil
	}
	pab, _, err := h.publicAccess(q, q.op.Bucket)
	if err != nil {
		return err
	}
	if pab.BlockPublicPolicy {
		return denyPublic(q, "public policies are blocked by the BlockPublicPolicy block public access setting")
	}
	return nil
}
