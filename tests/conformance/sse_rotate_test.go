package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// Key rotation is Tessera's own administration, not an S3 API: S3 clients
// see no difference, which is what these tests check through the SDK.
// (AWS KMS rotation keeps every earlier key version able to decrypt, so an
// object written before a rotation reads back unchanged after it: AWS KMS
// developer guide, "Rotating AWS KMS keys". Tessera follows that for reads
// and also re-seals stored data keys under the newest version.)

// TestSSEKMSKeyRotation: SSE-KMS objects (single and multipart) and an
// SSE-KMS upload in progress keep reading back byte for byte after their
// key is rotated, twice, and after a restart; the rotation re-seals every
// data key of the key (and only of that key) without touching bytes; the
// upload completes after it; a disabled key still blocks reads after
// rotation (KMS.DisabledException, research10kms R1) until enabled.
func TestSSEKMSKeyRotation(t *testing.T) {
	e := ckNew(t, false, tesseratest.WithMinPartSize(1))
	id, arn := e.srv.NewKMSKey(tesseratest.RootAccountID)
	otherID, _ := e.srv.NewKMSKey(tesseratest.RootAccountID)
	want := map[string][]byte{"single": ckRand(150_000, 301), "other": ckRand(70_000, 302)}
	if _, err := kmsPut(e.c, e.bucket, "single", id, want["single"]); err != nil {
		t.Fatal(err)
	}
	if _, err := kmsPut(e.c, e.bucket, "other", otherID, want["other"]); err != nil {
		t.Fatal(err)
	}
	mpu := ckParts(3, 310)
	e.sseMPU("mpu", types.ServerSideEncryptionAwsKms, id, mpu)
	want["mpu"] = bytes.Join(mpu, nil)
	open := ckParts(2, 320)
	openID, openDone := e.sseMPUStart("open", types.ServerSideEncryptionAwsKms, id, open)
	blobsBefore := sseBlobFiles(t, e.srv.DataDir)

	keys := e.srv.Internal().Keys()
	for v := uint32(1); v <= 2; v++ {
		k, err := keys.Rotate(context.Background(), id)
		if err != nil {
			t.Fatalf("rotation %d: %v", v, err)
		}
		// 1 single + 3 segments + 2 parts of the open upload; "other" is
		// under another key and stays as it was.
		if k.Version != v || k.Resealed != 6 || k.ResealPending() {
			t.Fatalf("rotation %d: version %d, re-sealed %d, pending %v; want %d, 6, false", v, k.Version, k.Resealed, k.ResealPending(), v)
		}
		e.sseWantBodies("after rotation", want, nil)
	}
	if got := sseBlobFiles(t, e.srv.DataDir); !bytes.Equal(got, blobsBefore) {
		t.Fatalf("rotation rewrote, added or removed blob files")
	}
	if _, err := e.complete("open", openID, openDone); err != nil {
		t.Fatalf("Complete of an upload whose parts were re-sealed: %v", err)
	}
	want["open"] = bytes.Join(open, nil)
	e.sseWantBodies("after completing", want, nil)

	e.srv.Restart()
	e.c, e.rec = e.client(ckWhenSupported)
	e.sseWantBodies("after restart", want, nil)

	keys = e.srv.Internal().Keys()
	if err := keys.SetEnabled(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"single", "mpu"} {
		_, _, err := sseGet(e.c, e.bucket, key, nil)
		ckWantErr(t, "GET under a rotated, disabled key", err, "KMS.DisabledException", 400, arn+" is disabled.")
	}
	if err := keys.SetEnabled(context.Background(), id, true); err != nil {
		t.Fatal(err)
	}
	e.sseWantBodies("enabled again", want, nil)
}

