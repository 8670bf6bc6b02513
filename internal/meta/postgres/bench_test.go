package postgres_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

// benchParts is the part count of the multipart benchmarks: S3's maximum.
const benchParts = 10000

// benchUpload creates upload id on b/key with benchParts parts shaped like
// the engine's (hex IDs and ETags, one checksum).
func benchUpload(b *testing.B, s meta.Store, key, id string) {
	b.Helper()
	ctx := b.Context()
	if _, err := s.GetBucket(ctx, "b"); err != nil {
		must(b, "CreateBucket", s.CreateBucket(ctx, meta.Bucket{Name: "b", Created: base}))
	}
	must(b, "CreateUpload", s.CreateUpload(ctx, meta.Upload{ID: id, Bucket: "b", Key: key, Initiated: base}))
	const writers = 8
	errs := make([]error, writers)
	run(writers, func(w int) {
		for n := w + 1; n <= benchParts && errs[w] == nil; n += writers {
			p := meta.Part{UploadID: id, Number: n, BlobID: randHex(), Size: 8 << 20,
				ETag: randHex(), LastModified: base, Checksums: meta.Checksums{"CRC64NVME": randHex()[:12]}}
			_, errs[w] = s.PutPart(ctx, "b", key, p)
		}
	})
	for _, err := range errs {
		must(b, "PutPart", err)
	}
}

// randHex returns 32 random hex digits, like blob IDs and ETags: they
// compress as real manifests do.
func randHex() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// BenchmarkListParts10000: the store's share of walking 10,000 parts in
// pages of 1000.
func BenchmarkListParts10000(b *testing.B) {
	s := open(b, pgtest.DSN(b))
	defer s.Close()
	benchUpload(b, s, "k", "up")
	for b.Loop() {
		after := 0
		for range benchParts / 1000 {
			ps, err := s.ListParts(b.Context(), "up", after, 1001)
			if err != nil || len(ps) < 1000 {
				b.Fatalf("ListParts after %d: %d parts, %v", after, len(ps), err)
			}
			after = ps[999].Number
		}
	}
}

// BenchmarkCompleteUpload10000: the store's share of completing a
// 10,000-part upload into a new key (parts written outside the timer).
func BenchmarkCompleteUpload10000(b *testing.B) {
	s := open(b, pgtest.DSN(b))
	defer s.Close()
	build := func(u meta.Upload, ps []meta.Part) (meta.Object, error) {
		o := meta.Object{ETag: "mpu", LastModified: base}
		for _, p := range ps {
			o.Size += p.Size
			o.Segments = append(o.Segments, meta.Segment{BlobID: p.BlobID, Size: p.Size, PartNumber: p.Number, ETag: p.ETag, Checksums: p.Checksums})
		}
		return o, nil
	}
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id := fmt.Sprintf("up%d", i)
		benchUpload(b, s, id, id)
		b.StartTimer()
		t0 := time.Now()
		o, _, err := s.CompleteUpload(b.Context(), "b", id, id, build, nil)
		if err != nil || len(o.Segments) != benchParts {
			b.Fatalf("CompleteUpload: %d segments, %v", len(o.Segments), err)
		}
		worst = max(worst, time.Since(t0))
	}
	b.ReportMetric(float64(worst.Microseconds())/1e3, "worst-ms")
}

// BenchmarkListVersions: a page of 1000 versions costs the same at the
// start of a bucket of 200,000 versions (20,000 keys of 10) and near its
// end. Rows are inserted directly, as the store would write them.
func BenchmarkListVersions(b *testing.B) {
	dsn := pgtest.DSN(b)
	s := open(b, dsn)
	defer s.Close()
	ctx := b.Context()
	must(b, "CreateBucket", s.CreateBucket(ctx, meta.Bucket{Name: "b", Created: base}))
	rec, err := json.Marshal(meta.Object{Size: 3, ETag: randHex(), LastModified: base, Owner: meta.Owner{ID: randHex()}, StorageClass: "STANDARD"})
	must(b, "encode", err)
	conn, err := pgx.Connect(ctx, dsn)
	must(b, "connect", err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO objects (bucket, key, rank, version_id, delete_marker, rec)
		SELECT 'b', convert_to(lpad(i::text, 6, '0'), 'UTF8'), 0, 'v', false, $1 FROM generate_series(0, 19999) i`, rec)
	must(b, "insert latest", err)
	_, err = conn.Exec(ctx, `INSERT INTO object_versions (bucket, key, rank, version_id, rec)
		SELECT 'b', convert_to(lpad(i::text, 6, '0'), 'UTF8'), r, 'v', $1
		FROM generate_series(0, 19999) i, generate_series(1, 9) r`, rec)
	must(b, "insert noncurrent", err)
	_, err = conn.Exec(ctx, `ANALYZE`)
	must(b, "analyze", err)
	for _, bc := range []struct{ name, after string }{{"start", ""}, {"end", "019000"}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				vs, err := s.ListVersions(ctx, "b", "", bc.after, "", 1000)
				if err != nil || len(vs) != 1000 {
					b.Fatalf("ListVersions: %d versions, %v", len(vs), err)
				}
			}
		})
	}
}
