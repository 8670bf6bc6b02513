package conformance

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// authField is an extra element of an error answer; value "*" only
// requires the element to be there.
type authField struct{ name, value string }

// wantAuthAnswer checks a raw answer's status, Code, Message and extra
// elements, the elements in S3's order (after Message, before RequestId).
func wantAuthAnswer(t *testing.T, resp *http.Response, body []byte, status int, code, msg string, fields []authField) {
	t.Helper()
	e := wantRawErr(t, resp, body, code, status)
	if e.Message != msg {
		t.Errorf("Message = %q, want %q", e.Message, msg)
	}
	got, err := mpErrFields(body)
	if err != nil {
		t.Fatalf("error body: %v", err)
	}
	at := bytes.Index(body, []byte("</Message>"))
	for _, f := range fields {
		v, ok := got[f.name]
		switch {
		case !ok:
			t.Errorf("no <%s> element (body %s)", f.name, body)
			continue
		case f.value != "*" && v != f.value:
			t.Errorf("<%s> = %q, want %q", f.name, v, f.value)
		}
		i := bytes.Index(body, []byte("<"+f.name+">"))
		if i < at {
			t.Errorf("<%s> out of S3's order (body %s)", f.name, body)
		}
		at = i
	}
	if i := bytes.Index(body, []byte("<RequestId>")); i >= 0 && i < at {
		t.Errorf("RequestId before the extra elements (body %s)", body)
	}
}

