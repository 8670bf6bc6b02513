package conformance

// ListParts: every request parameter and response field of the boto3
// list_parts spec (seed 000_89ed3694b166da1a), AWS's paging rules
// (S3-LANDSCAPE §3.3–3.7) and the user-reported paging bugs of §2
// (rclone#9460, minio#1522, cloudserver#445, seaweedfs#1914).

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/crc64nvme"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// mpRawListParts is the ListPartsResult XML, decoded strictly enough to
// tell absent elements from zero ones.
type mpRawListParts struct {
	XMLName              xml.Name `xml:"ListPartsResult"`
	Bucket               *string  `xml:"Bucket"`
	Key                  *string  `xml:"Key"`
	UploadID             *string  `xml:"UploadId"`
	PartNumberMarker     *string  `xml:"PartNumberMarker"`
	NextPartNumberMarker *string  `xml:"NextPartNumberMarker"`
	MaxParts             *string  `xml:"MaxParts"`
	IsTruncated          *string  `xml:"IsTruncated"`
	StorageClass         *string  `xml:"StorageClass"`
	ChecksumAlgorithm    *string  `xml:"ChecksumAlgorithm"`
	ChecksumType         *string  `xml:"ChecksumType"`
	Initiator            *struct {
		ID          *string `xml:"ID"`
		DisplayName *string `xml:"DisplayName"`
	} `xml:"Initiator"`
	Owner *struct {
		ID          *string `xml:"ID"`
		DisplayName *string `xml:"DisplayName"`
	} `xml:"Owner"`
	Parts []struct {
		PartNumber     *string `xml:"PartNumber"`
		LastModified   *string `xml:"LastModified"`
		ETag           *string `xml:"ETag"`
		Size           *string `xml:"Size"`
		ChecksumSHA256 *string `xml:"ChecksumSHA256"`
	} `xml:"Part"`
}

// rawListParts sends ListParts as a hand-signed GET with the raw query
// (after uploadId) and decodes the body when it is a 200.
func (e *mpEnv) rawListParts(key, id, extraQuery string) (mpResp, mpRawListParts) {
	e.t.Helper()
	q := "?uploadId=" + url.QueryEscape(id)
	if extraQuery != "" {
		q += "&" + extraQuery
	}
	r := e.raw("GET", mpPath(e.bucket, key)+q, nil, nil)
	var out mpRawListParts
	if r.StatusCode == 200 {
		if err := xml.Unmarshal(r.Body, &out); err != nil {
			e.t.Fatalf("ListParts body is not ListPartsResult XML: %v (%.400s)", err, r.Body)
		}
	}
	return r, out
}

func mpStr(p *string) string {
	if p == nil {
		return "<absent>"
	}
	return *p
}

// mpPartNumbers returns the part numbers of a page.
func mpPartNumbers(ps []types.Part) []int32 {
	out := make([]int32, len(ps))
	for i, p := range ps {
		out[i] = aws.ToInt32(p.PartNumber)
	}
	return out
}

