package conformance

// UploadPart: part-number range (§3.1), Content-MD5, replacement of a part
// number (§3.13; seaweedfs#6821), racing uploads of one part number,
// parallel parts, and NoSuchUpload. Blob files are counted to show that
// replaced and failed parts leave no bytes behind.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestMPUploadPartNumberRange: 1 and 10000 are valid; 0, 10001, -1 and
// non-numbers are InvalidArgument with ArgumentName partNumber.
func TestMPUploadPartNumberRange(t *testing.T) {
	e := mpSmall(t)
	id := e.create("k")
	for _, n := range []int32{0, 10001, -1} {
		_, err := e.uploadPart("k", id, n, []byte("x"))
		mpWantErr(t, fmt.Sprintf("UploadPart part %d", n), err, "InvalidArgument", 400)
	}
	for _, v := range []string{"0", "10001", "-1", "abc", "1.5", "99999999999"} {
		r := e.raw("PUT", mpPath(e.bucket, "k")+"?partNumber="+v+"&uploadId="+id, []byte("x"), nil)
		r.wantErr(t, "raw UploadPart partNumber="+v, 400, "InvalidArgument", map[string]string{
			"ArgumentName": "partNumber", "ArgumentValue": v, "Message": mpPartNumberMsg,
		})
	}
	e.part("k", id, 1, []byte("first"))
	e.part("k", id, 10000, []byte("last"))
	mpCheckPage(t, "after valid bounds", e.mustListParts("k", id, nil, nil), []int32{1, 10000}, "0", "10000", 1000, false)
}

// TestMPUploadPartContentMD5: a wrong Content-MD5 is BadDigest, a malformed
// one InvalidDigest, a right one accepted; rejected parts leave nothing.
func TestMPUploadPartContentMD5(t *testing.T) {
	e := mpSmall(t)
	id := e.create("k")
	body := []byte("the part's real bytes")
	_, err := e.uploadPart("k", id, 1, body, func(in *s3.UploadPartInput) { in.ContentMD5 = aws.String(mpMD5B64([]byte("other bytes"))) })
	mpWantErr(t, "UploadPart with a wrong Content-MD5", err, "BadDigest", 400)
	_, err = e.uploadPart("k", id, 1, body, func(in *s3.UploadPartInput) { in.ContentMD5 = aws.String("not-base64!!") })
	mpWantErr(t, "UploadPart with a malformed Content-MD5", err, "InvalidDigest", 400)
	r := e.raw("PUT", mpPath(e.bucket, "k")+"?partNumber=2&uploadId="+id, body, map[string]string{"Content-MD5": mpMD5B64([]byte("nope"))})
	r.wantErr(t, "raw UploadPart with a wrong Content-MD5", 400, "BadDigest", nil)

	if out := e.mustListParts("k", id, nil, nil); len(out.Parts) != 0 {
		t.Errorf("rejected parts are listed: %v", mpPartNumbers(out.Parts))
	}
	if n := len(mpBlobs(t, e.srv.DataDir)); n != 0 {
		t.Errorf("%d blob files after rejected parts, want 0", n)
	}
	et := e.part("k", id, 1, body, func(in *s3.UploadPartInput) { in.ContentMD5 = aws.String(mpMD5B64(body)) })
	if et != `"`+mpMD5Hex(body)+`"` {
		t.Errorf("ETag %s, want quoted MD5", et)
	}
}

