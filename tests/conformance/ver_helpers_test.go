package conformance

// Helpers of the versioning tests (ver_*_test.go): a server with an SDK
// client, buckets in each versioning state, version-aware reads, and
// ListObjectVersions parsed from the raw XML so that the interleaving of
// Version and DeleteMarker entries (which the SDK splits into two lists)
// can be checked. Evidence: /tmp/research11-versioning.md, cited per row
// as "LS <test> <snapshot>" (LocalStack snapshots recorded against AWS)
// or by the peer issue quoting a raw S3 answer.

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// Versioning states a test bucket can start in ("" = never set).
const (
	verNever     = ""
	verEnabled   = "Enabled"
	verSuspended = "Suspended"
)

type verEnv struct {
	t   testing.TB
	srv *tesseratest.Server
	c   *s3.Client
}

func verNew(t testing.TB, opts ...tesseratest.Option) *verEnv {
	srv := tesseratest.New(t, opts...)
	return &verEnv{t: t, srv: srv, c: sdkClient(srv)}
}

// bucket makes a fresh bucket in the versioning state.
func (e *verEnv) bucket(state string) string {
	e.t.Helper()
	b := newBucket(e.t, e.c)
	if state != verNever {
		e.setVersioning(b, state)
	}
	return b
}

func (e *verEnv) setVersioning(bucket, state string) {
	e.t.Helper()
	_, err := e.c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{
		Bucket: aws.String(bucket), VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatus(state)},
	})
	if err != nil {
		e.t.Fatalf("PutBucketVersioning(%s, %s): %v", bucket, state, err)
	}
}

// put stores body and returns the x-amz-version-id answered ("" if none).
func (e *verEnv) put(bucket, key, body string) string {
	e.t.Helper()
	return aws.ToString(put(e.t, e.c, bucket, key, []byte(body)).VersionId)
}

// putID stores body on a versioned bucket and returns its new version ID.
func (e *verEnv) putID(bucket, key, body string) string {
	e.t.Helper()
	id := e.put(bucket, key, body)
	if len(id) != 32 {
		e.t.Fatalf("PutObject(%s/%s) x-amz-version-id %q: want a 32-character ID (LS test_object_version_id_format)", bucket, key, id)
	}
	return id
}

// del deletes key (no versionId) and returns the answer.
func (e *verEnv) del(bucket, key string) *s3.DeleteObjectOutput {
	e.t.Helper()
	out, err := e.c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("DeleteObject(%s/%s): %v", bucket, key, err)
	}
	return out
}

// marker deletes key on a versioned bucket and returns the marker's ID.
func (e *verEnv) marker(bucket, key string) string {
	e.t.Helper()
	out := e.del(bucket, key)
	if !aws.ToBool(out.DeleteMarker) || aws.ToString(out.VersionId) == "" {
		e.t.Fatalf("DeleteObject(%s/%s): DeleteMarker %v VersionId %q, want a new marker", bucket, key, aws.ToBool(out.DeleteMarker), aws.ToString(out.VersionId))
	}
	return aws.ToString(out.VersionId)
}

// delVersion deletes one version.
func (e *verEnv) delVersion(bucket, key, id string) *s3.DeleteObjectOutput {
	e.t.Helper()
	out, err := e.c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(id)})
	if err != nil {
		e.t.Fatalf("DeleteObject(%s/%s?versionId=%s): %v", bucket, key, id, err)
	}
	return out
}

// getV reads a version ("" = latest): its body, the output and the error.
func (e *verEnv) getV(bucket, key, id string) (string, *s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if id != "" {
		in.VersionId = aws.String(id)
	}
	out, err := e.c.GetObject(ctx(), in)
	if err != nil {
		return "", nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), out, err
}

// wantV fails unless version id ("" = latest) reads back as body with
// x-amz-version-id wantID.
func (e *verEnv) wantV(bucket, key, id, body, wantID string) {
	e.t.Helper()
	got, out, err := e.getV(bucket, key, id)
	if err != nil {
		e.t.Errorf("GetObject(%s/%s?versionId=%s): %v", bucket, key, id, err)
		return
	}
	if got != body || aws.ToString(out.VersionId) != wantID {
		e.t.Errorf("GetObject(%s/%s?versionId=%s) = %q with x-amz-version-id %q, want %q with %q", bucket, key, id, got, aws.ToString(out.VersionId), body, wantID)
	}
}

// raw sends a signed request (pathQuery already escaped).
func (e *verEnv) raw(method, pathQuery string, body []byte, hdr map[string]string) mpResp {
	e.t.Helper()
	return mpRaw(e.t, e.srv, method, pathQuery, body, hdr)
}