func mpEqualNums(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkPage checks one ListParts page's paging fields.
func mpCheckPage(t testing.TB, what string, out *s3.ListPartsOutput, wantNums []int32, wantMarker string, wantNext string, wantMax int32, wantTrunc bool) {
	t.Helper()
	if got := mpPartNumbers(out.Parts); !mpEqualNums(got, wantNums) {
		t.Errorf("%s: parts %v, want %v", what, mpShort(got), mpShort(wantNums))
	}
	if got := aws.ToString(out.PartNumberMarker); got != wantMarker {
		t.Errorf("%s: PartNumberMarker %q, want %q", what, got, wantMarker)
	}
	if got := aws.ToString(out.NextPartNumberMarker); got != wantNext {
		t.Errorf("%s: NextPartNumberMarker %q, want %q", what, got, wantNext)
	}
	if got := aws.ToInt32(out.MaxParts); got != wantMax {
		t.Errorf("%s: MaxParts %d, want %d", what, got, wantMax)
	}
	if out.IsTruncated == nil {
		t.Errorf("%s: IsTruncated absent", what)
	} else if *out.IsTruncated != wantTrunc {
		t.Errorf("%s: IsTruncated %v, want %v", what, *out.IsTruncated, wantTrunc)
	}
}

// mpShort abbreviates long part-number lists in messages.
func mpShort(n []int32) string {
	if len(n) <= 12 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%v … %v (%d)", n[:5], n[len(n)-5:], len(n))
}

// TestMPListPartsSeedFields checks every response field the seed documents,
// for a 2-part upload like the seed's example, through the SDK and in the
// raw XML (millisecond LastModified, markers present, Initiator and Owner).
func TestMPListPartsSeedFields(t *testing.T) {
	// A clock with a recognisable millisecond part, close to real time so
	// that signatures stay valid.
	clock := func() time.Time {
		return time.Now().Truncate(time.Second).Add(987*time.Millisecond + 654321*time.Nanosecond)
	}
	e := mpSetup(t, tesseratest.WithMinPartSize(1), tesseratest.WithClock(clock))
	key := "dir/bigobject"
	id := e.create(key)
	p1, p2 := mpBytes(3000, 1), mpBytes(1234, 2)
	before := time.Now().Add(-2 * time.Second)
	et1 := e.part(key, id, 1, p1)
	et2 := e.part(key, id, 2, p2)
	after := time.Now().Add(2 * time.Second)

	buckets, err := e.c.ListBuckets(mpCtx(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	ownerID := aws.ToString(buckets.Owner.ID)

	out := e.mustListParts(key, id, nil, nil)
	if got := aws.ToString(out.Bucket); got != e.bucket {
		t.Errorf("Bucket %q, want %q", got, e.bucket)
	}
	if got := aws.ToString(out.Key); got != key {
		t.Errorf("Key %q, want %q", got, key)
	}
	if got := aws.ToString(out.UploadId); got != id {
		t.Errorf("UploadId %q, want %q", got, id)
	}
	mpCheckPage(t, "ListParts()", out, []int32{1, 2}, "0", "2", 1000, false)
	wantParts := []struct {
		etag string
		size int64
	}{{et1, int64(len(p1))}, {et2, int64(len(p2))}}
	for i, p := range out.Parts {
		if i >= len(wantParts) {
			break
		}
		w := wantParts[i]
		if got := aws.ToString(p.ETag); got != w.etag {
			t.Errorf("part %d ETag %s, want %s", i+1, got, w.etag)
		}
		if got := aws.ToInt64(p.Size); got != w.size {
			t.Errorf("part %d Size %d, want %d", i+1, got, w.size)
		}
		lm := aws.ToTime(p.LastModified)
		if lm.Before(before) || lm.After(after) {
			t.Errorf("part %d LastModified %v, not within the upload window [%v, %v]", i+1, lm, before, after)
		}
		if ms := lm.Nanosecond() / 1e6; ms != 987 || lm.Nanosecond()%1e6 != 0 {
			t.Errorf("part %d LastModified %v: want millisecond precision .987 from the server clock", i+1, lm.Format(time.RFC3339Nano))
		}
	}
	if out.Initiator == nil || aws.ToString(out.Initiator.ID) == "" || aws.ToString(out.Initiator.DisplayName) == "" {
		t.Errorf("Initiator = %+v, want ID and DisplayName", out.Initiator)
	}
	if out.Owner == nil || aws.ToString(out.Owner.ID) == "" || aws.ToString(out.Owner.DisplayName) == "" {
		t.Errorf("Owner = %+v, want ID and DisplayName", out.Owner)
	}
	if out.Owner != nil && aws.ToString(out.Owner.ID) != ownerID {
		t.Errorf("Owner.ID %q, want the bucket owner's canonical ID %q (ListBuckets)", aws.ToString(out.Owner.ID), ownerID)
	}
	if out.Initiator != nil && out.Owner != nil && aws.ToString(out.Initiator.ID) != aws.ToString(out.Owner.ID) {
		t.Errorf("Initiator.ID %q != Owner.ID %q: the root account initiated, so they are the same", aws.ToString(out.Initiator.ID), aws.ToString(out.Owner.ID))
	}
	if out.StorageClass != types.StorageClassStandard {
		t.Errorf("StorageClass %q, want STANDARD", out.StorageClass)
	}
	if out.ChecksumAlgorithm != "" || out.ChecksumType != "" {
		t.Errorf("ChecksumAlgorithm/Type = %q/%q for an upload created without an algorithm, want absent", out.ChecksumAlgorithm, out.ChecksumType)
	}

	// The same answer as XML on the wire.
	r, x := e.rawListParts(key, id, "")
	if r.StatusCode != 200 {
		t.Fatalf("raw ListParts: status %d (%.400s)", r.StatusCode, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "xml") {
		t.Errorf("Content-Type %q, want application/xml", ct)
	}
	for name, p := range map[string]*string{
		"Bucket": x.Bucket, "Key": x.Key, "UploadId": x.UploadID, "PartNumberMarker": x.PartNumberMarker,
		"NextPartNumberMarker": x.NextPartNumberMarker, "MaxParts": x.MaxParts, "IsTruncated": x.IsTruncated,
		"StorageClass": x.StorageClass,
	} {
		if p == nil {
			t.Errorf("raw XML lacks <%s>", name)
		}
	}
	if mpStr(x.PartNumberMarker) != "0" || mpStr(x.NextPartNumberMarker) != "2" || mpStr(x.MaxParts) != "1000" || mpStr(x.IsTruncated) != "false" {
		t.Errorf("raw markers: PartNumberMarker=%s Next=%s MaxParts=%s IsTruncated=%s, want 0 2 1000 false",
			mpStr(x.PartNumberMarker), mpStr(x.NextPartNumberMarker), mpStr(x.MaxParts), mpStr(x.IsTruncated))
	}
	if x.ChecksumAlgorithm != nil || x.ChecksumType != nil {
		t.Errorf("raw XML has ChecksumAlgorithm/ChecksumType for an upload created without one")
	}
	if x.Initiator == nil || x.Initiator.ID == nil || x.Initiator.DisplayName == nil {
		t.Errorf("raw XML: Initiator lacks ID or DisplayName (%.600s)", r.Body)
	}
	if x.Owner == nil || x.Owner.ID == nil || x.Owner.DisplayName == nil {
		t.Errorf("raw XML: Owner lacks ID or DisplayName (%.600s)", r.Body)
	}
	if len(x.Parts) != 2 {
		t.Fatalf("raw XML: %d <Part> elements, want 2", len(x.Parts))
	}
	for i, p := range x.Parts {
		if p.PartNumber == nil || p.LastModified == nil || p.ETag == nil || p.Size == nil {
			t.Errorf("raw part %d lacks PartNumber/LastModified/ETag/Size: %+v", i+1, p)
			continue
		}
		if !mpISOMillis.MatchString(*p.LastModified) || !strings.HasSuffix(*p.LastModified, ".987Z") {
			t.Errorf("raw part %d LastModified %q, want ISO-8601 with milliseconds, e.g. 2023-11-15T12:02:40.987Z", i+1, *p.LastModified)
		}
		if *p.PartNumber != strconv.Itoa(i+1) {
			t.Errorf("raw part %d PartNumber %q", i+1, *p.PartNumber)
		}
	}
	if got, want := mpStr(x.Parts[0].ETag), et1; got != want {
		t.Errorf("raw part 1 ETag %s, want %s (quoted)", got, want)
	}
}

// mpCRC32B64 etc. are base64 big-endian checksums as S3 sends them.
func mpCRC32B64(tab *crc32.Table, b []byte) string {
	var s [4]byte
	binary.BigEndian.PutUint32(s[:], crc32.Checksum(b, tab))
	return base64.StdEncoding.EncodeToString(s[:])
}

func mpCRC64NVMEB64(b []byte) string {
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], crc64nvme.Checksum(b))
	return base64.StdEncoding.EncodeToString(s[:])
}

func mpSHA1B64(b []byte) string { s := sha1.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }

// TestMPListPartsChecksums: an upload created with a checksum algorithm
// reports ChecksumAlgorithm and ChecksumType, and each part's checksum.
func TestMPListPartsChecksums(t *testing.T) {
	e := mpSmall(t)
	cases := []struct {
		alg      types.ChecksumAlgorithm
		typ      types.ChecksumType // as sent ("" = default)
		wantType types.ChecksumType
		sum      func([]byte) string
		get      func(types.Part) *string
	}{
		{types.ChecksumAlgorithmCrc32, "", types.ChecksumTypeComposite, func(b []byte) string { return mpCRC32B64(crc32.IEEETable, b) }, func(p types.Part) *string { return p.ChecksumCRC32 }},
		{types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject, types.ChecksumTypeFullObject, func(b []byte) string { return mpCRC32B64(crc32.IEEETable, b) }, func(p types.Part) *string { return p.ChecksumCRC32 }},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeComposite, types.ChecksumTypeComposite, func(b []byte) string { return mpCRC32B64(crc32.MakeTable(crc32.Castagnoli), b) }, func(p types.Part) *string { return p.ChecksumCRC32C }},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject, types.ChecksumTypeFullObject, func(b []byte) string { return mpCRC32B64(crc32.MakeTable(crc32.Castagnoli), b) }, func(p types.Part) *string { return p.ChecksumCRC32C }},
		{types.ChecksumAlgorithmCrc64nvme, "", types.ChecksumTypeFullObject, mpCRC64NVMEB64, func(p types.Part) *string { return p.ChecksumCRC64NVME }},
		{types.ChecksumAlgorithmSha1, "", types.ChecksumTypeComposite, mpSHA1B64, func(p types.Part) *string { return p.ChecksumSHA1 }},
		{types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite, types.ChecksumTypeComposite, mpSHA256B64, func(p types.Part) *string { return p.ChecksumSHA256 }},
	}
	for i, c := range cases {
		name := fmt.Sprintf("%s-%s", c.alg, c.typ)
		t.Run(name, func(t *testing.T) {
			key := fmt.Sprintf("ck-%d", i)
			id := e.create(key, func(in *s3.CreateMultipartUploadInput) {
				in.ChecksumAlgorithm, in.ChecksumType = c.alg, c.typ
			})
			bodies := [][]byte{mpBytes(1000, uint64(i)), mpBytes(777, uint64(i+100))}
			for n, b := range bodies {
				e.part(key, id, int32(n+1), b, func(in *s3.UploadPartInput) { in.ChecksumAlgorithm = c.alg })
			}
			out := e.mustListParts(key, id, nil, nil)
			if out.ChecksumAlgorithm != c.alg {
				t.Errorf("ChecksumAlgorithm %q, want %q", out.ChecksumAlgorithm, c.alg)
			}
			if out.ChecksumType != c.wantType {
				t.Errorf("ChecksumType %q, want %q", out.ChecksumType, c.wantType)
			}
			if len(out.Parts) != len(bodies) {
				t.Fatalf("%d parts, want %d", len(out.Parts), len(bodies))
			}
			for n, p := range out.Parts {
				if got, want := aws.ToString(c.get(p)), c.sum(bodies[n]); got != want {
					t.Errorf("part %d Checksum%s %q, want %q", n+1, c.alg, got, want)
				}
			}
		})
	}
}