// TestMPUploadPartReplace: re-uploading a part number replaces it: a new
// ETag, one ListParts entry, the stale ETag is InvalidPart at Complete,
// and the old bytes are freed.
func TestMPUploadPartReplace(t *testing.T) {
	e := mpSmall(t)
	key := "replace"
	id := e.create(key)
	v1 := []byte("version one of part 1")
	v2 := []byte("version two of part 1, longer")
	old := e.part(key, id, 1, v1)
	et2 := e.part(key, id, 2, []byte("tail"))
	if n := len(mpBlobs(t, e.srv.DataDir)); n != 2 {
		t.Errorf("%d blobs after two parts, want 2", n)
	}
	cur := e.part(key, id, 1, v2)
	if cur == old {
		t.Fatalf("re-upload with other bytes kept ETag %s", cur)
	}
	out := e.mustListParts(key, id, nil, nil)
	mpCheckPage(t, "after re-upload", out, []int32{1, 2}, "0", "2", 1000, false)
	if len(out.Parts) > 0 && (aws.ToString(out.Parts[0].ETag) != cur || aws.ToInt64(out.Parts[0].Size) != int64(len(v2))) {
		t.Errorf("part 1 listed as %s/%d, want the latest %s/%d", aws.ToString(out.Parts[0].ETag), aws.ToInt64(out.Parts[0].Size), cur, len(v2))
	}
	if !mpEventually(func() bool { return len(mpBlobs(t, e.srv.DataDir)) == 2 }) {
		t.Errorf("%d blobs after replacing part 1, want 2: the old bytes were not freed", len(mpBlobs(t, e.srv.DataDir)))
	}

	_, err := e.complete(key, id, []types.CompletedPart{mpCP(1, old), mpCP(2, et2)})
	mpWantErr(t, "Complete with the stale ETag", err, "InvalidPart", 400)
	out2 := e.mustComplete(key, id, []types.CompletedPart{mpCP(1, cur), mpCP(2, et2)})
	if got, want := mpUnquote(aws.ToString(out2.ETag)), mpMultipartETag(v2, []byte("tail")); got != want {
		t.Errorf("object ETag %s, want %s", got, want)
	}
	e.wantBytes(key, append(append([]byte{}, v2...), "tail"...))
}

// TestMPUploadPartRace: 32 goroutines upload the same part number with
// different bytes: exactly one version is listed, it completes to exactly
// its bytes, and no other version's bytes remain on disk.
func TestMPUploadPartRace(t *testing.T) {
	e := mpSmall(t)
	key := "race"
	id := e.create(key)
	const n = 32
	bodies := make([][]byte, n)
	byETag := map[string][]byte{}
	for i := range bodies {
		bodies[i] = mpBytes(4096+i, uint64(i))
		byETag[`"`+mpMD5Hex(bodies[i])+`"`] = bodies[i]
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			_, errs[i] = e.uploadPart(key, id, 7, bodies[i])
		}(i)
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("racer %d: %v", i, err)
		}
	}
	out := e.mustListParts(key, id, nil, nil)
	if len(out.Parts) != 1 {
		t.Fatalf("ListParts after the race: %d entries %v, want exactly 1", len(out.Parts), mpPartNumbers(out.Parts))
	}
	winner := aws.ToString(out.Parts[0].ETag)
	body, ok := byETag[winner]
	if !ok {
		t.Fatalf("listed ETag %s is none of the racers'", winner)
	}
	if aws.ToInt64(out.Parts[0].Size) != int64(len(body)) {
		t.Errorf("listed size %d, want the winner's %d", aws.ToInt64(out.Parts[0].Size), len(body))
	}
	if !mpEventually(func() bool { return len(mpBlobs(t, e.srv.DataDir)) == 1 }) {
		t.Errorf("%d blob files after the race, want 1: losers' bytes leaked", len(mpBlobs(t, e.srv.DataDir)))
	}
	e.mustComplete(key, id, []types.CompletedPart{mpCP(7, winner)})
	e.wantBytes(key, body)
}

