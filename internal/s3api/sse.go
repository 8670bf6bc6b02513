package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// Server-side encryption request headers.
const (
	hdrSSE            = "x-amz-server-side-encryption"
	hdrSSEKMSKeyID    = "x-amz-server-side-encryption-aws-kms-key-id"
	hdrSSEContext     = "x-amz-server-side-encryption-context"
	hdrSSEBucketKey   = "x-amz-server-side-encryption-bucket-key-enabled"
	hdrSSECAlgorithm  = "x-amz-server-side-encryption-customer-algorithm"
	hdrSSECKey        = "x-amz-server-side-encryption-customer-key"
	hdrSSECKeyMD5     = "x-amz-server-side-encryption-customer-key-MD5"
	hdrCopySSECPrefix = "x-amz-copy-source-server-side-encryption-customer-"
)

var (
	sseHeaders  = []string{hdrSSE, hdrSSEKMSKeyID, hdrSSEContext, hdrSSEBucketKey}
	ssecHeaders = []string{hdrSSECAlgorithm, hdrSSECKey, hdrSSECKeyMD5}
	copySSEC    = []string{hdrCopySSECPrefix + "algorithm", hdrCopySSECPrefix + "key", hdrCopySSECPrefix + "key-MD5"}
)

// createsObjectData are the operations on which S3 accepts
// x-amz-server-side-encryption (it chooses how new bytes are stored).
var createsObjectData = map[Kind]bool{PutObject: true, CopyObject: true, CreateMultipartUpload: true}

// readsObjectData are the operations that read a stored object's bytes or
// attributes and would need its SSE-C key.
var readsObjectData = map[Kind]bool{GetObject: true, HeadObject: true, GetObjectAttributes: true}

// refuseEncryption refuses every server-side encryption request Tessera
// cannot honour yet, so a client that asked for encryption never has its
// bytes stored in plaintext behind a 200. Nothing Tessera stores is
// encrypted, so SSE-C keys on a read are "not applicable" (S3's answer for
// an unencrypted object), and any request to encrypt is NotImplemented.
func refuseEncryption(op Kind, h http.Header) error {
	if name, ok := firstPresent(h, sseHeaders); ok {
		if !createsObjectData[op] {
			// Recorded from S3 on UploadPart and CompleteMultipartUpload
			// (ClickHouse#64570, s3cmd#276).
			return s3err.InvalidArgumentf(hdrSSE, h.Get(name), "x-amz-server-side-encryption header is not supported for this operation.")
		}
		if v := h.Get(hdrSSE); v != "" && v != "AES256" && v != "aws:kms" && v != "aws:kms:dsse" {
			return s3err.InvalidArgumentf(hdrSSE, v, "The encryption method specified is not supported")
		}
		return notImplementedHeader(name)
	}
	if name, ok := firstPresent(h, copySSEC); ok {
		if op != CopyObject && op != UploadPartCopy {
			return notImplementedHeader(name)
		}
		return s3err.Newf(s3err.InvalidRequest, "The encryption parameters are not applicable to this object.")
	}
	if name, ok := firstPresent(h, ssecHeaders); ok {
		if readsObjectData[op] {
			return s3err.Newf(s3err.InvalidRequest, "The encryption parameters are not applicable to this object.")
		}
		return notImplementedHeader(name)
	}
	return nil
}

func firstPresent(h http.Header, names []string) (string, bool) {
	for _, n := range names {
		if _, ok := h[http.CanonicalHeaderKey(n)]; ok {
			return n, true
		}
	}
	return "", false
}

// notImplementedHeader is S3's answer to a header whose function the server
// does not have, naming the header.
func notImplementedHeader(name string) error {
	return s3err.New(s3err.NotImplemented).With("Header", name)
}
