package s3api

import (
	"net/http/httptest"
	"testing"

	"github.com/tessera-s3/tessera/internal/s3err"
)

func TestParse(t *testing.T) {
	domains := []string{"s3.example.com"}
	tests := []struct {
		method, target, host string
		copySource           bool
		kind                 Kind
		bucket, key          string
		code                 s3err.Code
	}{
		{"GET", "/", "", false, ListBuckets, "", "", ""},
		{"PUT", "/b", "", false, CreateBucket, "b", "", ""},
		{"PUT", "/b/", "", false, CreateBucket, "b", "", ""},
		{"HEAD", "/b", "", false, HeadBucket, "b", "", ""},
		{"DELETE", "/b", "", false, DeleteBucket, "b", "", ""},
		{"GET", "/b?location", "", false, GetBucketLocation, "b", "", ""},
		{"GET", "/b?uploads", "", false, ListMultipartUploads, "b", "", ""},
		{"GET", "/b?list-type=2&prefix=a", "", false, ListObjectsV2, "b", "", ""},
		{"GET", "/b?prefix=a", "", false, ListObjects, "b", "", ""},
		{"POST", "/b?delete", "", false, DeleteObjects, "b", "", ""},
		{"GET", "/b?versioning", "", false, GetBucketVersioning, "b", "", ""},
		{"GET", "/b?acl", "", false, GetBucketAcl, "b", "", ""},
		{"GET", "/b?website", "", false, GetBucketWebsite, "b", "", ""},
		{"GET", "/b/k?torrent", "", false, "", "b", "k", s3err.NotImplemented},
		{"GET", "/b?cors", "", false, GetBucketCors, "b", "", ""},
		{"PUT", "/b?cors", "", false, PutBucketCors, "b", "", ""},
		{"DELETE", "/b?cors", "", false, DeleteBucketCors, "b", "", ""},
		{"OPTIONS", "/b", "", false, OptionsBucket, "b", "", ""},
		{"OPTIONS", "/b/k", "", false, OptionsObject, "b", "k", ""},
		{"PUT", "/b?versioning", "", false, PutBucketVersioning, "b", "", ""},
		{"PUT", "/b?acl", "", false, PutBucketAcl, "b", "", ""},
		{"PUT", "/b?lifecycle", "", false, PutBucketLifecycleConfiguration, "b", "", ""},
		{"GET", "/b?lifecycle", "", false, GetBucketLifecycleConfiguration, "b", "", ""},
		{"DELETE", "/b?lifecycle", "", false, DeleteBucketLifecycle, "b", "", ""},
		{"PUT", "/b?policy", "", false, PutBucketPolicy, "b", "", ""},
		{"GET", "/b?policy", "", false, GetBucketPolicy, "b", "", ""},
		{"DELETE", "/b?policy", "", false, DeleteBucketPolicy, "b", "", ""},
		{"PUT", "/b?requestPayment", "", false, PutBucketRequestPayment, "b", "", ""},
		{"GET", "/b?requestPayment", "", false, GetBucketRequestPayment, "b", "", ""},
		{"PUT", "/b?encryption", "", false, PutBucketEncryption, "b", "", ""},
		{"GET", "/b?encryption", "", false, GetBucketEncryption, "b", "", ""},
		{"DELETE", "/b?encryption", "", false, DeleteBucketEncryption, "b", "", ""},
		{"GET", "/b?list-type=1", "", false, ListObjects, "b", "", ""},
		{"PUT", "/b?tagging", "", false, PutBucketTagging, "b", "", ""},
		{"PUT", "/", "", false, "", "", "", s3err.MethodNotAllowed},
		// A browser form upload; S3 answers 412, not 405, when the body is
		// not a form (LocalStack recording, research12 §6b).
		{"POST", "/b", "", false, PostObject, "b", "", ""},
		{"PUT", "/b/k", "", false, PutObject, "b", "k", ""},
		{"PUT", "/b/a/b/c.txt", "", false, PutObject, "b", "a/b/c.txt", ""},
		{"PUT", "/b/..%2F..%2Fetc%2Fpasswd", "", false, PutObject, "b", "../../etc/passwd", ""},
		{"PUT", "/b/k", "", true, CopyObject, "b", "k", ""},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "", false, UploadPart, "b", "k", ""},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "", true, UploadPartCopy, "b", "k", ""},
		{"GET", "/b/k", "", false, GetObject, "b", "k", ""},
		{"GET", "/b/k?uploadId=u", "", false, ListParts, "b", "k", ""},
		{"HEAD", "/b/k", "", false, HeadObject, "b", "k", ""},
		{"DELETE", "/b/k", "", false, DeleteObject, "b", "k", ""},
		{"DELETE", "/b/k?uploadId=u", "", false, AbortMultipartUpload, "b", "k", ""},
		{"POST", "/b/k?uploads", "", false, CreateMultipartUpload, "b", "k", ""},
		{"POST", "/b/k?uploadId=u", "", false, CompleteMultipartUpload, "b", "k", ""},
		{"GET", "/b/k?tagging", "", false, GetObjectTagging, "b", "k", ""},
		{"PUT", "/b/k?tagging", "", false, PutObjectTagging, "b", "k", ""},
		{"DELETE", "/b/k?tagging", "", false, DeleteObjectTagging, "b", "k", ""},
		{"GET", "/b/k?acl", "", false, GetObjectAcl, "b", "k", ""},
		{"PUT", "/b/k?acl", "", false, PutObjectAcl, "b", "k", ""},
		{"DELETE", "/b/k?legal-hold", "", false, "", "b", "k", s3err.MethodNotAllowed},
		{"GET", "/b/k?retention", "", false, GetObjectRetention, "b", "k", ""},
		{"GET", "/b/k?attributes", "", false, GetObjectAttributes, "b", "k", ""},
		{"POST", "/b/k", "", false, "", "b", "k", s3err.MethodNotAllowed},
		// Virtual-host style.
		{"GET", "/", "photos.s3.example.com", false, ListObjects, "photos", "", ""},
		{"GET", "/k/x", "photos.s3.example.com:9000", false, GetObject, "photos", "k/x", ""},
		{"GET", "/photos/k", "s3.example.com", false, GetObject, "photos", "k", ""},
		{"GET", "/photos/k", "127.0.0.1:9000", false, GetObject, "photos", "k", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.host+tc.target, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, nil)
			if tc.host != "" {
				r.Host = tc.host
			}
			if tc.copySource {
				r.Header.Set("x-amz-copy-source", "src/key")
			}
			op, err := parse(r, domains)
			if tc.code != "" {
				if !s3err.HasCode(err, tc.code) {
					t.Fatalf("err = %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if op.Kind != tc.kind || op.Bucket != tc.bucket || op.Key != tc.key {
				t.Fatalf("got %s %q %q, want %s %q %q", op.Kind, op.Bucket, op.Key, tc.kind, tc.bucket, tc.key)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in                  string
		nilRange            bool
		first, last, suffix int64
	}{
		{"bytes=0-9", false, 0, 9, 0},
		{"bytes=5-", false, 5, -1, 0},
		{"bytes=-3", false, 0, 0, 3},
		{"bytes=9-5", true, 0, 0, 0},
		{"bytes=0-1,4-5", true, 0, 0, 0},
		{"items=0-1", true, 0, 0, 0},
		{"bytes=a-b", true, 0, 0, 0},
		{"bytes=-", true, 0, 0, 0},
	}
	for _, tc := range tests {
		r := parseRange(tc.in)
		if tc.nilRange {
			if r != nil {
				t.Errorf("%q: got %+v, want ignored", tc.in, *r)
			}
			continue
		}
		if r == nil || r.First != tc.first || r.Last != tc.last || r.Suffix != tc.suffix {
			t.Errorf("%q: got %+v", tc.in, r)
		}
	}
}

func TestDotDotPath(t *testing.T) {
	for target, want := range map[string]bool{
		"/b/../x": true, "/b/%2e%2e/x": true, "/b/a/%2E%2E": true, "/b/..": true,
		"/b/./x": false, "/b/a//b": false, "/b/..%2Fx": false, "/b/...": false, "/b/..x": false,
	} {
		r, err := httptestRequest("PUT", target)
		if err != nil {
			t.Fatal(err)
		}
		if got := dotDotPath(r.URL); got != want {
			t.Errorf("dotDotPath(%q) = %v, want %v", target, got, want)
		}
	}
}

func TestDuplicateParam(t *testing.T) {
	for target, want := range map[string]string{
		"/b/k?uploadId=a&uploadId=b":       "uploadId",
		"/b/k?partNumber=1&partNumber=1":   "partNumber",
		"/b/k?versionId=x&versionId=y":     "versionId",
		"/b/k?uploadId=a&partNumber=1":     "",
		"/b?list-type=2&prefix=a&prefix=b": "",
	} {
		r, err := httptestRequest("PUT", target)
		if err != nil {
			t.Fatal(err)
		}
		_, err = parse(r, nil)
		e, _ := s3err.As(err)
		if want == "" {
			if e != nil && e.Code == s3err.InvalidArgument {
				t.Errorf("%s: %v", target, err)
			}
			continue
		}
		if e == nil || e.Code != s3err.InvalidArgument {
			t.Errorf("%s: err = %v, want InvalidArgument for %s", target, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/", "/b", "/b/k?uploadId=u&partNumber=3", "/b?list-type=2&continuation-token=%zz"} {
		f.Add("GET", s, "b.s3.example.com")
	}
	f.Fuzz(func(t *testing.T, method, target, host string) {
		r, err := httptestRequest(method, target)
		if err != nil {
			return
		}
		r.Host = host
		parse(r, []string{"s3.example.com"})
		dotDotPath(r.URL)
		parseRange(target)
	})
}