// TestMPUploadPartParallel: 64 parts uploaded by 16 goroutines complete to
// the exact concatenation, with the multipart ETag computed here.
func TestMPUploadPartParallel(t *testing.T) {
	e := mpSmall(t)
	key := "parallel/object.bin"
	id := e.create(key)
	bodies := map[int32][]byte{}
	for n := int32(1); n <= 64; n++ {
		bodies[n] = mpBytes(16<<10+int(n), uint64(n))
	}
	etags := e.parts(key, id, mpSeq(1, 64), func(n int32) []byte { return bodies[n] }, 16)
	out := e.mustComplete(key, id, mpCPs(etags))
	var all []byte
	var list [][]byte
	for n := int32(1); n <= 64; n++ {
		all = append(all, bodies[n]...)
		list = append(list, bodies[n])
	}
	if got, want := mpUnquote(aws.ToString(out.ETag)), mpMultipartETag(list...); got != want {
		t.Errorf("ETag %s, want %s", got, want)
	}
	e.wantBytes(key, all)
}

// TestMPUploadPartRetries reproduces seaweedfs#6821: random parts are
// re-uploaded 1–5 times; ListParts shows one entry per number (the latest),
// Complete with the latest ETags succeeds, a stale one is InvalidPart.
func TestMPUploadPartRetries(t *testing.T) {
	e := mpSmall(t)
	key := "retries"
	id := e.create(key)
	const total = 200
	latest := map[int32][]byte{}
	for n := int32(1); n <= total; n++ {
		latest[n] = mpTiny(n, 0)
	}
	etags := e.parts(key, id, mpSeq(1, total), func(n int32) []byte { return latest[n] }, 16)
	rng := rand.New(rand.NewPCG(6821, 1))
	var staleN int32
	var staleETag string
	for i := 0; i < 40; i++ {
		n := int32(rng.IntN(total) + 1)
		times := rng.IntN(5) + 1
		for k := 1; k <= times; k++ {
			prev := etags[n]
			b := mpTiny(n, i*10+k)
			etags[n] = e.part(key, id, n, b)
			latest[n] = b
			staleN, staleETag = n, prev
		}
	}
	var listed []types.Part
	p := s3.NewListPartsPaginator(e.c, &s3.ListPartsInput{Bucket: aws.String(e.bucket), Key: aws.String(key), UploadId: aws.String(id), MaxParts: aws.Int32(64)})
	for p.HasMorePages() {
		out, err := p.NextPage(mpCtx())
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		listed = append(listed, out.Parts...)
	}
	if len(listed) != total {
		t.Errorf("ListParts: %d entries, want %d (one per part number)", len(listed), total)
	}
	for i, lp := range listed {
		n := aws.ToInt32(lp.PartNumber)
		if n != int32(i+1) || aws.ToString(lp.ETag) != etags[n] {
			t.Errorf("entry %d: part %d ETag %s, want part %d ETag %s", i, n, aws.ToString(lp.ETag), i+1, etags[int32(i+1)])
			break
		}
	}
	if !mpEventually(func() bool { return len(mpBlobs(t, e.srv.DataDir)) == total }) {
		t.Errorf("%d blob files, want %d: replaced parts were not freed", len(mpBlobs(t, e.srv.DataDir)), total)
	}
	stale := mpCPs(etags)
	stale[staleN-1] = mpCP(staleN, staleETag)
	_, err := e.complete(key, id, stale)
	mpWantErr(t, fmt.Sprintf("Complete with part %d's stale ETag", staleN), err, "InvalidPart", 400)

	e.mustComplete(key, id, mpCPs(etags))
	var all []byte
	for n := int32(1); n <= total; n++ {
		all = append(all, latest[n]...)
	}
	e.wantBytes(key, all)
}