// TestMPListPartsMaxParts: default, empty, clamped, and invalid max-parts
// and part-number-marker values (§3.3, §3.4), with AWS's error fields.
func TestMPListPartsMaxParts(t *testing.T) {
	e := mpSmall(t)
	key := "mp-max"
	id := e.create(key)
	e.parts(key, id, mpSeq(1, 3), func(n int32) []byte { return mpTiny(n, 0) }, 3)

	mpCheckPage(t, "absent max-parts", e.mustListParts(key, id, nil, nil), []int32{1, 2, 3}, "0", "3", 1000, false)
	mpCheckPage(t, "max-parts=5000", e.mustListParts(key, id, aws.Int32(5000), nil), []int32{1, 2, 3}, "0", "3", 1000, false)
	mpCheckPage(t, "max-parts=1000", e.mustListParts(key, id, aws.Int32(1000), nil), []int32{1, 2, 3}, "0", "3", 1000, false)
	mpCheckPage(t, "max-parts=2", e.mustListParts(key, id, aws.Int32(2), nil), []int32{1, 2}, "0", "2", 2, true)
	mpCheckPage(t, "max-parts=3", e.mustListParts(key, id, aws.Int32(3), nil), []int32{1, 2, 3}, "0", "3", 3, false)

	for _, q := range []string{"max-parts=", "max-parts=&part-number-marker=", "part-number-marker=", "max-parts=2147483647"} {
		r, x := e.rawListParts(key, id, q)
		if r.StatusCode != 200 {
			t.Errorf("%s: status %d, want 200 (%.300s)", q, r.StatusCode, r.Body)
			continue
		}
		if mpStr(x.MaxParts) != "1000" || mpStr(x.PartNumberMarker) != "0" || len(x.Parts) != 3 {
			t.Errorf("%s: MaxParts=%s PartNumberMarker=%s parts=%d, want 1000, 0, 3", q, mpStr(x.MaxParts), mpStr(x.PartNumberMarker), len(x.Parts))
		}
	}

	bad := []struct{ query, name, value, msg string }{
		{"max-parts=-1", "max-parts", "-1", "Argument max-parts must be an integer between 0 and 2147483647"},
		{"max-parts=abc", "max-parts", "abc", "Provided abc not an integer or within integer range"},
		{"max-parts=2147483648", "max-parts", "2147483648", "Provided 2147483648 not an integer or within integer range"},
		{"max-parts=1.5", "max-parts", "1.5", "Provided 1.5 not an integer or within integer range"},
		{"part-number-marker=-1", "part-number-marker", "-1", "Argument part-number-marker must be an integer between 0 and 2147483647"},
		{"part-number-marker=x", "part-number-marker", "x", "Provided x not an integer or within integer range"},
	}
	for _, b := range bad {
		r, _ := e.rawListParts(key, id, b.query)
		r.wantErr(t, "ListParts "+b.query, 400, "InvalidArgument", map[string]string{
			"ArgumentName": b.name, "ArgumentValue": b.value, "Message": b.msg,
		})
	}
	// Through the SDK as well: the typed error surfaces.
	_, err := e.listParts(key, id, aws.Int32(-5), nil)
	mpWantErr(t, "SDK ListParts MaxParts=-5", err, "InvalidArgument", 400)
}

