package conformance

// In-progress uploads survive a restart and are found by
// ListMultipartUploads without knowing their keys (minio#7632,
// freeframe#251); DeleteBucket with in-progress uploads behaves as S3's
// general-purpose buckets do.

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestMPRestartUploadsSurvive: uploads (with their parts, metadata and
// checksum mode) outlive a restart, are listed without a prefix, and can be
// continued and completed afterwards; finished uploads stay finished.
func TestMPRestartUploadsSurvive(t *testing.T) {
	e := mpSmall(t)
	type upload struct {
		key, id string
		parts   map[int32][]byte
	}
	var live []upload
	for i, key := range []string{"deep/nested/path/obj.bin", "top", "z/last"} {
		id := e.create(key, func(in *s3.CreateMultipartUploadInput) {
			in.ContentType = aws.String("application/x-restart")
			in.Metadata = map[string]string{"n": fmt.Sprint(i)}
			if i == 0 {
				in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
			}
		})
		u := upload{key, id, map[int32][]byte{}}
		for n := int32(1); n <= 3; n++ {
			b := mpBytes(2000+int(n), uint64(i*10)+uint64(n))
			u.parts[n] = b
			e.part(key, id, n, b, func(in *s3.UploadPartInput) {
				if i == 0 {
					in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
				}
			})
		}
		live = append(live, u)
		time.Sleep(2 * time.Millisecond)
	}
	doneID := e.create("done")
	e.mustComplete("done", doneID, []types.CompletedPart{mpCP(1, e.part("done", doneID, 1, []byte("done")))})
	abortedID := e.create("aborted")
	e.part("aborted", abortedID, 1, []byte("aborted"))
	if _, err := e.c.AbortMultipartUpload(mpCtx(), &s3.AbortMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String("aborted"), UploadId: aws.String(abortedID)}); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	before := map[string]*s3.ListPartsOutput{}
	for _, u := range live {
		before[u.id] = e.mustListParts(u.key, u.id, nil, nil)
	}

	e.srv.Restart()
	e.c = e.srv.S3()

	lu := e.listUploads()
	if len(lu.Uploads) != len(live) {
		t.Fatalf("after restart ListMultipartUploads lists %d uploads %q, want %d", len(lu.Uploads), mpUploadKeys(lu.Uploads), len(live))
	}
	for i, u := range lu.Uploads {
		if aws.ToString(u.Key) != live[i].key || aws.ToString(u.UploadId) != live[i].id {
			t.Errorf("after restart entry %d: %s/%s, want %s/%s", i, aws.ToString(u.Key), aws.ToString(u.UploadId), live[i].key, live[i].id)
		}
	}
	if lu.Uploads[0].ChecksumAlgorithm != types.ChecksumAlgorithmSha256 {
		t.Errorf("after restart: checksum algorithm %q, want SHA256", lu.Uploads[0].ChecksumAlgorithm)
	}
	for _, u := range live {
		after := e.mustListParts(u.key, u.id, nil, nil)
		b := before[u.id]
		if len(after.Parts) != len(b.Parts) {
			t.Errorf("%s: %d parts after restart, %d before", u.key, len(after.Parts), len(b.Parts))
			continue
		}
		for i := range b.Parts {
			pa, pb := after.Parts[i], b.Parts[i]
			if aws.ToInt32(pa.PartNumber) != aws.ToInt32(pb.PartNumber) || aws.ToString(pa.ETag) != aws.ToString(pb.ETag) ||
				aws.ToInt64(pa.Size) != aws.ToInt64(pb.Size) || !aws.ToTime(pa.LastModified).Equal(aws.ToTime(pb.LastModified)) ||
				aws.ToString(pa.ChecksumSHA256) != aws.ToString(pb.ChecksumSHA256) {
				t.Errorf("%s part %d changed across restart: %+v vs %+v", u.key, i+1, pa, pb)
			}
		}
		if after.ChecksumAlgorithm != b.ChecksumAlgorithm || after.ChecksumType != b.ChecksumType || after.StorageClass != b.StorageClass {
			t.Errorf("%s: upload fields changed across restart", u.key)
		}
	}
	_, err := e.listParts("done", doneID, nil, nil)
	mpWantErr(t, "ListParts of a completed upload after restart", err, "NoSuchUpload", 404)
	_, err = e.listParts("aborted", abortedID, nil, nil)
	mpWantErr(t, "ListParts of an aborted upload after restart", err, "NoSuchUpload", 404)
	e.wantBytes("done", []byte("done"))

	// Continue and complete every upload after the restart.
	for i, u := range live {
		extra := mpBytes(100, uint64(500+i))
		u.parts[4] = extra
		e.part(u.key, u.id, 4, extra, func(in *s3.UploadPartInput) {
			if i == 0 {
				in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
			}
		})
		lp := e.mustListParts(u.key, u.id, nil, nil)
		var parts []types.CompletedPart
		for _, p := range lp.Parts {
			parts = append(parts, types.CompletedPart{PartNumber: p.PartNumber, ETag: p.ETag, ChecksumSHA256: p.ChecksumSHA256})
		}
		e.mustComplete(u.key, u.id, parts)
		want := bytes.Join([][]byte{u.parts[1], u.parts[2], u.parts[3], u.parts[4]}, nil)
		got, g := e.getBytes(u.key)
		if !bytes.Equal(got, want) {
			t.Errorf("%s after restart: %d bytes, want %d", u.key, len(got), len(want))
		}
		if aws.ToString(g.ContentType) != "application/x-restart" || g.Metadata["n"] != fmt.Sprint(i) {
			t.Errorf("%s after restart: Content-Type %q metadata %v", u.key, aws.ToString(g.ContentType), g.Metadata)
		}
	}
	if lu := e.listUploads(); len(lu.Uploads) != 0 {
		t.Errorf("after completing all: %d uploads listed", len(lu.Uploads))
	}
	// A second restart keeps the completed objects.
	e.srv.Restart()
	e.c = e.srv.S3()
	e.wantBytes(live[1].key, bytes.Join([][]byte{live[1].parts[1], live[1].parts[2], live[1].parts[3], live[1].parts[4]}, nil))
}