// TestMPUploadPartNoSuchUpload: parts for an unknown upload, another key's
// upload, or in a missing bucket are refused and leave no bytes.
func TestMPUploadPartNoSuchUpload(t *testing.T) {
	e := mpSmall(t)
	id := e.create("k")
	_, err := e.uploadPart("k", "bm9zdWNodXBsb2Fk", 1, []byte("x"))
	mpWantErr(t, "UploadPart to an unknown upload", err, "NoSuchUpload", 404)
	_, err = e.uploadPart("other", id, 1, []byte("x"))
	mpWantErr(t, "UploadPart with another key", err, "NoSuchUpload", 404)
	_, err = e.c.UploadPart(mpCtx(), &s3.UploadPartInput{Bucket: aws.String("mp-missing"), Key: aws.String("k"), UploadId: aws.String(id), PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
	mpWantErr(t, "UploadPart in a missing bucket", err, "NoSuchBucket", 404)
	r := e.raw("PUT", mpPath(e.bucket, "k")+"?partNumber=1&uploadId=bm9zdWNodXBsb2Fk", []byte("x"), nil)
	r.wantErr(t, "raw UploadPart to an unknown upload", 404, "NoSuchUpload", map[string]string{"Message": mpNoSuchUploadMsg, "UploadId": "bm9zdWNodXBsb2Fk"})
	if n := len(mpBlobs(t, e.srv.DataDir)); n != 0 {
		t.Errorf("%d blob files after refused parts, want 0", n)
	}
}

// TestMPUploadPartEntityTooSmallIsAtComplete: a small non-last part is
// accepted by UploadPart on a default (5 MiB minimum) server; the size rule
// applies at Complete only (§3.9).
func TestMPUploadPartEntityTooSmallIsAtComplete(t *testing.T) {
	e := mpSetup(t)
	id := e.create("k")
	e.part("k", id, 1, mpBytes(mpMiB, 1))
	e.part("k", id, 2, []byte("small last"))
	mpCheckPage(t, "small parts", e.mustListParts("k", id, nil, nil), []int32{1, 2}, "0", "2", 1000, false)
}

// TestMPMinioLifecycle drives a whole upload with minio-go's core client:
// create, parts, part listing, upload listing, complete, read back.
func TestMPMinioLifecycle(t *testing.T) {
	e := mpSmall(t)
	core := minio.Core{Client: e.srv.Minio()}
	key := "minio/object"
	id, err := core.NewMultipartUpload(mpCtx(), e.bucket, key, minio.PutObjectOptions{ContentType: "application/x-minio", UserMetadata: map[string]string{"origin": "minio"}})
	if err != nil {
		t.Fatalf("minio NewMultipartUpload: %v", err)
	}
	var parts []minio.CompletePart
	var all [][]byte
	for n := 1; n <= 3; n++ {
		b := mpBytes(1000*n, uint64(n))
		all = append(all, b)
		p, err := core.PutObjectPart(mpCtx(), e.bucket, key, id, n, bytes.NewReader(b), int64(len(b)), minio.PutObjectPartOptions{Md5Base64: mpMD5B64(b)})
		if err != nil {
			t.Fatalf("minio PutObjectPart %d: %v", n, err)
		}
		if mpUnquote(p.ETag) != mpMD5Hex(b) {
			t.Errorf("minio part %d ETag %s, want %s", n, p.ETag, mpMD5Hex(b))
		}
		parts = append(parts, minio.CompletePart{PartNumber: n, ETag: p.ETag})
	}
	lp, err := core.ListObjectParts(mpCtx(), e.bucket, key, id, 0, 2)
	if err != nil {
		t.Fatalf("minio ListObjectParts: %v", err)
	}
	if len(lp.ObjectParts) != 2 || !lp.IsTruncated || lp.NextPartNumberMarker != 2 || lp.MaxParts != 2 {
		t.Errorf("minio ListObjectParts max 2: %d parts, truncated %v, next %d, max %d; want 2, true, 2, 2", len(lp.ObjectParts), lp.IsTruncated, lp.NextPartNumberMarker, lp.MaxParts)
	}
	if lp.Initiator.ID == "" || lp.Owner.ID == "" || lp.StorageClass != "STANDARD" {
		t.Errorf("minio ListObjectParts: Initiator %+v Owner %+v StorageClass %q", lp.Initiator, lp.Owner, lp.StorageClass)
	}
	lu, err := core.ListMultipartUploads(mpCtx(), e.bucket, "minio/", "", "", "", 10)
	if err != nil {
		t.Fatalf("minio ListMultipartUploads: %v", err)
	}
	if len(lu.Uploads) != 1 || lu.Uploads[0].UploadID != id || lu.Uploads[0].Key != key {
		t.Errorf("minio ListMultipartUploads: %+v, want the one upload", lu.Uploads)
	}
	info, err := core.CompleteMultipartUpload(mpCtx(), e.bucket, key, id, parts, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("minio CompleteMultipartUpload: %v", err)
	}
	if got, want := mpUnquote(info.ETag), mpMultipartETag(all...); got != want {
		t.Errorf("minio Complete ETag %s, want %s", got, want)
	}
	e.wantBytes(key, bytes.Join(all, nil))
	_, err = core.ListObjectParts(mpCtx(), e.bucket, key, id, 0, 0)
	if r := minio.ToErrorResponse(err); r.Code != "NoSuchUpload" || r.StatusCode != 404 {
		t.Errorf("minio ListObjectParts after Complete: %v, want 404 NoSuchUpload", err)
	}
	st, err := e.srv.Minio().StatObject(mpCtx(), e.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatalf("minio StatObject: %v", err)
	}
	if st.ContentType != "application/x-minio" || st.UserMetadata["Origin"] != "minio" {
		t.Errorf("minio StatObject: Content-Type %q, metadata %v", st.ContentType, st.UserMetadata)
	}
}

// mpRawHead sends a signed PUT's request line and headers (Content-Length
// announced, UNSIGNED-PAYLOAD) over a fresh connection, then `send` bytes
// of body, and returns the connection's reader.
func (e *mpEnv) rawHead(pathQuery string, length int64, hdr map[string]string, send int) (net.Conn, *bufio.Reader, *http.Request) {
	e.t.Helper()
	r, err := http.NewRequest("PUT", e.srv.URL+pathQuery, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	r.ContentLength = length
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	tesseratest.Sign(e.t, r, "UNSIGNED-PAYLOAD", time.Now(), tesseratest.AccessKey, tesseratest.SecretKey)
	conn, err := net.Dial("tcp", e.srv.DirectHost())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.URL.RequestURI(), e.srv.Host(), length)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := conn.Write([]byte(b.String())); err != nil {
		e.t.Fatal(err)
	}
	if send > 0 {
		go conn.Write(make([]byte, send)) // may block once the server stops reading
	}
	return conn, bufio.NewReader(conn), r
}

// TestMPUploadPartEntityTooLarge: a part announced larger than 5 GiB is
// refused with EntityTooLarge.
func TestMPUploadPartEntityTooLarge(t *testing.T) {
	e := mpSmall(t)
	id := e.create("huge")
	_, br, req := e.rawHead(mpPath(e.bucket, "huge")+"?partNumber=1&uploadId="+id, 5<<30+1, nil, 512<<10)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	mpResp{resp, body}.wantErr(t, "UploadPart of 5 GiB + 1 byte", 400, "EntityTooLarge", nil)
	if out := e.mustListParts("huge", id, nil, nil); len(out.Parts) != 0 {
		t.Errorf("refused part listed")
	}
}

// TestMPUploadPartExpectContinueRefused: an UploadPart that will be refused
// (unknown upload, part too large) and asks "Expect: 100-continue" — as
// aws-sdk-go-v2 does for bodies over 2 MiB — gets its final error status
// without a "100 Continue", so the client never sends the body.
func TestMPUploadPartExpectContinueRefused(t *testing.T) {
	e := mpSmall(t)
	id := e.create("k")
	cases := []struct {
		name, path string
		length     int64
		code       string
		status     int
	}{
		{"unknown upload", mpPath(e.bucket, "k") + "?partNumber=1&uploadId=bm9zdWNodXBsb2Fk", 8 << 20, "NoSuchUpload", 404},
		{"part over 5 GiB", mpPath(e.bucket, "k") + "?partNumber=1&uploadId=" + id, 5<<30 + 1, "EntityTooLarge", 400},
	}
	for _, c := range cases {
		_, br, req := e.rawHead(c.path, c.length, map[string]string{"Expect": "100-continue"}, 0)
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Errorf("%s: no response without the body: %v", c.name, err)
			continue
		}
		if resp.StatusCode == http.StatusContinue {
			t.Errorf("%s: server answered 100 Continue to a request it refuses; want the final %d %s at once", c.name, c.status, c.code)
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		mpResp{resp, body}.wantErr(t, c.name+" with Expect: 100-continue", c.status, c.code, nil)
	}
}

// TestMPUploadPartRacesAbort: parts still in flight when the upload is
// aborted either fail with NoSuchUpload or are discarded; no bytes leak
// (§3.13).
func TestMPUploadPartRacesAbort(t *testing.T) {
	e := mpSmall(t)
	id := e.create("racing")
	e.part("racing", id, 1, []byte("first"))
	var wg sync.WaitGroup
	errs := make([]error, 24)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = e.uploadPart("racing", id, int32(i+2), mpBytes(128<<10, uint64(i)))
		}(i)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := e.c.AbortMultipartUpload(mpCtx(), &s3.AbortMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String("racing"), UploadId: aws.String(id)}); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && mpStatus(err) != 404 {
			t.Errorf("part %d racing Abort: %v, want success or 404 NoSuchUpload", i+2, err)
		}
	}
	_, err := e.listParts("racing", id, nil, nil)
	mpWantErr(t, "ListParts after Abort", err, "NoSuchUpload", 404)
	if !mpEventually(func() bool { return len(mpBlobs(t, e.srv.DataDir)) == 0 }) {
		t.Errorf("%d blob files after Abort raced with UploadParts, want 0", len(mpBlobs(t, e.srv.DataDir)))
	}
}

