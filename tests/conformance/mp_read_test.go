package conformance

// Reading multipart objects (S3-LANDSCAPE §3.20): GET/HEAD ?partNumber=N,
// its errors, and byte ranges across part boundaries.

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// mpMultipartObject completes key from parts of the given sizes and
// returns the part bodies and the object ETag (quoted).
func (e *mpEnv) multipartObject(key string, sizes ...int) ([][]byte, string) {
	e.t.Helper()
	id := e.create(key)
	var bodies [][]byte
	var parts []types.CompletedPart
	for i, n := range sizes {
		b := mpBytes(n, uint64(1000+i))
		bodies = append(bodies, b)
		parts = append(parts, mpCP(int32(i+1), e.part(key, id, int32(i+1), b)))
	}
	out := e.mustComplete(key, id, parts)
	return bodies, aws.ToString(out.ETag)
}

// TestMPReadPartNumber: GET and HEAD with partNumber=N return that part's
// bytes with Content-Range, x-amz-mp-parts-count and the object's ETag;
// past the last part is 416 InvalidPartNumber; with Range it is 400.
func TestMPReadPartNumber(t *testing.T) {
	e := mpSmall(t)
	key := "parts/obj"
	bodies, etag := e.multipartObject(key, 3000, 4000, 5000)
	total := 12000
	off := 0
	for i, b := range bodies {
		n := int32(i + 1)
		wantRange := fmt.Sprintf("bytes %d-%d/%d", off, off+len(b)-1, total)
		got, g := e.getBytes(key, func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(n) })
		if !bytes.Equal(got, b) {
			t.Errorf("GET partNumber=%d: %d bytes, want part %d's %d bytes", n, len(got), n, len(b))
		}
		if aws.ToString(g.ContentRange) != wantRange || aws.ToInt32(g.PartsCount) != 3 || aws.ToString(g.ETag) != etag || aws.ToInt64(g.ContentLength) != int64(len(b)) {
			t.Errorf("GET partNumber=%d: Content-Range %q parts-count %d ETag %s length %d; want %q 3 %s %d",
				n, aws.ToString(g.ContentRange), aws.ToInt32(g.PartsCount), aws.ToString(g.ETag), aws.ToInt64(g.ContentLength), wantRange, etag, len(b))
		}
		h, err := e.c.HeadObject(mpCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), PartNumber: aws.Int32(n)})
		if err != nil {
			t.Fatalf("HEAD partNumber=%d: %v", n, err)
		}
		if aws.ToString(h.ContentRange) != wantRange || aws.ToInt32(h.PartsCount) != 3 || aws.ToString(h.ETag) != etag || aws.ToInt64(h.ContentLength) != int64(len(b)) {
			t.Errorf("HEAD partNumber=%d: Content-Range %q parts-count %d ETag %s length %d; want %q 3 %s %d",
				n, aws.ToString(h.ContentRange), aws.ToInt32(h.PartsCount), aws.ToString(h.ETag), aws.ToInt64(h.ContentLength), wantRange, etag, len(b))
		}
		r := e.raw("GET", mpPath(e.bucket, key)+"?partNumber="+strconv.Itoa(int(n)), nil, nil)
		if r.StatusCode != 206 || r.Header.Get("x-amz-mp-parts-count") != "3" || r.Header.Get("Content-Range") != wantRange {
			t.Errorf("raw GET partNumber=%d: status %d parts-count %q Content-Range %q, want 206 3 %q", n, r.StatusCode, r.Header.Get("x-amz-mp-parts-count"), r.Header.Get("Content-Range"), wantRange)
		}
		off += len(b)
	}
	// Without partNumber: the whole object, no parts count.
	whole, g := e.getBytes(key)
	if !bytes.Equal(whole, bytes.Join(bodies, nil)) || g.PartsCount != nil {
		t.Errorf("plain GET: %d bytes, parts count %v", len(whole), mpI32(g.PartsCount))
	}

	_, err := e.c.GetObject(mpCtx(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), PartNumber: aws.Int32(4)})
	mpWantErr(t, "GET partNumber=4 of 3", err, "InvalidPartNumber", 416)
	r := e.raw("GET", mpPath(e.bucket, key)+"?partNumber=4", nil, nil)
	r.wantErr(t, "raw GET partNumber=4 of 3", 416, "InvalidPartNumber", map[string]string{"ActualPartCount": "3", "PartNumberRequested": "4"})
	r = e.raw("HEAD", mpPath(e.bucket, key)+"?partNumber=10000", nil, nil)
	r.wantErr(t, "HEAD partNumber=10000 of 3", 416, "", nil)

	for _, v := range []string{"0", "10001", "abc"} {
		r := e.raw("GET", mpPath(e.bucket, key)+"?partNumber="+v, nil, nil)
		r.wantErr(t, "GET partNumber="+v, 400, "InvalidArgument", map[string]string{"ArgumentName": "partNumber", "ArgumentValue": v})
	}

	r = e.raw("GET", mpPath(e.bucket, key)+"?partNumber=1", nil, map[string]string{"Range": "bytes=0-10"})
	r.wantErr(t, "GET partNumber with Range", 400, "InvalidRequest", map[string]string{"Message": "Cannot specify both Range header and partNumber query parameter"})
	_, err = e.c.HeadObject(mpCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), PartNumber: aws.Int32(1), Range: aws.String("bytes=0-1")})
	mpWantErr(t, "HEAD partNumber with Range", err, "", 400)

	// A plain object: part 1 is the whole object, part 2 does not exist.
	plain := []byte("a plain object")
	e.putObject("plain", plain)
	got, _ := e.getBytes("plain", func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(1) })
	if !bytes.Equal(got, plain) {
		t.Errorf("GET partNumber=1 of a plain object: %q, want %q", got, plain)
	}
	_, err = e.c.GetObject(mpCtx(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("plain"), PartNumber: aws.Int32(2)})
	mpWantErr(t, "GET partNumber=2 of a plain object", err, "InvalidPartNumber", 416)

	// Before Complete there is no object.
	id := e.create("pending")
	e.part("pending", id, 1, []byte("not yet"))
	_, err = e.c.GetObject(mpCtx(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("pending"), PartNumber: aws.Int32(1)})
	mpWantErr(t, "GET partNumber=1 of an in-progress upload", err, "NoSuchKey", 404)
}