// TestAuthAnswers: S3's exact answers (status, Code, Message, extra
// elements) to malformed or refused authentication, sent as raw HTTP
// because SDKs never send these requests. Evidence per row; research12
// §7a–§7c collects it.
func TestAuthAnswers(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("v"))
	path := objectPath(b, "k")

	// signed is a GET of the object signed for region in the header.
	signed := func(t *testing.T, region string) *http.Request {
		r := newRaw(t, srv, http.MethodGet, path, nil)
		tesseratest.SignRegion(t, r, emptySHA256, time.Now(), accessKey, secretKey, region)
		return r
	}
	// withAuthz is a signed GET whose Authorization header edit rewrites.
	withAuthz := func(edit func(string) string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := signed(t, region)
			r.Header.Set("Authorization", edit(r.Header.Get("Authorization")))
			return r
		}
	}
	replace := func(old, new string) func(t *testing.T) *http.Request {
		return withAuthz(func(a string) string { return strings.Replace(a, old, new, 1) })
	}
	drop := func(component string) func(t *testing.T) *http.Request {
		return withAuthz(func(a string) string {
			algo, rest, _ := strings.Cut(a, " ")
			var keep []string
			for p := range strings.SplitSeq(rest, ",") {
				if !strings.HasPrefix(strings.TrimSpace(p), component+"=") {
					keep = append(keep, p)
				}
			}
			return algo + " " + strings.Join(keep, ",")
		})
	}
	// presigned is a GET presigned at at with X-Amz-Expires expires for
	// region; edit rewrites its URL.
	presigned := func(at time.Time, expires, region string, edit func(string) string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := newRaw(t, srv, http.MethodGet, path+"?X-Amz-Expires="+expires, nil)
			u := tesseratest.PresignRegion(t, r, at, accessKey, secretKey, region)
			if edit != nil {
				u = edit(u)
			}
			r, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	dropParam := func(name string) func(string) string {
		return func(u string) string {
			pu, _ := url.Parse(u)
			q := pu.Query()
			q.Del(name)
			pu.RawQuery = q.Encode()
			return pu.String()
		}
	}
	setParam := func(name, value string) func(string) string {
		return func(u string) string {
			pu, _ := url.Parse(u)
			q := pu.Query()
			q.Set(name, value)
			pu.RawQuery = q.Encode()
			return pu.String()
		}
	}
	v2 := func(expires int64, edit func(string) string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			u := presignV2(srv, http.MethodGet, b, "k", expires, accessKey, secretKey)
			if edit != nil {
				u = edit(u)
			}
			r, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	header := func(value string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := signed(t, region)
			r.Header.Set("Authorization", value)
			return r
		}
	}

	const (
		malformed    = "The authorization header is malformed; "
		three        = malformed + "the authorization header requires three components: Credential, SignedHeaders, and Signature."
		requiresV4   = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
		sha512Header = "AWS4-HMAC-SHA512 Credential=" + accessKey + "/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
	)
	long := time.Now().Add(-2 * time.Hour)
	for _, tc := range []struct {
		name    string
		req     func(t *testing.T) *http.Request
		status  int
		code    string
		message string
		fields  []authField
	}{
		// ---- Authorization header (SigV4) ----
		// Raw AWS answer in JuliaServices/CloudStore.jl#52 (Code, Message,
		// Region; no trailing period); aws-cli#2954 quotes the same text.
		{"header wrong region", func(t *testing.T) *http.Request { return signed(t, "eu-west-1") }, 400, "AuthorizationHeaderMalformed",
			malformed + "the region 'eu-west-1' is wrong; expecting 'us-east-1'", []authField{{"Region", "us-east-1"}}},
		// Raw AWS XML in ex-aws/ex_aws#537.
		{"header no Credential", drop("Credential"), 400, "AuthorizationHeaderMalformed", three, nil},
		{"header no SignedHeaders", drop("SignedHeaders"), 400, "AuthorizationHeaderMalformed", three, nil},
		{"header no Signature", drop("Signature"), 400, "AuthorizationHeaderMalformed", three, nil},
		// krobertson/deb-s3#157, deliciousbrains/wp-amazon-s3-and-cloudfront#460.
		{"header credential mal-formed", replace("/us-east-1/s3/", "/s3/"), 400, "AuthorizationHeaderMalformed",
			malformed + `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`, nil},
		// outline#7060.
		{"header empty access key", replace("Credential="+accessKey, "Credential="), 400, "AuthorizationHeaderMalformed",
			malformed + "a non-empty Access Key (AKID) must be provided in the credential.", nil},
		// Unverified against S3 (research12 §7c): versitygw's texts,
		// modelled on S3's; MinIO notes S3 quotes the bad value
		// (minio/minio#2385).
		{"header bad service", replace("/s3/aws4_request", "/ec2/aws4_request"), 400, "AuthorizationHeaderMalformed",
			malformed + `incorrect service "ec2". This endpoint belongs to "s3".`, nil},
		{"header bad terminal", replace("/aws4_request", "/aws4_reque"), 400, "AuthorizationHeaderMalformed",
			malformed + `incorrect terminal "aws4_reque". This endpoint uses "aws4_request".`, nil},
		// Well-known AWS answer (moto and LocalStack reproduce it), not
		// captured raw (research12 §7c flags it).
		{"header unsupported algorithm", header(sha512Header), 400, "InvalidArgument", "Unsupported Authorization Type",
			[]authField{{"ArgumentName", "Authorization"}, {"ArgumentValue", sha512Header}}},
		{"header bearer", header("Bearer x"), 400, "InvalidArgument", "Unsupported Authorization Type",
			[]authField{{"ArgumentName", "Authorization"}, {"ArgumentValue", "Bearer x"}}},
		// ---- Authorization header (SigV2, which us-east-1 still takes) ----
		// ceph/s3-tests test_object_create_bad_authorization_invalid_aws2
		// ("AWS HAHAHA" → 400 InvalidArgument); the text as OpenStack
		// Swift's s3api and s3rver reproduce S3's.
		{"header SigV2 without signature", header("AWS HAHAHA"), 400, "InvalidArgument",
			"AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
			[]authField{{"ArgumentName", "Authorization"}, {"ArgumentValue", "AWS HAHAHA"}}},
		// ---- presigned URL (SigV4) ----
		// LocalStack TestS3PresignedUrl expired [REC]: 403, the three
		// elements in this order.
		{"presigned expired", presigned(long, "60", region, nil), 403, "AccessDenied", "Request has expired",
			[]authField{{"X-Amz-Expires", "60"}, {"Expires", long.Add(time.Minute).UTC().Format(time.RFC3339)}, {"ServerTime", "*"}}},
		// Raw AWS XML quoted in bryanjos/aws_auth#31; aws-cli#5464 (604801
		// refused, 604800 accepted — see TestAuthAnswersExpiryLimit).
		{"presigned expires over a week", presigned(time.Now(), "604801", region, nil), 400, "AuthorizationQueryParametersError",
			"X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds", nil},
		// LocalStack test_s3_put_presigned_url_missing_sig_param[s3v4] [REC].
		{"presigned no signature", presigned(time.Now(), "60", region, dropParam("X-Amz-Signature")), 400, "AuthorizationQueryParametersError", requiresV4, nil},
		{"presigned no date", presigned(time.Now(), "60", region, dropParam("X-Amz-Date")), 400, "AuthorizationQueryParametersError", requiresV4, nil},
		{"presigned no expires", presigned(time.Now(), "60", region, dropParam("X-Amz-Expires")), 400, "AuthorizationQueryParametersError", requiresV4, nil},
		// AWS's text for a malformed X-Amz-Date as peers reproduce it
		// (unverified raw; the pattern is the one S3's docs give).
		{"presigned bad date", presigned(time.Now(), "60", region, setParam("X-Amz-Date", "20260101")), 400, "AuthorizationQueryParametersError",
			`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`, nil},
		// research12 §7b: quoted from AWS "caught live against a eu-north-1
		// bucket"; the "Error parsing the X-Amz-Credential parameter; "
		// prefix is the peers' (unverified).
		{"presigned wrong region", presigned(time.Now(), "60", "eu-north-1", nil), 400, "AuthorizationQueryParametersError",
			"Error parsing the X-Amz-Credential parameter; the region 'eu-north-1' is wrong; expecting 'us-east-1'", []authField{{"Region", "us-east-1"}}},
		// ---- presigned URL (SigV2) ----
		// LocalStack TestS3PresignedUrl [REC]: expired → Expires and
		// ServerTime (no X-Amz-Expires); Signature removed → 403.
		{"presigned V2 expired", v2(time.Now().Add(-time.Hour).Unix(), nil), 403, "AccessDenied", "Request has expired",
			[]authField{{"Expires", "*"}, {"ServerTime", "*"}}},
		{"presigned V2 no signature", v2(time.Now().Add(time.Hour).Unix(), dropParam("Signature")), 403, "AccessDenied",
			"Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, srv, tc.req(t))
			wantAuthAnswer(t, resp, body, tc.status, tc.code, tc.message, tc.fields)
		})
	}
}

