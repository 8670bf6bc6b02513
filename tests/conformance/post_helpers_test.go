package conformance

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// Helpers for browser form uploads (POST Object): forms are built by hand,
// field by field, so tests control order, case and what is left out.

// postField is one form field.
type postField struct{ name, value string }

// postFile is a form's file part. noFilename leaves out the filename
// parameter (as a text area or a script's plain field does).
type postFile struct {
	filename    string
	noFilename  bool
	contentType string
	data        []byte
}

// postFormBody builds a multipart/form-data body: fields, the file part
// (when file is not nil), then after (fields S3 ignores).
func postFormBody(t testing.TB, fields []postField, file *postFile, after ...postField) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := w.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		h := textproto.MIMEHeader{}
		disp := `form-data; name="file"`
		if !file.noFilename {
			disp += fmt.Sprintf("; filename=%q", file.filename)
		}
		h.Set("Content-Disposition", disp)
		if file.contentType != "" {
			h.Set("Content-Type", file.contentType)
		}
		p, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		p.Write(file.data)
	}
	for _, f := range after {
		w.WriteField(f.name, f.value)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// postPolicyDoc is a policy document: expiration and conditions.
func postPolicyDoc(t testing.TB, exp time.Time, conds ...any) string {
	t.Helper()
	doc, err := json.Marshal(map[string]any{"expiration": exp.UTC().Format("2006-01-02T15:04:05Z"), "conditions": conds})
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(doc)
}

// postSigV4 returns the SigV4 fields of a form signed as botocore's
// generate_presigned_post does: the conditions plus the algorithm,
// credential and date conditions, signed with the key's signing key.
func postSigV4(t testing.TB, ak, sk string, exp time.Time, conds ...any) []postField {
	t.Helper()
	now := time.Now().UTC()
	date := now.Format("20060102T150405Z")
	cred := ak + "/" + date[:8] + "/" + region + "/s3/aws4_request"
	conds = append(conds,
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": date})
	policy := postPolicyDoc(t, exp, conds...)
	k := hmacSHA256([]byte("AWS4"+sk), date[:8])
	k = hmacSHA256(hmacSHA256(hmacSHA256(k, region), "s3"), "aws4_request")
	return []postField{
		{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, {"x-amz-credential", cred}, {"x-amz-date", date},
		{"policy", policy}, {"x-amz-signature", hex.EncodeToString(hmacSHA256(k, policy))},
	}
}

// postRoot is postSigV4 with the root key, valid for an hour.
func postRoot(t testing.TB, conds ...any) []postField {
	return postSigV4(t, accessKey, secretKey, time.Now().Add(time.Hour), conds...)
}

// postSigV2 returns the SigV2 fields (AWSAccessKeyId, policy, signature =
// base64 HMAC-SHA1 of the policy), as s3-tests and botocore's 's3' send.
func postSigV2(t testing.TB, ak, sk string, exp time.Time, conds ...any) []postField {
	t.Helper()
	policy := postPolicyDoc(t, exp, conds...)
	m := hmac.New(sha1.New, []byte(sk))
	m.Write([]byte(policy))
	return []postField{{"AWSAccessKeyId", ak}, {"policy", policy}, {"signature", base64.StdEncoding.EncodeToString(m.Sum(nil))}}
}

// postDo POSTs a body to the bucket URL without following redirects.
func postDo(t testing.TB, srv *tesseratest.Server, bucket string, body []byte, contentType string) (*http.Response, []byte) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, srv.URL+"/"+bucket, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", contentType)
	c := *srv.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(r)
	if err != nil {
		t.Fatalf("POST /%s: %v", bucket, err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp, out.Bytes()
}

// postForm builds and POSTs a form.
func postForm(t testing.TB, srv *tesseratest.Server, bucket string, fields []postField, file *postFile, after ...postField) (*http.Response, []byte) {
	t.Helper()
	body, ct := postFormBody(t, fields, file, after...)
	return postDo(t, srv, bucket, body, ct)
}

// postError is S3's error body with the fields POST errors carry.
type postError struct {
	XMLName                   xml.Name `xml:"Error"`
	Code                      string
	Message                   string
	ArgumentName              string
	ArgumentValue             *string
	Condition                 string
	ProposedSize              string
	MaxSizeAllowed            string
	MinSizeAllowed            string
	AWSAccessKeyId            string
	StringToSign              string
	SignatureProvided         string
	StringToSignBytes         string
	CanonicalRequest          string
	MaxPostPreDataLengthBytes string
	StorageClassRequested     string
}

// postWantErr checks a POST's error status, code and message.
func postWantErr(t testing.TB, resp *http.Response, body []byte, status int, code, msg string) postError {
	t.Helper()
	var e postError
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("status %d, body is not an S3 error: %v (%.300s)", resp.StatusCode, err, body)
	}
	if resp.StatusCode != status || e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("got %d %s %q, want %d %s %q", resp.StatusCode, e.Code, e.Message, status, code, msg)
	}
	return e
}

// postCovered are conditions covering every field name given ("starts-with" "").
func postCovered(names ...string) []any {
	var out []any
	for _, n := range names {
		out = append(out, []string{"starts-with", "$" + n, ""})
	}
	return out
}

// fields concatenates field lists.
func fields(lists ...[]postField) []postField {
	var out []postField
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func sha256B64(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}
