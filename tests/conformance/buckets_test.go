package conformance

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func TestCreateBucketValidNames(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	names := []string{
		"abc",
		"a-b-c",
		"my.bucket.name",
		"0123456789",
		"bucket-with-63-chars-" + strings.Repeat("x", 63-len("bucket-with-63-chars-")),
		"a1b",
		"1.2.3",      // dots and digits, but not an IP address
		"xn-single",  // only the "xn--" prefix is reserved
		"my-bucket9", // digit at the end
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			out, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(name)})
			if err != nil {
				t.Fatalf("CreateBucket(%q): %v", name, err)
			}
			if got := aws.ToString(out.Location); got != "/"+name {
				t.Errorf("Location = %q, want %q", got, "/"+name)
			}
			if _, err := c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
				t.Errorf("HeadBucket(%q) after create: %v", name, err)
			}
		})
	}
}

func TestCreateBucketInvalidNames(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	names := map[string]string{
		"too short":           "ab",
		"too long":            strings.Repeat("a", 64),
		"upper case":          "MyBucket",
		"underscore":          "my_bucket",
		"leading hyphen":      "-abc",
		"trailing hyphen":     "abc-",
		"leading dot":         ".abc",
		"trailing dot":        "abc.",
		"double dot":          "a..b",
		"dot hyphen":          "a.-b",
		"hyphen dot":          "a-.b",
		"ip address":          "192.168.5.4",
		"xn-- prefix":         "xn--bucket",
		"sthree- prefix":      "sthree-bucket",
		"-s3alias suffix":     "bucket-s3alias",
		"--ol-s3 suffix":      "bucket--ol-s3",
		"space (escaped)":     "my%20bucket",
		"non-ascii (escaped)": "b%C3%BCcket",
	}
	for desc, name := range names {
		t.Run(desc, func(t *testing.T) {
			r := newRaw(t, srv, http.MethodPut, "/"+name, nil)
			signV4(t, r, emptySHA256)
			resp, body := do(t, srv, r)
			wantRawErr(t, resp, body, "InvalidBucketName", http.StatusBadRequest)
		})
	}
	// Nothing may have been created.
	out, err := sdkClient(srv).ListBuckets(ctx(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	if len(out.Buckets) != 0 {
		var got []string
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
		}
		t.Errorf("invalid names created buckets: %q", got)
	}
}

func TestCreateBucketInvalidNamesSDK(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	for _, name := range []string{"ab", "MyBucket", "my_bucket", "a..b", "192.168.5.4"} {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(name)})
			wantErr(t, err, "InvalidBucketName", http.StatusBadRequest)
		})
	}
}

func TestCreateBucketLocationConstraint(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)

	t.Run("none", func(t *testing.T) {
		b := bucketName(t)
		if _, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("CreateBucket without configuration: %v", err)
		}
	})
	t.Run("empty configuration", func(t *testing.T) {
		b := bucketName(t)
		if _, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{
			Bucket: aws.String(b), CreateBucketConfiguration: &types.CreateBucketConfiguration{},
		}); err != nil {
			t.Fatalf("CreateBucket with empty configuration: %v", err)
		}
	})
	t.Run("server region us-east-1", func(t *testing.T) {
		b := bucketName(t)
		if _, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{
			Bucket:                    aws.String(b),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)},
		}); err != nil {
			t.Fatalf("CreateBucket with LocationConstraint %s: %v", region, err)
		}
		loc, err := c.GetBucketLocation(ctx(), &s3.GetBucketLocationInput{Bucket: aws.String(b)})
		if err != nil {
			t.Fatalf("GetBucketLocation: %v", err)
		}
		if loc.LocationConstraint != "" {
			t.Errorf("LocationConstraint = %q, want \"\" (us-east-1)", loc.LocationConstraint)
		}
	})
	for _, other := range []string{"eu-west-1", "ap-southeast-2", "nowhere-1"} {
		t.Run("other region "+other, func(t *testing.T) {
			b := bucketName(t)
			_, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{
				Bucket:                    aws.String(b),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(other)},
			})
			wantErr(t, err, "", http.StatusBadRequest)
			if code := apiCode(err); code != "InvalidLocationConstraint" && code != "IllegalLocationConstraintException" {
				t.Errorf("code = %q, want InvalidLocationConstraint or IllegalLocationConstraintException", code)
			}
			if _, err := c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(b)}); httpStatus(err) != http.StatusNotFound {
				t.Errorf("HeadBucket after rejected create: err = %v, want 404", err)
			}
		})
	}
	t.Run("malformed configuration", func(t *testing.T) {
		b := bucketName(t)
		body := []byte("<CreateBucketConfiguration><LocationConstraint>")
		r := newRaw(t, srv, http.MethodPut, "/"+b, body)
		signV4(t, r, sha256Hex(body))
		resp, rb := do(t, srv, r)
		wantRawErr(t, resp, rb, "MalformedXML", http.StatusBadRequest)
	})
}

