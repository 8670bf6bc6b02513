package conformance

// CreateMultipartUpload: content headers, user metadata, tagging, every
// storage class of the seed, checksum algorithm/type round-trip and its
// invalid combinations (S3-LANDSCAPE §3.21), and upload IDs.

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestMPCreateHeadersMetaTagging: Content-* headers, x-amz-meta-* and the
// tagging header given at CreateMultipartUpload end up on the object.
func TestMPCreateHeadersMetaTagging(t *testing.T) {
	e := mpSmall(t)
	key := "docs/report.txt.gz"
	expires := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	id := e.create(key, func(in *s3.CreateMultipartUploadInput) {
		in.ContentType = aws.String("text/x-tessera; charset=utf-8")
		in.ContentDisposition = aws.String(`attachment; filename="report.txt.gz"`)
		in.ContentEncoding = aws.String("gzip")
		in.ContentLanguage = aws.String("de-CH")
		in.CacheControl = aws.String("max-age=60, private")
		in.Expires = aws.Time(expires)
		in.Metadata = map[string]string{"color": "blue", "Project-Name": "tessera"}
		in.Tagging = aws.String("team=storage&tier=gold")
	})
	p1, p2 := mpBytes(100, 1), mpBytes(50, 2)
	et1 := e.part(key, id, 1, p1)
	et2 := e.part(key, id, 2, p2)
	e.mustComplete(key, id, []types.CompletedPart{mpCP(1, et1), mpCP(2, et2)})

	h, err := e.c.HeadObject(mpCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"Content-Type", aws.ToString(h.ContentType), "text/x-tessera; charset=utf-8"},
		{"Content-Disposition", aws.ToString(h.ContentDisposition), `attachment; filename="report.txt.gz"`},
		{"Content-Encoding", aws.ToString(h.ContentEncoding), "gzip"},
		{"Content-Language", aws.ToString(h.ContentLanguage), "de-CH"},
		{"Cache-Control", aws.ToString(h.CacheControl), "max-age=60, private"},
		{"x-amz-meta-color", h.Metadata["color"], "blue"},
		{"x-amz-meta-project-name", h.Metadata["project-name"], "tessera"},
	} {
		if c.got != c.want {
			t.Errorf("HeadObject %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got, err := http.ParseTime(aws.ToString(h.ExpiresString)); err != nil || !got.Equal(expires) {
		t.Errorf("HeadObject Expires = %q, want %s", aws.ToString(h.ExpiresString), expires.Format(http.TimeFormat))
	}
	if got := aws.ToInt64(h.ContentLength); got != 150 {
		t.Errorf("HeadObject Content-Length %d, want 150", got)
	}
	_, g := e.getBytes(key)
	if got := aws.ToInt32(g.TagCount); got != 2 {
		t.Errorf("GetObject x-amz-tagging-count = %d, want 2 (tagging header stored)", got)
	}
}

// mpSeedStorageClasses is the StorageClass list of the seed.
var mpSeedStorageClasses = []types.StorageClass{
	"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
	"GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR",
}

// TestMPCreateStorageClasses: every storage class of the seed is accepted
// and echoed by ListParts and ListMultipartUploads; an unknown one is
// InvalidStorageClass.
func TestMPCreateStorageClasses(t *testing.T) {
	e := mpSmall(t)
	ids := map[string]types.StorageClass{}
	keyOf := map[types.StorageClass]string{}
	for _, sc := range mpSeedStorageClasses {
		key := "sc/" + string(sc)
		id := e.create(key, func(in *s3.CreateMultipartUploadInput) { in.StorageClass = sc })
		ids[id] = sc
		keyOf[sc] = key
		e.part(key, id, 1, []byte("data of "+string(sc)))
		out := e.mustListParts(key, id, nil, nil)
		if out.StorageClass != sc {
			t.Errorf("ListParts StorageClass = %q, want %q", out.StorageClass, sc)
		}
	}
	lu, err := e.c.ListMultipartUploads(mpCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.bucket), Prefix: aws.String("sc/")})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(lu.Uploads) != len(mpSeedStorageClasses) {
		t.Errorf("ListMultipartUploads: %d uploads, want %d", len(lu.Uploads), len(mpSeedStorageClasses))
	}
	for _, u := range lu.Uploads {
		want, ok := ids[aws.ToString(u.UploadId)]
		if !ok {
			t.Errorf("ListMultipartUploads: unknown upload %q", aws.ToString(u.UploadId))
			continue
		}
		if u.StorageClass != want {
			t.Errorf("ListMultipartUploads %s: StorageClass %q, want %q", aws.ToString(u.Key), u.StorageClass, want)
		}
	}
	// Completed, the object keeps its class.
	for id, sc := range ids {
		key := keyOf[sc]
		lp := e.mustListParts(key, id, nil, nil)
		e.mustComplete(key, id, []types.CompletedPart{mpCP(1, aws.ToString(lp.Parts[0].ETag))})
		h, err := e.c.HeadObject(mpCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
		if err != nil {
			t.Errorf("HeadObject(%s): %v", key, err)
			continue
		}
		want := sc
		if sc == types.StorageClassStandard {
			want = "" // S3 sends no x-amz-storage-class for STANDARD
		}
		if h.StorageClass != want {
			t.Errorf("HeadObject(%s) StorageClass %q, want %q", key, h.StorageClass, want)
		}
	}

	_, err = e.c.CreateMultipartUpload(mpCtx(), &s3.CreateMultipartUploadInput{
		Bucket: aws.String(e.bucket), Key: aws.String("sc/bad"), StorageClass: "SUPER_FAST",
	})
	mpWantErr(t, "CreateMultipartUpload StorageClass=SUPER_FAST", err, "InvalidStorageClass", 400)
}

