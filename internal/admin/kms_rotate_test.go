package admin_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/admin"
)

// TestKMSKeyRotate: POST kms/keys/{id}/rotate gives the key a new version,
// re-seals its object's data key before answering (the answer counts it),
// shows the rotation in get and list, keeps the object readable, and
// refuses unknown and disabled keys. (Rotation is Tessera's own admin API;
// a disabled key is refused as KMS's RotateKeyOnDemand refuses one with
// KMSInvalidStateException.)
func TestKMSKeyRotate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(rootCred)
	var k admin.KeyView
	if err := c.Do(ctx, "POST", "kms/keys", map[string]string{}, &k); err != nil {
		t.Fatal(err)
	}
	if k.Version != 0 || k.RotatedAt != nil || k.ResealPending {
		t.Fatalf("new key = %+v, want version 0, never rotated", k)
	}
	s3c := e.srv.S3()
	body := bytes.Repeat([]byte("rotate me "), 1000)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("rot")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("rot"), Key: aws.String("o"), Body: bytes.NewReader(body),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(k.ID)}); err != nil {
		t.Fatal(err)
	}

	before := time.Now().Add(-time.Second)
	for v := uint32(1); v <= 2; v++ {
		var r admin.KeyView
		if err := c.Do(ctx, "POST", "kms/keys/"+k.ID+"/rotate", nil, &r); err != nil {
			t.Fatalf("rotate: %v", err)
		}
		if r.ID != k.ID || r.Version != v || r.ResealedVersion != v || r.Resealed != 1 || r.ResealPending ||
			r.RotatedAt == nil || r.RotatedAt.Before(before) {
			t.Fatalf("rotation %d answered %+v", v, r)
		}
		if got := e.kmsKey(k.ID); got.Version != v || got.Resealed != 1 || got.ResealPending {
			t.Fatalf("get after rotation %d = %+v", v, got)
		}
		if l := e.kmsKeys(""); len(l) != 1 || l[0].Version != v {
			t.Fatalf("list after rotation %d = %+v", v, l)
		}
		out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("rot"), Key: aws.String("o")})
		if err != nil {
			t.Fatalf("GET after rotation %d: %v", v, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, body) {
			t.Fatalf("GET after rotation %d: body differs", v)
		}
	}

	e.wantStatus(&rootCred, "POST", "kms/keys/0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c/rotate", nil, http.StatusNotFound)
	e.wantStatus(&rootCred, "POST", "kms/keys/"+k.ID+"/disable", nil, http.StatusNoContent)
	e.wantStatus(&rootCred, "POST", "kms/keys/"+k.ID+"/rotate", nil, http.StatusBadRequest)
	if got := e.kmsKey(k.ID); got.Version != 2 {
		t.Fatalf("a refused rotation changed the key: %+v", got)
	}
	e.wantStatus(nil, "POST", "kms/keys/"+k.ID+"/rotate", nil, http.StatusForbidden)
}