// TestAuthAnswersExpiryLimit: exactly a week is still accepted
// (aws-cli#5464: 604800 works, 604801 is refused).
func TestAuthAnswersExpiryLimit(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("v"))
	r := newRaw(t, srv, http.MethodGet, objectPath(b, "k")+"?X-Amz-Expires=604800", nil)
	u := tesseratest.Presign(t, r, time.Now(), accessKey, secretKey)
	r, _ = http.NewRequest(http.MethodGet, u, nil)
	resp, body := do(t, srv, r)
	wantStatus(t, resp, body, http.StatusOK)
}

// TestAuthRegion: a server in another region than us-east-1 refuses a
// signature scoped to any other region (JuliaServices/CloudStore.jl#52)
// and serves every client that signs for its own: aws-sdk-go-v2 (header,
// aws-chunked trailers over TLS, presigned URLs) and minio-go (streaming
// signatures).
func TestAuthRegion(t *testing.T) {
	t.Parallel()
	const home = "eu-west-1"
	srv := tesseratest.New(t, tesseratest.WithRegion(home), tesseratest.WithTLS())
	c := srv.S3(sdkDefaults)
	b := bucketName(t)
	if _, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(b),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: home}}); err != nil {
		t.Fatalf("CreateBucket in %s: %v", home, err)
	}
	body := randBytes(200_000, 12)
	put(t, c, b, "sdk", body)
	wantBody(t, c, b, "sdk", body)

	pre, err := s3.NewPresignClient(c).PresignGetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("sdk")})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodGet, pre.URL, nil)
	resp, got := do(t, srv, r)
	if wantStatus(t, resp, got, http.StatusOK); !bytes.Equal(got, body) {
		t.Errorf("presigned GET: %d bytes, want the object", len(got))
	}

	mc := srv.Minio()
	if _, err := mc.PutObject(ctx(), b, "minio", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("minio PutObject signing for %s: %v", home, err)
	}
	wantBody(t, c, b, "minio", body)

	// A client signing for us-east-1 is told the server's region.
	east := srv.S3(sdkDefaults, func(o *s3.Options) { o.Region = "us-east-1" })
	_, err = east.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("sdk")})
	wantErr(t, err, "AuthorizationHeaderMalformed", http.StatusBadRequest)
	rr := newRaw(t, srv, http.MethodGet, objectPath(b, "sdk"), nil)
	tesseratest.SignRegion(t, rr, emptySHA256, time.Now(), accessKey, secretKey, "us-east-1")
	resp, got = do(t, srv, rr)
	wantAuthAnswer(t, resp, got, http.StatusBadRequest, "AuthorizationHeaderMalformed",
		"The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'", []authField{{"Region", home}})
}