// TestMPListPartsMarker: the marker is exclusive, need not name an uploaded
// part, and past the end gives an empty page with Next 0 (§3.4, §3.5;
// cloudserver#445).
func TestMPListPartsMarker(t *testing.T) {
	e := mpSmall(t)
	body := func(n int32) []byte { return mpTiny(n, 0) }

	dense := e.create("seven")
	e.parts("seven", dense, mpSeq(1, 7), body, 7)
	mpCheckPage(t, "7 parts, marker=2", e.mustListParts("seven", dense, nil, aws.String("2")), mpSeq(3, 7), "2", "7", 1000, false)
	mpCheckPage(t, "7 parts, marker=0", e.mustListParts("seven", dense, nil, aws.String("0")), mpSeq(1, 7), "0", "7", 1000, false)
	mpCheckPage(t, "7 parts, marker=6 max=1", e.mustListParts("seven", dense, aws.Int32(1), aws.String("6")), []int32{7}, "6", "7", 1, false)
	mpCheckPage(t, "7 parts, marker=7", e.mustListParts("seven", dense, nil, aws.String("7")), nil, "7", "0", 1000, false)
	mpCheckPage(t, "7 parts, marker=8", e.mustListParts("seven", dense, nil, aws.String("8")), nil, "8", "0", 1000, false)
	mpCheckPage(t, "7 parts, marker=99999", e.mustListParts("seven", dense, nil, aws.String("99999")), nil, "99999", "0", 1000, false)

	// Sparse parts, including the highest part number.
	sparse := e.create("sparse")
	e.parts("sparse", sparse, []int32{1, 3, 7, 10000}, body, 4)
	mpCheckPage(t, "sparse, no marker", e.mustListParts("sparse", sparse, nil, nil), []int32{1, 3, 7, 10000}, "0", "10000", 1000, false)
	mpCheckPage(t, "sparse, marker=2", e.mustListParts("sparse", sparse, nil, aws.String("2")), []int32{3, 7, 10000}, "2", "10000", 1000, false)
	mpCheckPage(t, "sparse, marker=3", e.mustListParts("sparse", sparse, nil, aws.String("3")), []int32{7, 10000}, "3", "10000", 1000, false)
	mpCheckPage(t, "sparse, marker=5 max=1", e.mustListParts("sparse", sparse, aws.Int32(1), aws.String("5")), []int32{7}, "5", "7", 1, true)
	mpCheckPage(t, "sparse, marker=9999", e.mustListParts("sparse", sparse, nil, aws.String("9999")), []int32{10000}, "9999", "10000", 1000, false)
	mpCheckPage(t, "sparse, marker=10000", e.mustListParts("sparse", sparse, nil, aws.String("10000")), nil, "10000", "0", 1000, false)
	// Walk the sparse upload one part a page.
	var seen []int32
	marker := "0"
	for page := 0; page < 10; page++ {
		out := e.mustListParts("sparse", sparse, aws.Int32(1), aws.String(marker))
		seen = append(seen, mpPartNumbers(out.Parts)...)
		if len(out.Parts) == 1 && aws.ToString(out.NextPartNumberMarker) != strconv.Itoa(int(aws.ToInt32(out.Parts[0].PartNumber))) {
			t.Errorf("sparse walk: Next %q, want the page's last part %d", aws.ToString(out.NextPartNumberMarker), aws.ToInt32(out.Parts[0].PartNumber))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = aws.ToString(out.NextPartNumberMarker)
	}
	if !mpEqualNums(seen, []int32{1, 3, 7, 10000}) {
		t.Errorf("sparse walk with max-parts=1 saw %v, want [1 3 7 10000]", seen)
	}

	// An upload without parts: markers 0, no Part element.
	empty := e.create("empty")
	mpCheckPage(t, "no parts", e.mustListParts("empty", empty, nil, nil), nil, "0", "0", 1000, false)
	r, x := e.rawListParts("empty", empty, "")
	if r.StatusCode != 200 || len(x.Parts) != 0 || strings.Contains(string(r.Body), "<Part>") {
		t.Errorf("empty upload: status %d, %d parts, want 200 and no <Part> (%.300s)", r.StatusCode, len(x.Parts), r.Body)
	}
	if mpStr(x.PartNumberMarker) != "0" || mpStr(x.NextPartNumberMarker) != "0" {
		t.Errorf("empty upload raw: PartNumberMarker=%s Next=%s, want both present and 0", mpStr(x.PartNumberMarker), mpStr(x.NextPartNumberMarker))
	}
}

// TestMPListPartsNumericOrder: part numbers sort as numbers, never as
// strings (cloudserver#445 lexicographic trap).
func TestMPListPartsNumericOrder(t *testing.T) {
	e := mpSmall(t)
	body := func(n int32) []byte { return mpTiny(n, 0) }
	id := e.create("twelve")
	e.parts("twelve", id, mpSeq(1, 12), body, 6)
	mpCheckPage(t, "1..12 marker=9", e.mustListParts("twelve", id, nil, aws.String("9")), []int32{10, 11, 12}, "9", "12", 1000, false)
	mpCheckPage(t, "1..12 marker=1 max=2", e.mustListParts("twelve", id, aws.Int32(2), aws.String("1")), []int32{2, 3}, "1", "3", 2, true)
	mpCheckPage(t, "1..12", e.mustListParts("twelve", id, nil, nil), mpSeq(1, 12), "0", "12", 1000, false)

	odd := e.create("odd")
	e.parts("odd", odd, []int32{10000, 2, 1000, 10, 999, 100}, body, 3)
	mpCheckPage(t, "odd", e.mustListParts("odd", odd, nil, nil), []int32{2, 10, 100, 999, 1000, 10000}, "0", "10000", 1000, false)
	mpCheckPage(t, "odd marker=99", e.mustListParts("odd", odd, aws.Int32(2), aws.String("99")), []int32{100, 999}, "99", "999", 2, true)
	mpCheckPage(t, "odd marker=999", e.mustListParts("odd", odd, nil, aws.String("999")), []int32{1000, 10000}, "999", "10000", 1000, false)
}

// TestMPListPartsRcloneWalk reproduces rclone#9460: 11 parts walked with
// MaxParts 1, 2 and 5 must give each part once, with real part numbers,
// Next = last part of the page, and terminate.
func TestMPListPartsRcloneWalk(t *testing.T) {
	e := mpSmall(t)
	key := "rclone"
	id := e.create(key)
	etags := e.parts(key, id, mpSeq(1, 11), func(n int32) []byte { return mpTiny(n, 9460) }, 4)
	for _, max := range []int32{1, 2, 5} {
		var seen []int32
		marker := ""
		pages := 0
		for {
			pages++
			if pages > 20 {
				t.Fatalf("max-parts=%d: no end after 20 pages (marker %q)", max, marker)
			}
			var m *string
			if marker != "" {
				m = aws.String(marker)
			}
			out := e.mustListParts(key, id, aws.Int32(max), m)
			nums := mpPartNumbers(out.Parts)
			start := int32(0)
			if marker != "" {
				v, _ := strconv.Atoi(marker)
				start = int32(v)
			}
			want := mpSeq(start+1, min(start+max, 11))
			trunc := start+max < 11
			wantMarker := marker
			if wantMarker == "" {
				wantMarker = "0"
			}
			mpCheckPage(t, fmt.Sprintf("max-parts=%d page %d", max, pages), out, want, wantMarker, strconv.Itoa(int(want[len(want)-1])), max, trunc)
			for _, p := range out.Parts {
				if got, w := aws.ToString(p.ETag), etags[aws.ToInt32(p.PartNumber)]; got != w {
					t.Errorf("max-parts=%d: part %d ETag %s, want %s", max, aws.ToInt32(p.PartNumber), got, w)
				}
			}
			seen = append(seen, nums...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			next := aws.ToString(out.NextPartNumberMarker)
			if next == marker || next == "" {
				t.Fatalf("max-parts=%d: marker does not advance (%q → %q)", max, marker, next)
			}
			marker = next
		}
		if !mpEqualNums(seen, mpSeq(1, 11)) {
			t.Errorf("max-parts=%d: walk saw %v, want 1..11 once each", max, seen)
		}
		if wantPages := (11 + int(max) - 1) / int(max); pages != wantPages {
			t.Errorf("max-parts=%d: %d pages, want %d", max, pages, wantPages)
		}
	}
}

// TestMPListParts2500 uploads 2,500 parts and pages them: 1000, 1000, 500
// with the right markers (minio#1522, seaweedfs#1914); the aws-sdk-go-v2
// paginator and minio-go's part listing each see every part exactly once.
func TestMPListParts2500(t *testing.T) {
	e := mpSmall(t)
	key := "many/parts.bin"
	id := e.create(key)
	const total = 2500
	body := func(n int32) []byte { return mpTiny(n, 2500) }
	etags := e.parts(key, id, mpSeq(1, total), body, 16)

	for _, max := range []*int32{aws.Int32(1000), nil} {
		marker := (*string)(nil)
		wantPages := []struct {
			from, to int32
			marker   string
			trunc    bool
		}{{1, 1000, "0", true}, {1001, 2000, "1000", true}, {2001, 2500, "2000", false}}
		for i, w := range wantPages {
			what := fmt.Sprintf("max-parts=%v page %d", mpI32(max), i+1)
			out := e.mustListParts(key, id, max, marker)
			mpCheckPage(t, what, out, mpSeq(w.from, w.to), w.marker, strconv.Itoa(int(w.to)), 1000, w.trunc)
			for _, p := range out.Parts {
				n := aws.ToInt32(p.PartNumber)
				if aws.ToString(p.ETag) != etags[n] || aws.ToInt64(p.Size) != int64(len(body(n))) {
					t.Errorf("%s: part %d ETag %s size %d, want %s %d", what, n, aws.ToString(p.ETag), aws.ToInt64(p.Size), etags[n], len(body(n)))
					break
				}
			}
			if aws.ToBool(out.IsTruncated) {
				next, _ := strconv.Atoi(aws.ToString(out.NextPartNumberMarker))
				prev, _ := strconv.Atoi(aws.ToString(out.PartNumberMarker))
				if next <= prev {
					t.Errorf("%s: truncated but Next %d ≤ PartNumberMarker %d", what, next, prev)
				}
			}
			marker = out.NextPartNumberMarker
		}
	}

	// aws-sdk-go-v2's paginator, with the default page size and with 333.
	for _, limit := range []int32{0, 333} {
		seen := map[int32]int{}
		var order []int32
		pg := s3.NewListPartsPaginator(e.c, &s3.ListPartsInput{Bucket: aws.String(e.bucket), Key: aws.String(key), UploadId: aws.String(id)},
			func(o *s3.ListPartsPaginatorOptions) {
				if limit > 0 {
					o.Limit = limit
				}
			})
		pages := 0
		for pg.HasMorePages() {
			pages++
			if pages > 20 {
				t.Fatalf("paginator limit %d: more than 20 pages", limit)
			}
			out, err := pg.NextPage(mpCtx())
			if err != nil {
				t.Fatalf("paginator limit %d page %d: %v", limit, pages, err)
			}
			for _, p := range out.Parts {
				seen[aws.ToInt32(p.PartNumber)]++
				order = append(order, aws.ToInt32(p.PartNumber))
			}
		}
		if len(seen) != total || !mpEqualNums(order, mpSeq(1, total)) {
			t.Errorf("SDK paginator (limit %d): %d distinct parts in %d pages, order %s; want 1..%d once each", limit, len(seen), pages, mpShort(order), total)
		}
		wantPages := 3
		if limit == 333 {
			wantPages = (total + 332) / 333
		}
		if pages != wantPages {
			t.Errorf("SDK paginator (limit %d): %d pages, want %d", limit, pages, wantPages)
		}
	}

	// minio-go: the core client's part listing, followed by markers.
	core := minio.Core{Client: e.srv.Minio()}
	for _, max := range []int{0, 1000, 700} {
		var order []int
		marker := 0
		for pages := 1; ; pages++ {
			if pages > 20 {
				t.Fatalf("minio max %d: more than 20 pages", max)
			}
			res, err := core.ListObjectParts(mpCtx(), e.bucket, key, id, marker, max)
			if err != nil {
				t.Fatalf("minio ListObjectParts(marker %d, max %d): %v", marker, max, err)
			}
			if res.PartNumberMarker != marker {
				t.Errorf("minio: PartNumberMarker %d, want %d", res.PartNumberMarker, marker)
			}
			for _, p := range res.ObjectParts {
				order = append(order, p.PartNumber)
				if mpUnquote(p.ETag) != mpUnquote(etags[int32(p.PartNumber)]) {
					t.Errorf("minio: part %d ETag %s, want %s", p.PartNumber, p.ETag, etags[int32(p.PartNumber)])
				}
			}
			if !res.IsTruncated {
				break
			}
			marker = res.NextPartNumberMarker
		}
		ok := len(order) == total
		for i := 0; ok && i < total; i++ {
			ok = order[i] == i+1
		}
		if !ok {
			t.Errorf("minio-go walk (max %d): saw %d parts, want 1..%d once each", max, len(order), total)
		}
	}
}

// TestMPListPartsNoSuchUpload: an upload ID used with another key, in
// another bucket, or unknown is NoSuchUpload (404) with AWS's message and
// the UploadId field; an unknown bucket is NoSuchBucket.
func TestMPListPartsNoSuchUpload(t *testing.T) {
	e := mpSmall(t)
	id := e.create("real-key")
	e.part("real-key", id, 1, []byte("x"))
	other := e.newBucket()

	_, err := e.listParts("other-key", id, nil, nil)
	mpWantErr(t, "ListParts with another key", err, "NoSuchUpload", 404)
	_, err = e.c.ListParts(mpCtx(), &s3.ListPartsInput{Bucket: aws.String(other), Key: aws.String("real-key"), UploadId: aws.String(id)})
	mpWantErr(t, "ListParts in another bucket", err, "NoSuchUpload", 404)
	_, err = e.listParts("real-key", "bm90LWFuLXVwbG9hZC1pZA", nil, nil)
	mpWantErr(t, "ListParts with an unknown id", err, "NoSuchUpload", 404)
	_, err = e.c.ListParts(mpCtx(), &s3.ListPartsInput{Bucket: aws.String("mp-no-such-bucket"), Key: aws.String("real-key"), UploadId: aws.String(id)})
	mpWantErr(t, "ListParts in a missing bucket", err, "NoSuchBucket", 404)

	r, _ := e.rawListParts("other-key", id, "")
	r.wantErr(t, "raw ListParts with another key", 404, "NoSuchUpload", map[string]string{"Message": mpNoSuchUploadMsg, "UploadId": id})

	// The upload itself is untouched.
	mpCheckPage(t, "own key", e.mustListParts("real-key", id, nil, nil), []int32{1}, "0", "1", 1000, false)
}

// TestMPListPartsOwnerAndPayer: x-amz-expected-bucket-owner must match the
// bucket owner's account (403 AccessDenied otherwise);
// x-amz-request-payer: requester is accepted.
func TestMPListPartsOwnerAndPayer(t *testing.T) {
	e := mpSmall(t)
	id := e.create("k")
	e.part("k", id, 1, []byte("abc"))

	_, err := e.listParts("k", id, nil, nil, func(in *s3.ListPartsInput) { in.ExpectedBucketOwner = aws.String("111122223333") })
	mpWantErr(t, "ListParts with a wrong expected owner", err, "AccessDenied", 403)
	out, err := e.listParts("k", id, nil, nil, func(in *s3.ListPartsInput) { in.ExpectedBucketOwner = aws.String(mpRootAccountID) })
	if err != nil {
		t.Errorf("ListParts with the right expected owner %s: %v", mpRootAccountID, err)
	} else if len(out.Parts) != 1 {
		t.Errorf("ListParts with the right expected owner: %d parts, want 1", len(out.Parts))
	}
	out, err = e.listParts("k", id, nil, nil, func(in *s3.ListPartsInput) { in.RequestPayer = types.RequestPayerRequester })
	if err != nil {
		t.Errorf("ListParts with x-amz-request-payer: requester: %v", err)
	} else if len(out.Parts) != 1 {
		t.Errorf("ListParts with request payer: %d parts, want 1", len(out.Parts))
	}
	r := e.raw("GET", mpPath(e.bucket, "k")+"?uploadId="+id, nil, map[string]string{"x-amz-expected-bucket-owner": "999999999999"})
	r.wantErr(t, "raw ListParts with a wrong expected owner", 403, "AccessDenied", nil)
}

// TestMPListPartsReuploadShowsLatest: a re-uploaded part appears once, with
// the latest ETag, size and LastModified.
func TestMPListPartsReuploadShowsLatest(t *testing.T) {
	e := mpSmall(t)
	id := e.create("k")
	e.part("k", id, 1, []byte("first version"))
	first := e.mustListParts("k", id, nil, nil)
	time.Sleep(5 * time.Millisecond)
	et := e.part("k", id, 1, []byte("second, longer version"))
	out := e.mustListParts("k", id, nil, nil)
	if len(out.Parts) != 1 {
		t.Fatalf("%d parts after re-upload, want 1", len(out.Parts))
	}
	p := out.Parts[0]
	if aws.ToString(p.ETag) != et || aws.ToInt64(p.Size) != int64(len("second, longer version")) {
		t.Errorf("re-uploaded part: ETag %s size %d, want %s %d", aws.ToString(p.ETag), aws.ToInt64(p.Size), et, len("second, longer version"))
	}
	if len(first.Parts) == 1 && !aws.ToTime(p.LastModified).After(aws.ToTime(first.Parts[0].LastModified)) {
		t.Errorf("re-uploaded part LastModified %v not after the first upload's %v", aws.ToTime(p.LastModified), aws.ToTime(first.Parts[0].LastModified))
	}
}