// TestMPUploadPartRacesComplete: parts uploaded while Complete runs do not
// change the object, and those not in it do not leak.
func TestMPUploadPartRacesComplete(t *testing.T) {
	e := mpSmall(t)
	id := e.create("racing")
	bodies := map[int32][]byte{}
	for n := int32(1); n <= 4; n++ {
		bodies[n] = mpBytes(10_000, uint64(n))
	}
	etags := e.parts("racing", id, mpSeq(1, 4), func(n int32) []byte { return bodies[n] }, 4)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Late parts: some replace listed numbers, some are new.
			_, err := e.uploadPart("racing", id, int32(i%8+1), mpBytes(64<<10, uint64(100+i)))
			if err != nil && mpStatus(err) != 404 {
				t.Errorf("late part %d: %v, want success or 404", i%8+1, err)
			}
		}(i)
	}
	_, cerr := e.complete("racing", id, mpCPs(etags))
	wg.Wait()
	if cerr != nil {
		// A late re-upload of a listed part may legitimately win the race
		// and make the listed ETag stale: then the upload is still there.
		mpWantErr(t, "Complete racing re-uploads", cerr, "InvalidPart", 400)
		if _, err := e.c.AbortMultipartUpload(mpCtx(), &s3.AbortMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String("racing"), UploadId: aws.String(id)}); err != nil {
			t.Fatalf("Abort after a lost race: %v", err)
		}
		if !mpEventually(func() bool { return len(mpBlobs(t, e.srv.DataDir)) == 0 }) {
			t.Errorf("%d blob files after Abort, want 0", len(mpBlobs(t, e.srv.DataDir)))
		}
		return
	}
	e.wantBytes("racing", bytes.Join([][]byte{bodies[1], bodies[2], bodies[3], bodies[4]}, nil))
	if !mpEventually(func() bool { return len(mpBlobs(t, e.srv.DataDir)) == 4 }) {
		t.Errorf("%d blob files after Complete raced with UploadParts, want the object's 4", len(mpBlobs(t, e.srv.DataDir)))
	}
}