// TestMPReadRanges: byte ranges that start, end or span part boundaries
// return exactly those bytes.
func TestMPReadRanges(t *testing.T) {
	e := mpSmall(t)
	bodies, _ := e.multipartObject("ranges", 1000, 1, 2500, 777, 4096)
	all := bytes.Join(bodies, nil)
	total := len(all) // 8374; boundaries at 1000, 1001, 3501, 4278
	cases := []struct {
		rng         string
		first, last int
	}{
		{"bytes=0-0", 0, 0},
		{"bytes=999-1000", 999, 1000},
		{"bytes=1000-1000", 1000, 1000},
		{"bytes=1000-1001", 1000, 1001},
		{"bytes=998-3502", 998, 3502},
		{"bytes=3501-4277", 3501, 4277},
		{"bytes=0-8373", 0, 8373},
		{"bytes=500-", 500, total - 1},
		{"bytes=-1234", total - 1234, total - 1},
		{"bytes=-5000", total - 5000, total - 1},
		{"bytes=4000-99999", 4000, total - 1},
		{"bytes=-99999", 0, total - 1},
	}
	for _, c := range cases {
		got, g := e.getBytes("ranges", func(in *s3.GetObjectInput) { in.Range = aws.String(c.rng) })
		if !bytes.Equal(got, all[c.first:c.last+1]) {
			t.Errorf("%s: %d bytes (md5 %s), want bytes %d-%d (md5 %s)", c.rng, len(got), mpMD5Hex(got), c.first, c.last, mpMD5Hex(all[c.first:c.last+1]))
		}
		if want := fmt.Sprintf("bytes %d-%d/%d", c.first, c.last, total); aws.ToString(g.ContentRange) != want {
			t.Errorf("%s: Content-Range %q, want %q", c.rng, aws.ToString(g.ContentRange), want)
		}
	}
	_, err := e.c.GetObject(mpCtx(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("ranges"), Range: aws.String(fmt.Sprintf("bytes=%d-", total))})
	mpWantErr(t, "range starting at the size", err, "InvalidRange", 416)
}