// TestSSERootKeyRotation: objects written under root key A (SSE-S3 and
// SSE-KMS, single and multipart, an upload in progress, SSE-C, plaintext)
// read back byte for byte after the server restarts with root key B and
// --kms-previous-key-file A, and again after it restarts with only B and
// A's file gone. The rotation re-seals every SSE-S3 and SSE-KMS data key
// (SSE-C data keys come from the customer's key and are not touched); a
// second rotation from A finds nothing left under A.
func TestSSERootKeyRotation(t *testing.T) {
	logs := &sseLogs{}
	e := ckNew(t, true, tesseratest.WithMinPartSize(1), tesseratest.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	id, _ := e.srv.NewKMSKey(tesseratest.RootAccountID)
	if _, err := e.srv.Internal().Keys().Rotate(context.Background(), id); err != nil {
		t.Fatal(err) // a key at version 1: versions survive the root's change
	}
	ck := newSSECKey(9)
	want := map[string][]byte{"kms": ckRand(150_000, 401), "s3": ckRand(66_000, 402), "ssec": ckRand(9_000, 403), "plain": ckRand(1_000, 404)}
	if _, err := kmsPut(e.c, e.bucket, "kms", id, want["kms"]); err != nil {
		t.Fatal(err)
	}
	e.put("s3", want["s3"], func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 })
	e.put("ssec", want["ssec"], func(in *s3.PutObjectInput) {
		ck.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	})
	e.put("plain", want["plain"])
	kmsParts, s3Parts, openParts := ckParts(3, 410), ckParts(2, 420), ckParts(2, 430)
	e.sseMPU("kms-mpu", types.ServerSideEncryptionAwsKms, id, kmsParts)
	e.sseMPU("s3-mpu", types.ServerSideEncryptionAes256, "", s3Parts)
	want["kms-mpu"], want["s3-mpu"] = bytes.Join(kmsParts, nil), bytes.Join(s3Parts, nil)
	openID, openDone := e.sseMPUStart("open", types.ServerSideEncryptionAes256, "", openParts)
	ssec := map[string]sseCKey{"ssec": ck}

	// Root A is the generated key in the data directory; move it away, as
	// an operator keeping the old key off the data disk would.
	keyA := filepath.Join(t.TempDir(), "root-a")
	if err := os.Rename(filepath.Join(e.srv.DataDir, "kms-root-key"), keyA); err != nil {
		t.Fatal(err)
	}
	keyB := filepath.Join(t.TempDir(), "root-b")
	if err := os.WriteFile(keyB, []byte(base64.StdEncoding.EncodeToString(ckRand(32, 499))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.srv.RestartWith(tesseratest.WithKMSKeyFiles(keyB, keyA))
	e.c, e.rec = e.client(ckWhenSupported)
	// kms 1 + s3 1 + kms-mpu 3 + s3-mpu 2 + open 2 = 9 data keys.
	// The first gateway to start re-seals; any others find nothing left.
	if got := sseResealedLogged(t, logs.String()); len(got) != len(e.srv.Gateways()) || got[0] != "9" || slices.ContainsFunc(got[1:], func(n string) bool { return n != "0" }) {
		t.Fatalf("root rotation logged re-sealed counts %v, want 9 then a 0 per other gateway", got)
	}
	e.sseWantBodies("rotated, previous key still given", want, ssec)

	// A second start with A as the previous key finds nothing under A.
	e.srv.RestartWith(tesseratest.WithKMSKeyFiles(keyB, keyA))
	if got := sseResealedLogged(t, logs.String()); len(got) != 2*len(e.srv.Gateways()) || got[len(got)-1] != "0" {
		t.Fatalf("second root rotation logged %v, want a last count of 0 (no record left under the old root)", got)
	}

	if err := os.Remove(keyA); err != nil {
		t.Fatal(err)
	}
	e.srv.RestartWith(tesseratest.WithKMSKeyFiles(keyB, ""))
	e.c, e.rec = e.client(ckWhenSupported)
	e.sseWantBodies("only the new root key", want, ssec)
	if _, err := e.complete("open", openID, openDone); err != nil {
		t.Fatalf("Complete after the root rotation: %v", err)
	}
	want["open"] = bytes.Join(openParts, nil)
	if _, err := kmsPut(e.c, e.bucket, "kms-new", id, want["kms"]); err != nil {
		t.Fatal(err)
	}
	want["kms-new"] = want["kms"]
	e.sseWantBodies("written under the new root", want, ssec)
}

var sseResealedRE = regexp.MustCompile(`root key rotation complete.* resealed=(\d+)`)

// sseResealedLogged returns the re-sealed counts of every finished root
// rotation in a server log, in order.
func sseResealedLogged(t *testing.T, log string) []string {
	t.Helper()
	var out []string
	for _, m := range sseResealedRE.FindAllStringSubmatch(log, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestSSEKMSKeyRotationVersions: on a versioned bucket, rotating a KMS key
// re-seals the data keys of every version under it, noncurrent ones and
// ones hidden by a delete marker included; every version, older ones too,
// reads back byte for byte by its version ID after two rotations and after
// a restart (AWS KMS keeps every earlier key version able to decrypt, so
// S3 reads of old versions are unaffected by rotation: AWS KMS developer
// guide, "Rotating AWS KMS keys").
func TestSSEKMSKeyRotationVersions(t *testing.T) {
	e := ckNew(t, false, tesseratest.WithMinPartSize(1))
	if _, err := e.c.PutBucketVersioning(ckCtx(), &s3.PutBucketVersioningInput{Bucket: aws.String(e.bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	id, _ := e.srv.NewKMSKey(tesseratest.RootAccountID)
	otherID, _ := e.srv.NewKMSKey(tesseratest.RootAccountID)
	want := map[string]map[string][]byte{"k": {}, "n": {}}
	put := func(key, kmsID string, body []byte) {
		t.Helper()
		out, err := kmsPut(e.c, e.bucket, key, kmsID, body)
		if err != nil {
			t.Fatal(err)
		}
		want[key][aws.ToString(out.VersionId)] = body
	}
	// k: a single-part version, a multipart one, one under another key and
	// a plaintext one, all hidden by a delete marker at the end.
	put("k", id, ckRand(150_000, 501))
	parts := ckParts(3, 510)
	e.sseMPU("k", types.ServerSideEncryptionAwsKms, id, parts)
	want["k"][e.sseLatestVersion("k")] = bytes.Join(parts, nil)
	put("k", otherID, ckRand(20_000, 502))
	e.put("k", ckRand(5_000, 503))
	want["k"][e.sseLatestVersion("k")] = ckRand(5_000, 503)
	if _, err := e.c.DeleteObject(ckCtx(), &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	// n: two versions under the key, the older noncurrent.
	put("n", id, ckRand(40_000, 504))
	put("n", id, ckRand(30_000, 505))
	blobsBefore := sseBlobFiles(t, e.srv.DataDir)

	keys := e.srv.Internal().Keys()
	for v := uint32(1); v <= 2; v++ {
		k, err := keys.Rotate(context.Background(), id)
		if err != nil {
			t.Fatalf("rotation %d: %v", v, err)
		}
		// k: 1 single + 3 segments; n: 1 + 1. The version under the other
		// key and the plaintext one are not touched.
		if k.Version != v || k.Resealed != 6 || k.ResealPending() {
			t.Fatalf("rotation %d: version %d, re-sealed %d, pending %v; want %d, 6, false", v, k.Version, k.Resealed, k.ResealPending(), v)
		}
		e.sseWantVersions("after rotation", want)
	}
	if got := sseBlobFiles(t, e.srv.DataDir); !bytes.Equal(got, blobsBefore) {
		t.Fatalf("rotation rewrote, added or removed blob files")
	}
	e.srv.Restart()
	e.c, e.rec = e.client(ckWhenSupported)
	e.sseWantVersions("after restart", want)
}