// TestMPCreateChecksumModes: the checksum algorithm and type round-trip
// through Create, ListParts and ListMultipartUploads, with S3's defaults;
// invalid combinations are InvalidRequest with AWS's messages.
func TestMPCreateChecksumModes(t *testing.T) {
	e := mpSmall(t)
	valid := []struct {
		alg      types.ChecksumAlgorithm
		typ      types.ChecksumType
		wantType types.ChecksumType
	}{
		{"CRC32", "", "COMPOSITE"},
		{"CRC32", "COMPOSITE", "COMPOSITE"},
		{"CRC32", "FULL_OBJECT", "FULL_OBJECT"},
		{"CRC32C", "", "COMPOSITE"},
		{"CRC32C", "FULL_OBJECT", "FULL_OBJECT"},
		{"CRC64NVME", "", "FULL_OBJECT"},
		{"CRC64NVME", "FULL_OBJECT", "FULL_OBJECT"},
		{"SHA1", "", "COMPOSITE"},
		{"SHA1", "COMPOSITE", "COMPOSITE"},
		{"SHA256", "", "COMPOSITE"},
		{"SHA256", "COMPOSITE", "COMPOSITE"},
	}
	byID := map[string]int{}
	for i, c := range valid {
		key := fmt.Sprintf("ck/%02d-%s-%s", i, c.alg, c.typ)
		out, err := e.c.CreateMultipartUpload(mpCtx(), &s3.CreateMultipartUploadInput{
			Bucket: aws.String(e.bucket), Key: aws.String(key), ChecksumAlgorithm: c.alg, ChecksumType: c.typ,
		})
		if err != nil {
			t.Errorf("Create %s/%s: %v", c.alg, c.typ, err)
			continue
		}
		if out.ChecksumAlgorithm != c.alg || out.ChecksumType != c.wantType {
			t.Errorf("Create %s/%q: response algorithm/type %q/%q, want %q/%q", c.alg, c.typ, out.ChecksumAlgorithm, out.ChecksumType, c.alg, c.wantType)
		}
		id := aws.ToString(out.UploadId)
		byID[id] = i
		lp := e.mustListParts(key, id, nil, nil)
		if lp.ChecksumAlgorithm != c.alg || lp.ChecksumType != c.wantType {
			t.Errorf("ListParts %s/%q: algorithm/type %q/%q, want %q/%q", c.alg, c.typ, lp.ChecksumAlgorithm, lp.ChecksumType, c.alg, c.wantType)
		}
	}
	lu, err := e.c.ListMultipartUploads(mpCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.bucket), Prefix: aws.String("ck/")})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(lu.Uploads) != len(valid) {
		t.Errorf("ListMultipartUploads: %d uploads, want %d", len(lu.Uploads), len(valid))
	}
	for _, u := range lu.Uploads {
		i, ok := byID[aws.ToString(u.UploadId)]
		if !ok {
			continue
		}
		c := valid[i]
		if u.ChecksumAlgorithm != c.alg || u.ChecksumType != c.wantType {
			t.Errorf("ListMultipartUploads %s: algorithm/type %q/%q, want %q/%q", aws.ToString(u.Key), u.ChecksumAlgorithm, u.ChecksumType, c.alg, c.wantType)
		}
	}

	invalid := []struct {
		name string
		hdr  map[string]string
		msg  string
	}{
		{"CRC64NVME+COMPOSITE", map[string]string{"x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE"},
			"The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."},
		{"SHA256+FULL_OBJECT", map[string]string{"x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-type": "FULL_OBJECT"},
			"The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm."},
		{"SHA1+FULL_OBJECT", map[string]string{"x-amz-checksum-algorithm": "SHA1", "x-amz-checksum-type": "FULL_OBJECT"},
			"The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm."},
		{"type without algorithm", map[string]string{"x-amz-checksum-type": "FULL_OBJECT"},
			"The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."},
		{"unknown algorithm", map[string]string{"x-amz-checksum-algorithm": "MD4"},
			ckUnsupportedAlgorithm},
	}
	for _, c := range invalid {
		r := e.raw("POST", mpPath(e.bucket, "ck/invalid")+"?uploads", nil, c.hdr)
		r.wantErr(t, "Create "+c.name, 400, "InvalidRequest", map[string]string{"Message": c.msg})
	}
	// Through the SDK too.
	_, err = e.c.CreateMultipartUpload(mpCtx(), &s3.CreateMultipartUploadInput{
		Bucket: aws.String(e.bucket), Key: aws.String("ck/invalid"), ChecksumAlgorithm: "CRC64NVME", ChecksumType: "COMPOSITE",
	})
	mpWantErr(t, "SDK Create CRC64NVME+COMPOSITE", err, "InvalidRequest", 400)
	_, err = e.c.CreateMultipartUpload(mpCtx(), &s3.CreateMultipartUploadInput{
		Bucket: aws.String(e.bucket), Key: aws.String("ck/invalid"), ChecksumType: "FULL_OBJECT",
	})
	mpWantErr(t, "SDK Create type without algorithm", err, "InvalidRequest", 400)
	// None of the rejected requests left an upload behind.
	lu, err = e.c.ListMultipartUploads(mpCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.bucket), Prefix: aws.String("ck/invalid")})
	if err != nil || len(lu.Uploads) != 0 {
		t.Errorf("rejected Creates left %d uploads (err %v)", len(lu.Uploads), err)
	}
}

