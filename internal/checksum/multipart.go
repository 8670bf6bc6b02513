package checksum

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
)

// CompositeOf returns the COMPOSITE checksum of a multipart object: a's
// hash over the concatenation of the raw part digests, in part order.
// S3 reports it as base64(CompositeOf(...)) + "-" + N on
// CompleteMultipartUpload and HEAD, and without the suffix in
// GetObjectAttributes. Digests are streamed into the hash, not
// concatenated. The caller must pass digests of a.Size() bytes; nil is
// returned for an unknown algorithm.
func CompositeOf(a Algorithm, partDigests [][]byte) []byte {
	h := a.New()
	if h == nil {
		return nil
	}
	for _, d := range partDigests {
		h.Write(d)
	}
	return h.Sum(nil)
}

// MultipartETag returns the S3 ETag of a multipart object, unquoted:
// hex(md5(concat(raw part MD5s))) + "-" + N, N being the number of parts
// listed in CompleteMultipartUpload.
func MultipartETag(partMD5s [][]byte) string {
	h := md5.New()
	for _, d := range partMD5s {
		h.Write(d)
	}
	var sum [md5.Size]byte
	buf := make([]byte, 0, 2*md5.Size+1+5)
	buf = hex.AppendEncode(buf, h.Sum(sum[:0]))
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, int64(len(partMD5s)), 10)
	return string(buf)
}
