package s3api

import (
	"encoding/xml"
	"net/http"
	"testing"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// Fuzz targets for the request parsers of the edge that had none: the
// small XML bodies, x-amz-copy-source (and its range), x-amz-tagging, the
// checksum and Object Lock headers. Each must never panic, and every
// refusal must be an S3 error (which is what reaches the client).

// wantS3Err fails unless err is nil or an S3 error.
func wantS3Err(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if _, ok := s3err.As(err); !ok {
		t.Fatalf("%s: %v is not an S3 error", what, err)
	}
}

// FuzzXMLBodies decodes one body as every small XML document the edge
// reads and runs the validation that follows each decode.
func FuzzXMLBodies(f *testing.F) {
	for _, s := range []string{
		`<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`,
		`<CORSConfiguration><CORSRule><ID>r</ID><AllowedMethod>PATCH</AllowedMethod><AllowedOrigin>http://*.a.*</AllowedOrigin></CORSRule></CORSConfiguration>`,
		`<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k</Key><Value>w</Value></Tag></TagSet></Tagging>`,
		`<Delete><Quiet>true</Quiet><Object><Key>a</Key><VersionId>null</VersionId></Object></Delete>`,
		`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>-1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`,
		`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>99999999999</Years></DefaultRetention></Rule></ObjectLockConfiguration>`,
		`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>`,
		`<LegalHold><Status>ON</Status></LegalHold>`,
		`<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>`,
		`<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`,
		`<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>`,
		`<AccessControlPolicy><Owner><ID>x</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
		`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "&x;&x;">]><Tagging>&x;</Tagging>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var cors corsConfiguration
		if xml.Unmarshal(body, &cors) == nil {
			wantS3Err(t, "validateCORS", validateCORS(cors))
		}
		var tg tagging
		if xml.Unmarshal(body, &tg) == nil {
			_, err := validTags(tg.TagSet)
			wantS3Err(t, "validTags", err)
			_, err = bucketTagsDoc(tg.TagSet)
			wantS3Err(t, "bucketTagsDoc", err)
		}
		var lock objectLockConfiguration
		if xml.Unmarshal(body, &lock) == nil {
			_, err := parseDefaultRetention(lock.Rule)
			wantS3Err(t, "parseDefaultRetention", err)
		}
		var h Handler // ACL bodies naming no canonical user never reach the account store
		if p := (accessControlPolicy{}); xml.Unmarshal(body, &p) == nil && !namesUser(p) {
			_, err := h.parseACLBody(body)
			wantS3Err(t, "parseACLBody", err)
		}
		for _, v := range []any{&deleteRequest{}, &retentionXML{}, &legalHoldXML{}, &publicAccessBlock{},
			&ownershipControls{}, &versioningConfiguration{}, &createBucketConfiguration{}} {
			xml.Unmarshal(body, v)
		}
	})
}

// namesUser reports whether an ACL body has a grantee with an ID, which
// parseACLBody resolves through the account store.
func namesUser(p accessControlPolicy) bool {
	if p.Grants == nil {
		return false
	}
	for _, g := range p.Grants.Grant {
		if g.Grantee != nil && g.Grantee.ID != "" {
			return true
		}
	}
	return false
}

// FuzzCopySource parses x-amz-copy-source and x-amz-copy-source-range.
func FuzzCopySource(f *testing.F) {
	for _, s := range []string{
		"/bucket/key", "bucket/a%2Fb?versionId=null", "bucket/..", "%zz/k", "/b/k?versionId=", "b/k?versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY",
		"bytes=0-9", "bytes=9-0", "bytes=-5", "bytes=0-99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		bucket, key, _, err := copySource(v)
		wantS3Err(t, "copySource", err)
		if err == nil && (bucket == "" || key == "") {
			t.Fatalf("copySource(%q) accepted an empty bucket or key", v)
		}
		r, err := copySourceRange(v)
		wantS3Err(t, "copySourceRange", err)
		if err == nil && r == nil {
			t.Fatalf("copySourceRange(%q): no range and no error", v)
		}
	})
}

// FuzzRequestHeaders parses the headers a write carries: x-amz-tagging,
// the x-amz-checksum-* family and x-amz-trailer, the Object Lock headers,
// Range and the conditional dates.
func FuzzRequestHeaders(f *testing.F) {
	f.Add("k=v&k2=", "CRC32", "AAAAAA==", "GOVERNANCE", "2030-01-01T00:00:00Z", "bytes=0-")
	f.Add("k=v&k=w", "x-amz-checksum-crc64nvme", "!!", "COMPLIANCE", "yesterday", "bytes=5-2")
	f.Add("%zz", "SHA1", "", "", "2030-01-01T00:00:00.000Z", "bytes=-0,1-2")
	f.Fuzz(func(t *testing.T, tags, alg, value, mode, date, rng string) {
		h := http.Header{}
		h.Set("x-amz-tagging", tags)
		h.Set("x-amz-checksum-"+alg, value)
		h.Set("x-amz-trailer", alg)
		h.Set("x-amz-sdk-checksum-algorithm", alg)
		h.Set("x-amz-object-lock-mode", mode)
		h.Set("x-amz-object-lock-retain-until-date", date)
		h.Set("x-amz-object-lock-legal-hold", mode)
		h.Set("If-Modified-Since", date)
		_, err := taggingHeader(h)
		wantS3Err(t, "taggingHeader", err)
		_, err = checksumInput(h, http.Header{})
		wantS3Err(t, "checksumInput", err)
		_, err = lockInput(h)
		wantS3Err(t, "lockInput", err)
		writeAttrs(h)
		readConditions(h, "")
		stripAWSChunked(value)
		parseRange(rng)
	})
}