// TestMPDeleteBucketWithUploads: on AWS a general-purpose bucket whose only
// content is in-progress multipart uploads can be deleted (204); the uploads
// go with it. (Only directory buckets refuse while uploads are in progress:
// AWS DeleteBucket API reference; scality/cloudserver#1591 "compatible with
// AWS S3 behavior of deleting buckets even when there are ongoing multipart
// uploads"; ceph/ceph#15630 review, tried on S3; basho/riak_cs#475.)
func TestMPDeleteBucketWithUploads(t *testing.T) {
	e := mpSmall(t)
	id := e.create("pending/object")
	e.parts("pending/object", id, mpSeq(1, 3), func(n int32) []byte { return mpBytes(5000, uint64(n)) }, 3)
	id2 := e.create("other")

	// Objects still block deletion.
	full := e.newBucket()
	if _, err := e.c.PutObject(mpCtx(), &s3.PutObjectInput{Bucket: aws.String(full), Key: aws.String("obj"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	_, err := e.c.DeleteBucket(mpCtx(), &s3.DeleteBucketInput{Bucket: aws.String(full)})
	mpWantErr(t, "DeleteBucket with an object", err, "BucketNotEmpty", 409)

	r := e.raw("DELETE", "/"+e.bucket, nil, nil)
	if r.StatusCode != 204 {
		t.Fatalf("DeleteBucket with only in-progress uploads: status %d (%.300s), want 204 as on AWS general-purpose buckets", r.StatusCode, r.Body)
	}
	if _, err := e.c.HeadBucket(mpCtx(), &s3.HeadBucketInput{Bucket: aws.String(e.bucket)}); mpStatus(err) != 404 {
		t.Errorf("HeadBucket after DeleteBucket: %v, want 404", err)
	}
	_, err = e.listParts("pending/object", id, nil, nil)
	mpWantErr(t, "ListParts after DeleteBucket", err, "NoSuchBucket", 404)
	if !mpEventually(func() bool { return len(mpBlobs(t, e.srv.DataDir)) == 1 }) {
		t.Errorf("%d blob files after deleting the bucket, want 1 (the other bucket's object): the uploads' parts leaked", len(mpBlobs(t, e.srv.DataDir)))
	}
	// A new bucket of the same name starts empty: the old uploads are gone.
	if _, err := e.c.CreateBucket(mpCtx(), &s3.CreateBucketInput{Bucket: aws.String(e.bucket)}); err != nil {
		t.Fatalf("re-creating the bucket: %v", err)
	}
	if lu := e.listUploads(); len(lu.Uploads) != 0 {
		t.Errorf("re-created bucket lists %d uploads of the deleted one", len(lu.Uploads))
	}
	for _, c := range []struct{ key, id string }{{"pending/object", id}, {"other", id2}} {
		_, err = e.listParts(c.key, c.id, nil, nil)
		mpWantErr(t, "ListParts of a deleted bucket's upload in the re-created bucket", err, "NoSuchUpload", 404)
		_, err = e.uploadPart(c.key, c.id, 4, []byte("late"))
		mpWantErr(t, "UploadPart to a deleted bucket's upload", err, "NoSuchUpload", 404)
	}
}