var mpURLSafeID = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// TestMPCreateUploadIDs: upload IDs are distinct (even for one key created
// concurrently), URL-safe and long enough to be unguessable.
func TestMPCreateUploadIDs(t *testing.T) {
	e := mpSmall(t)
	const n = 200
	ids := make([]string, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				out, err := e.c.CreateMultipartUpload(mpCtx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String("same/key")})
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				ids[i] = aws.ToString(out.UploadId)
			}
		}(w)
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("CreateMultipartUpload: %v", firstErr)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("upload ID %q handed out twice", id)
		}
		seen[id] = true
		if !mpURLSafeID.MatchString(id) || url.QueryEscape(id) != id || url.PathEscape(id) != id {
			t.Errorf("upload ID %q is not URL-safe", id)
		}
		if len(id) < 22 {
			t.Errorf("upload ID %q: %d characters, too short to carry ≥128 random bits", id, len(id))
		}
	}
	// Every one is a live upload of the key.
	count := 0
	p := s3.NewListMultipartUploadsPaginator(e.c, &s3.ListMultipartUploadsInput{Bucket: aws.String(e.bucket)})
	for p.HasMorePages() {
		out, err := p.NextPage(mpCtx())
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		for _, u := range out.Uploads {
			if !seen[aws.ToString(u.UploadId)] || aws.ToString(u.Key) != "same/key" {
				t.Errorf("listed upload %q/%q not created here", aws.ToString(u.Key), aws.ToString(u.UploadId))
			}
			count++
		}
	}
	if count != n {
		t.Errorf("ListMultipartUploads lists %d uploads, want %d", count, n)
	}
}

// TestMPCreateErrors: Create in a missing bucket or with an over-long key.
func TestMPCreateErrors(t *testing.T) {
	e := mpSmall(t)
	_, err := e.c.CreateMultipartUpload(mpCtx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("mp-missing-bucket"), Key: aws.String("k")})
	mpWantErr(t, "Create in a missing bucket", err, "NoSuchBucket", 404)
	long := make([]byte, 1025)
	for i := range long {
		long[i] = 'k'
	}
	_, err = e.c.CreateMultipartUpload(mpCtx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String(string(long))})
	mpWantErr(t, "Create with a 1025-byte key", err, "KeyTooLongError", 400)
}