func TestCreateBucketAlreadyOwnedByYou(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	_, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(b)})
	wantErr(t, err, "BucketAlreadyOwnedByYou", http.StatusConflict)

	// The bucket and its contents are untouched.
	put(t, c, b, "k", []byte("v"))
	_, err = c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(b)})
	wantErr(t, err, "BucketAlreadyOwnedByYou", http.StatusConflict)
	wantBody(t, c, b, "k", []byte("v"))

	// minio-go sees the same code.
	err = srv.Minio().MakeBucket(ctx(), b, minioMakeBucketOptions())
	wantMinioErr(t, err, "BucketAlreadyOwnedByYou", http.StatusConflict)
}

func TestHeadBucket(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	out, err := c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("HeadBucket(existing): %v", err)
	}
	if got := aws.ToString(out.BucketRegion); got != region {
		t.Errorf("x-amz-bucket-region = %q, want %q", got, region)
	}
	_, err = c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket-here")})
	wantErr(t, err, "", http.StatusNotFound)

	// minio-go: BucketExists.
	ok, err := srv.Minio().BucketExists(ctx(), b)
	if err != nil || !ok {
		t.Errorf("minio BucketExists(existing) = %v, %v; want true, nil", ok, err)
	}
	ok, err = srv.Minio().BucketExists(ctx(), "no-such-bucket-here")
	if err != nil || ok {
		t.Errorf("minio BucketExists(missing) = %v, %v; want false, nil", ok, err)
	}
}

func TestDeleteBucket(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)

	t.Run("not empty", func(t *testing.T) {
		b := newBucket(t, c)
		put(t, c, b, "obj", []byte("x"))
		_, err := c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(b)})
		wantErr(t, err, "BucketNotEmpty", http.StatusConflict)
		wantBody(t, c, b, "obj", []byte("x"))
		// Once emptied it can be deleted.
		if _, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("obj")}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		if _, err := c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("DeleteBucket after emptying: %v", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		_, err := c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String("never-created-bucket")})
		wantErr(t, err, "NoSuchBucket", http.StatusNotFound)
	})
	t.Run("empty", func(t *testing.T) {
		b := newBucket(t, c)
		r := newRaw(t, srv, http.MethodDelete, "/"+b, nil)
		signV4(t, r, emptySHA256)
		resp, body := do(t, srv, r)
		wantStatus(t, resp, body, http.StatusNoContent)
		_, err := c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(b)})
		wantErr(t, err, "", http.StatusNotFound)
		_, err = c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(b)})
		wantErr(t, err, "NoSuchBucket", http.StatusNotFound)
		// The name is free again.
		if _, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("re-create after delete: %v", err)
		}
		wantAbsent(t, c, b, "anything")
	})
}

func TestListBuckets(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	before := time.Now().Add(-time.Minute)
	names := []string{"zeta-bucket", "alpha-bucket", "mid.bucket"}
	for _, n := range names {
		if _, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(n)}); err != nil {
			t.Fatalf("CreateBucket(%s): %v", n, err)
		}
	}
	out, err := c.ListBuckets(ctx(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	if out.Owner == nil || aws.ToString(out.Owner.ID) == "" {
		t.Errorf("ListBuckets Owner = %+v, want an owner with an ID", out.Owner)
	}
	var got []string
	for _, b := range out.Buckets {
		got = append(got, aws.ToString(b.Name))
		if b.CreationDate == nil || b.CreationDate.Before(before) || b.CreationDate.After(time.Now().Add(time.Minute)) {
			t.Errorf("bucket %s CreationDate = %v, want about now", aws.ToString(b.Name), b.CreationDate)
		}
	}
	want := slices.Clone(names)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ListBuckets names = %q, want %q (ascending)", got, want)
	}

	// minio-go agrees.
	mb, err := srv.Minio().ListBuckets(ctx())
	if err != nil {
		t.Fatalf("minio ListBuckets: %v", err)
	}
	var mgot []string
	for _, b := range mb {
		mgot = append(mgot, b.Name)
	}
	if !slices.Equal(mgot, want) {
		t.Errorf("minio ListBuckets = %q, want %q", mgot, want)
	}

	// A deleted bucket disappears.
	if _, err := c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String("mid.bucket")}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	out, err = c.ListBuckets(ctx(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	if len(out.Buckets) != 2 {
		t.Errorf("after delete: %d buckets, want 2", len(out.Buckets))
	}
}

func TestGetBucketLocation(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	out, err := c.GetBucketLocation(ctx(), &s3.GetBucketLocationInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("GetBucketLocation: %v", err)
	}
	if out.LocationConstraint != "" {
		t.Errorf("LocationConstraint = %q, want empty (us-east-1)", out.LocationConstraint)
	}
	_, err = c.GetBucketLocation(ctx(), &s3.GetBucketLocationInput{Bucket: aws.String("missing-bucket-x")})
	wantErr(t, err, "NoSuchBucket", http.StatusNotFound)

	// minio-go asks for the location when its client has no region.
	mc, _ := recordingMinio(t, srv, false, func(o *minio.Options) { o.Region = "" })
	loc, err := mc.GetBucketLocation(ctx(), b)
	if err != nil {
		t.Fatalf("minio GetBucketLocation: %v", err)
	}
	if loc != region {
		t.Errorf("minio GetBucketLocation = %q, want %q", loc, region)
	}
}