// verHeaders checks a raw response's x-amz-version-id and
// x-amz-delete-marker ("" = must be absent).
func verHeaders(t testing.TB, what string, h http.Header, versionID, deleteMarker string) {
	t.Helper()
	for name, want := range map[string]string{"x-amz-version-id": versionID, "x-amz-delete-marker": deleteMarker} {
		got, sent := h.Get(name), len(h.Values(name)) > 0
		switch {
		case want == "" && sent:
			t.Errorf("%s: %s: %q sent, want none", what, name, got)
		case want != "" && got != want:
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
}

// ---- ListObjectVersions, raw ------------------------------------------------

// verEntry is a <Version> or <DeleteMarker> of a raw listing.
type verEntry struct {
	XMLName           xml.Name
	Key               string `xml:"Key"`
	VersionID         string `xml:"VersionId"`
	IsLatest          bool   `xml:"IsLatest"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	Size              int64  `xml:"Size"`
	StorageClass      string `xml:"StorageClass"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm"`
	OwnerID           string `xml:"Owner>ID"`
}

func (v verEntry) marker() bool { return v.XMLName.Local == "DeleteMarker" }

// String is "key@id" with "(dm)" for a marker and "*" when latest: short
// enough to compare whole listings in one message.
func (v verEntry) String() string {
	s := v.Key + "@" + v.VersionID
	if v.marker() {
		s += "(dm)"
	}
	if v.IsLatest {
		s += "*"
	}
	return s
}

// verPage is one raw ListVersionsResult; pointer fields are nil when the
// element is absent.
type verPage struct {
	Name                string     `xml:"Name"`
	Prefix              string     `xml:"Prefix"`
	KeyMarker           *string    `xml:"KeyMarker"`
	VersionIDMarker     *string    `xml:"VersionIdMarker"`
	NextKeyMarker       *string    `xml:"NextKeyMarker"`
	NextVersionIDMarker *string    `xml:"NextVersionIdMarker"`
	MaxKeys             int        `xml:"MaxKeys"`
	Delimiter           *string    `xml:"Delimiter"`
	EncodingType        *string    `xml:"EncodingType"`
	IsTruncated         bool       `xml:"IsTruncated"`
	CommonPrefixes      []string   `xml:"CommonPrefixes>Prefix"`
	Entries             []verEntry `xml:",any"`
}

// list sends GET /bucket?versions&query and parses the page; a non-200
// answer fails the test.
func (e *verEnv) list(bucket, query string) verPage {
	e.t.Helper()
	pq := "/" + bucket + "?versions"
	if query != "" {
		pq += "&" + query
	}
	r := e.raw(http.MethodGet, pq, nil, nil)
	if r.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: status %d: %s", pq, r.StatusCode, r.Body)
	}
	var p verPage
	if err := xml.Unmarshal(r.Body, &p); err != nil {
		e.t.Fatalf("GET %s: %v: %s", pq, err, r.Body)
	}
	return p
}

// walk pages through the whole listing max entries at a time, following
// NextKeyMarker/NextVersionIdMarker as clients do.
func (e *verEnv) walk(bucket, query string, max int) ([]verEntry, []string) {
	e.t.Helper()
	var entries []verEntry
	var prefixes []string
	q := url.Values{}
	for i := 0; ; i++ {
		if i > 100000 {
			e.t.Fatal("listing does not end")
		}
		extra := "max-keys=" + strconv.Itoa(max)
		if len(q) > 0 {
			extra += "&" + q.Encode()
		}
		if query != "" {
			extra += "&" + query
		}
		p := e.list(bucket, extra)
		entries = append(entries, p.Entries...)
		prefixes = append(prefixes, p.CommonPrefixes...)
		if !p.IsTruncated {
			return entries, prefixes
		}
		q = url.Values{"key-marker": {deref(p.NextKeyMarker)}}
		if v := deref(p.NextVersionIDMarker); v != "" {
			q.Set("version-id-marker", v)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// verIDs is the listing as "key@id…" strings, for whole-listing compares.
func verIDs(entries []verEntry) []string {
	out := make([]string, len(entries))
	for i, v := range entries {
		out[i] = v.String()
	}
	return out
}

// verWant builds the expected verIDs row: key, id, marker, latest.
func verWant(key, id string, marker, latest bool) string {
	return verEntry{XMLName: xml.Name{Local: map[bool]string{true: "DeleteMarker", false: "Version"}[marker]}, Key: key, VersionID: id, IsLatest: latest}.String()
}
