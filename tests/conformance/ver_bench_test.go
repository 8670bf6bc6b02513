package conformance

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/server"
)

// BenchmarkListObjectVersionsDeep measures ListObjectVersions through the
// SDK on one key with 100,000 versions: the first page (no markers), a
// page 49,000 versions deep and the last page (key-marker +
// version-id-marker of the 1,001st-oldest version). A version ID encodes its place, so the last page should cost
// what the first does. The history is built through the metadata store
// directly (empty versions: through the SDK it would take minutes); the
// listing is served as any other.
func BenchmarkListObjectVersionsDeep(b *testing.B) {
	const versions = 100_000
	e := verNew(b)
	bucket := e.bucket(verEnabled)
	store := e.srv.Internal().Meta()
	start := time.Now()
	at := start.Add(-time.Hour)
	ids := make([]string, 0, versions)
	for i := 0; i < versions; i++ {
		o, _, err := store.PutObject(ctx(), meta.Object{
			Bucket: bucket, Key: "deep", ETag: emptyMD5, LastModified: at.Add(time.Duration(i) * time.Millisecond),
			Owner: server.RootOwner, StorageClass: "STANDARD",
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, o.VersionID)
	}
	b.Logf("built %d versions in %v", versions, time.Since(start))
	// ids[0] is the oldest: the last page follows the 1,001st-oldest.
	for _, tc := range []struct {
		name     string
		in       s3.ListObjectVersionsInput
		wantLast string
	}{
		{"first-page", s3.ListObjectVersionsInput{}, ids[versions-1000]},
		{"middle-page", s3.ListObjectVersionsInput{KeyMarker: aws.String("deep"), VersionIdMarker: aws.String(ids[50_000])}, ids[49_000]},
		{"last-page", s3.ListObjectVersionsInput{KeyMarker: aws.String("deep"), VersionIdMarker: aws.String(ids[1000])}, ids[0]},
	} {
		b.Run(tc.name, func(b *testing.B) {
			in := tc.in
			in.Bucket = aws.String(bucket)
			b.ReportAllocs()
			for b.Loop() {
				out, err := e.c.ListObjectVersions(ctx(), &in)
				if err != nil {
					b.Fatal(err)
				}
				if n := len(out.Versions); n != 1000 || aws.ToString(out.Versions[n-1].VersionId) != tc.wantLast {
					b.Fatalf("%d versions, last %q; want 1000 ending %q", n, aws.ToString(out.Versions[n-1].VersionId), tc.wantLast)
				}
			}
		})
	}
}

// BenchmarkPutObjectVersioned measures a 4 KiB PutObject through the SDK
// on a bucket whose versioning is Enabled (every PUT adds a version, the
// old latest moves to the noncurrent table) against one never versioned
// (every PUT replaces the object and frees its blob), over 64 keys.
func BenchmarkPutObjectVersioned(b *testing.B) {
	data := randBytes(4<<10, 52)
	for _, state := range []string{verNever, verEnabled} {
		name := "unversioned"
		if state != verNever {
			name = "versioned"
		}
		b.Run(name, func(b *testing.B) {
			e := verNew(b)
			bucket := e.bucket(state)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				_, err := e.c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("k%d", i%64)), Body: bytes.NewReader(data)})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
