package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// AWS's POST example (developerguide sigv4-post-example): the policy text
// with CRLF line ends, its base64 (the StringToSign) and the signature AWS
// states for it.
const (
	awsPostPolicy    = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
	awsPostSignature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
	// botocore generate_presigned_post("sigv4examplebucket",
	// "user/user1/photo.jpg") with the clock at 2015-12-29T00:00:00Z and the
	// example credentials (research note 19 §6.1, recomputed there).
	botoPostPolicy    = "eyJleHBpcmF0aW9uIjogIjIwMTUtMTItMjlUMDE6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAic2lndjRleGFtcGxlYnVja2V0In0sIHsia2V5IjogInVzZXIvdXNlcjEvcGhvdG8uanBnIn0sIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwgeyJ4LWFtei1jcmVkZW50aWFsIjogIkFLSUFJT1NGT0ROTjdFWEFNUExFLzIwMTUxMjI5L3VzLWVhc3QtMS9zMy9hd3M0X3JlcXVlc3QifSwgeyJ4LWFtei1kYXRlIjogIjIwMTUxMjI5VDAwMDAwMFoifV19"
	botoPostSignature = "3364624b39010d9b06f5d9b8c9a18a6e478d261c048159c92f2fd6fa885f14e6"
	exampleCredential = exampleAK + "/20151229/us-east-1/s3/aws4_request"
)

func postVerifier(now string) *Verifier {
	t, _ := time.Parse(time.RFC3339, now)
	return &Verifier{
		Credentials: StaticCredentials{{AccessKeyID: exampleAK, SecretAccessKey: exampleSK, AccountID: "1"}},
		Now:         func() time.Time { return t },
	}
}

// form builds a PostForm from name/value pairs, lower-casing names as the
// edge does.
func form(bucket string, kv ...string) PostForm {
	f := PostForm{Fields: map[string]string{}, Bucket: bucket}
	for i := 0; i+1 < len(kv); i += 2 {
		k := strings.ToLower(kv[i])
		f.Fields[k] = kv[i+1]
		f.Order = append(f.Order, k)
	}
	return f
}

// awsExampleForm is the form of AWS's example page, file named photo.jpg.
func awsExampleForm(extra ...string) PostForm {
	kv := []string{
		"key", "user/user1/photo.jpg",
		"acl", "public-read",
		"success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
		"Content-Type", "image/jpeg",
		"x-amz-meta-uuid", "14365123651274",
		"x-amz-server-side-encryption", "AES256",
		"X-Amz-Credential", exampleCredential,
		"X-Amz-Algorithm", "AWS4-HMAC-SHA256",
		"X-Amz-Date", "20151229T000000Z",
		"x-amz-meta-tag", "",
		"Policy", awsPostPolicy,
		"X-Amz-Signature", awsPostSignature,
	}
	return form("sigv4examplebucket", append(kv, extra...)...)
}

func without(f PostForm, names ...string) PostForm {
	for _, n := range names {
		delete(f.Fields, n)
	}
	return f
}

func with(f PostForm, kv ...string) PostForm {
	for i := 0; i+1 < len(kv); i += 2 {
		if _, ok := f.Fields[kv[i]]; !ok {
			f.Order = append(f.Order, kv[i])
		}
		f.Fields[kv[i]] = kv[i+1]
	}
	return f
}

func TestVerifyPostVectors(t *testing.T) {
	// AWS sigv4-post-example: the stated signature verifies the stated policy.
	got, err := postVerifier("2015-12-29T12:00:00Z").VerifyPost(context.Background(), awsExampleForm())
	if err != nil || got.Anonymous || got.Credential.AccessKeyID != exampleAK || got.MaxLength != -1 {
		t.Fatalf("AWS example: %+v, %v", got, err)
	}
	// botocore's presigned POST, fields as it sends them (lower case).
	boto := form("sigv4examplebucket",
		"key", "user/user1/photo.jpg", "x-amz-algorithm", "AWS4-HMAC-SHA256",
		"x-amz-credential", exampleCredential, "x-amz-date", "20151229T000000Z",
		"policy", botoPostPolicy, "x-amz-signature", botoPostSignature)
	if _, err := postVerifier("2015-12-29T00:30:00Z").VerifyPost(context.Background(), boto); err != nil {
		t.Fatalf("botocore vector: %v", err)
	}
}

// signV2 is botocore's HmacV1PostAuth: base64 HMAC-SHA1 of the policy text.
func signV2(policy string) string {
	m := hmac.New(sha1.New, []byte(exampleSK))
	m.Write([]byte(policy))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestVerifyPostErrors(t *testing.T) {
	v2Policy := b64(`{"expiration": "2015-12-30T00:00:00Z", "conditions": [{"bucket": "b"}, ["starts-with", "$key", ""]]}`)
	v2 := form("b", "key", "k", "AWSAccessKeyId", exampleAK, "policy", v2Policy, "signature", signV2(v2Policy))
	clone := func(f PostForm) PostForm {
		c := PostForm{Fields: map[string]string{}, Order: append([]string(nil), f.Order...), Bucket: f.Bucket}
		for k, v := range f.Fields {
			c.Fields[k] = v
		}
		return c
	}
	type want struct {
		code           s3err.Code
		msg, argName   string
		stringToSign   string
		anonymous, ok  bool
		maxLen, minLen int64
	}
	cases := []struct {
		name string
		f    PostForm
		now  string
		want want
	}{
		// SigV2 form as botocore signature_version='s3' sends it: 204 on S3
		// (LocalStack test_post_object_policy_casing[s3]).
		{"v2 ok", clone(v2), "", want{ok: true, maxLen: -1}},
		// LocalStack test_post_request_missing_signature[s3].
		{"v2 no signature", without(clone(v2), "signature"), "", want{code: s3err.InvalidArgument, argName: "Signature",
			msg: "Bucket POST must contain a field named 'Signature'.  If it is specified, please check the order of the fields."}},
		// LocalStack test_post_request_missing_fields[s3].
		{"v2 no access key", without(clone(v2), "awsaccesskeyid"), "", want{code: s3err.InvalidArgument, argName: "AWSAccessKeyId",
			msg: "Bucket POST must contain a field named 'AWSAccessKeyId'.  If it is specified, please check the order of the fields."}},
		// LocalStack test_post_request_malformed_policy[s3]: StringToSign is the policy as sent.
		{"v2 tampered policy", with(clone(v2), "policy", v2Policy[:len(v2Policy)-2]), "", want{code: s3err.SignatureDoesNotMatch, stringToSign: v2Policy[:len(v2Policy)-2]}},
		// LocalStack test_post_request_missing_signature[s3v4].
		{"v4 no signature", without(awsExampleForm(), "x-amz-signature"), "", want{code: s3err.InvalidArgument, argName: "X-Amz-Signature",
			msg: "Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of the fields."}},
		// LocalStack test_post_request_missing_fields[s3v4]: algorithm named first.
		{"v4 no algorithm nor credential", without(awsExampleForm(), "x-amz-algorithm", "x-amz-credential"), "", want{code: s3err.InvalidArgument, argName: "X-Amz-Algorithm",
			msg: "Bucket POST must contain a field named 'X-Amz-Algorithm'.  If it is specified, please check the order of the fields."}},
		// LocalStack test_post_request_missing_fields: only key and policy → anonymous.
		{"policy alone is anonymous", form("b", "key", "k", "policy", v2Policy), "", want{ok: true, anonymous: true, maxLen: -1}},
		// LocalStack test_post_request_malformed_policy[s3v4]: no CanonicalRequest.
		{"v4 tampered policy", with(awsExampleForm(), "policy", awsPostPolicy[:len(awsPostPolicy)-2]), "", want{code: s3err.SignatureDoesNotMatch, stringToSign: awsPostPolicy[:len(awsPostPolicy)-2]}},
		// s3-tests invalid_access_key: a bad key is not anonymous → 403.
		{"unknown key", with(clone(v2), "awsaccesskeyid", "NOPE"), "", want{code: s3err.InvalidAccessKeyID}},
		// outline#7060: raw S3 answer to an empty access key in the credential.
		{"empty access key", with(awsExampleForm(), "x-amz-credential", "/20151229/us-east-1/s3/aws4_request"), "", want{code: s3err.InvalidArgument, argName: "X-Amz-Credential",
			msg: "a non-empty Access Key (AKID) must be provided in the credential."}},
		// Raw S3 text (sic), research12 §6b.
		{"bad date", with(awsExampleForm(), "x-amz-date", "2015-12-29"), "", want{code: s3err.InvalidArgument, argName: "X-Amz-Date",
			msg: "X-Amz-Date must be formated via ISO8601 Long format"}},
		// LocalStack test_post_request_expires.
		{"expired", awsExampleForm(), "2015-12-30T12:00:01Z", want{code: s3err.AccessDenied, msg: "Invalid according to Policy: Policy expired."}},
		// LocalStack test_post_object_policy_conditions_validation_starts_with: wrong prefix → 403.
		{"starts-with fails", with(awsExampleForm(), "key", "user/user2/photo.jpg"), "", want{code: s3err.AccessDenied,
			msg: `Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/user1/"]`}},
		// eq printed as an array with the policy's spelling (LocalStack _eq; boto3#4514).
		{"simple condition fails", with(awsExampleForm(), "acl", "private"), "", want{code: s3err.AccessDenied,
			msg: `Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "public-read"]`}},
		// s3_direct_upload#29: a condition on an absent field fails, even starts-with "".
		{"absent field", without(awsExampleForm(), "x-amz-meta-tag"), "", want{code: s3err.AccessDenied,
			msg: `Invalid according to Policy: Policy Condition failed: ["starts-with", "$x-amz-meta-tag", ""]`}},
		// s3-tests wrong_bucket: the bucket condition tests the bucket posted to.
		{"wrong bucket", func() PostForm { f := awsExampleForm(); f.Bucket = "other"; return f }(), "", want{code: s3err.AccessDenied,
			msg: `Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "sigv4examplebucket"]`}},
		// vue-dropzone#471: an uncovered field, name as sent lower-cased (moxie#165).
		{"extra field", awsExampleForm("dzuuid", "x"), "", want{code: s3err.AccessDenied, msg: "Invalid according to Policy: Extra input fields: dzuuid"}},
		// AWS POST Policy: x-ignore- fields are exempt (s3-tests ignored_header).
		{"x-ignore field", awsExampleForm("x-ignore-foo", "x"), "", want{ok: true, maxLen: -1}},
		// Content-Type lists: every entry must match (AWS POST Policy page).
		{"content-type list", with(awsExampleForm(), "content-type", "image/jpg,image/png"), "", want{ok: true, maxLen: -1}},
		{"content-type list fails", with(awsExampleForm(), "content-type", "image/jpg,text/plain"), "", want{code: s3err.AccessDenied,
			msg: `Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := c.now
			if now == "" {
				now = "2015-12-29T12:00:00Z"
			}
			got, err := postVerifier(now).VerifyPost(context.Background(), c.f)
			if c.want.ok {
				if err != nil || got.Anonymous != c.want.anonymous || got.MaxLength != c.want.maxLen || got.MinLength != c.want.minLen {
					t.Fatalf("got %+v, %v", got, err)
				}
				return
			}
			e, ok := s3err.As(err)
			if !ok || e.Code != c.want.code {
				t.Fatalf("got %+v, %v; want %s", got, err, c.want.code)
			}
			if c.want.msg != "" && e.Message != c.want.msg {
				t.Errorf("message %q, want %q", e.Message, c.want.msg)
			}
			if c.want.argName != "" && (e.Field("ArgumentName") != c.want.argName) {
				t.Errorf("ArgumentName %q, want %q", e.Field("ArgumentName"), c.want.argName)
			}
			if c.want.stringToSign != "" {
				if e.Field("StringToSign") != c.want.stringToSign || e.Field("CanonicalRequest") != "" || e.Field("StringToSignBytes") == "" {
					t.Errorf("fields %+v", e.Fields)
				}
			}
		})
	}
}

func TestParsePostPolicy(t *testing.T) {
	cases := []struct {
		name, doc string
		msg       string // "" → parses
		min, max  int64
	}{
		// LocalStack test_post_object_policy_validation_size: numbers or numeric strings.
		{"range", `{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 5, 10]]}`, "", 5, 10},
		{"range strings", `{"expiration": "2030-01-01T00:00:00.000Z", "conditions": [["content-length-range", "5", "10"]]}`, "", 5, 10},
		{"tightest range", `{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 5, 10], ["content-length-range", 1, 8]]}`, "", 5, 8},
		{"no range", `{"expiration": "2030-01-01T00:00:00Z", "conditions": []}`, "", 0, -1},
		// tpyo#53.
		{"not json", `{"expiration": `, "Invalid Policy: Invalid JSON.", 0, 0},
		// LocalStack _eq: two properties in one simple condition.
		{"two properties", `{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"bucket": "b", "key": "k"}]}`,
			"Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.", 0, 0},
		// s3-tests empty_conditions (400).
		{"empty simple condition", `{"expiration": "2030-01-01T00:00:00Z", "conditions": [{}]}`,
			"Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.", 0, 0},
		// modbox#10.
		{"non-string value", `{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"Content-Length": 6199034}]}`,
			"Invalid Policy: Invalid Simple-Condition: value must be a string.", 0, 0},
		// carrierwave_direct#2.
		{"offset expiration", `{"expiration": "2011-09-13T07:52:58+02:00", "conditions": []}`,
			"Invalid Policy: Invalid 'expiration' value: '2011-09-13T07:52:58+02:00'", 0, 0},
		// s3-tests expires_is_case_sensitive / missing_expires_condition (400; text Tessera's).
		{"EXPIRATION", `{"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []}`, "Invalid Policy: Policy missing expiration.", 0, 0},
		// s3-tests condition_is_case_sensitive / missing_conditions_list.
		{"CONDITIONS", `{"expiration": "2030-01-01T00:00:00Z", "CONDITIONS": []}`, "Invalid Policy: Policy missing conditions.", 0, 0},
		// s3-tests missing_content_length_argument (400; text Tessera's).
		{"range arity", `{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 0]]}`,
			`Invalid Policy: Invalid Condition: wrong number of arguments in ["content-length-range", 0].`, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePostPolicy(b64(c.doc))
			if c.msg == "" {
				if err != nil || p.MinLength != c.min || p.MaxLength != c.max {
					t.Fatalf("got %+v, %v", p, err)
				}
				return
			}
			e, ok := s3err.As(err)
			if !ok || e.Code != s3err.InvalidPolicyDocument || e.Message != c.msg || e.Status() != 400 {
				t.Fatalf("got %v, want InvalidPolicyDocument %q", err, c.msg)
			}
		})
	}
}

func TestPostConditions(t *testing.T) {
	cases := []struct {
		name, conds string
		form        []string
		failed      string // the condition S3 prints, "" → holds
	}{
		// LocalStack _eq: condition names are case-insensitive.
		{"name case", `[{"bucket": "b"}, ["eq", "$success_Action_REDIRECT", "http://x/"], ["eq", "$KeY", "k"]]`,
			[]string{"key", "k", "success_action_redirect", "http://x/"}, ""},
		// LocalStack _eq: values are case-sensitive.
		{"value case", `[{"bucket": "b"}, ["eq", "$success_action_redirect", "http://x/"], {"key": "k"}]`,
			[]string{"key", "k", "success_action_redirect", "HTTP://x/"}, `["eq", "$success_action_redirect", "http://x/"]`},
		// LocalStack _eq: a name without "$" never holds.
		{"no dollar", `[{"bucket": "b"}, ["eq", "success_action_redirect", "http://x/"], {"key": "k"}]`,
			[]string{"key", "k", "success_action_redirect", "http://x/"}, `["eq", "success_action_redirect", "http://x/"]`},
		// s3-tests case_insensitive_condition_fields: operator case.
		{"operator case", `[{"bUcKeT": "b"}, ["StArTs-WiTh", "$KeY", "fo"]]`, []string{"key", "foo"}, ""},
		// LocalStack _size: a non-numeric bound fails as a condition.
		{"bad range", `[{"bucket": "b"}, {"key": "k"}, ["content-length-range", "test", "10"]]`,
			[]string{"key", "k"}, `["content-length-range", "test", "10"]`},
		// s3-tests escaped_field_values: "\\$" is compared literally.
		{"escaped dollar", `[{"bucket": "b"}, ["starts-with", "$key", "\\$foo"]]`, []string{"key", `\$foo.txt`}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePostPolicy(b64(`{"expiration": "2030-01-01T00:00:00Z", "conditions": ` + c.conds + `}`))
			if err != nil {
				t.Fatal(err)
			}
			err = p.Check(form("b", c.form...), 4)
			if c.failed == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			want := "Invalid according to Policy: Policy Condition failed: " + c.failed
			if e, ok := s3err.As(err); !ok || e.Code != s3err.AccessDenied || e.Message != want {
				t.Fatalf("got %v, want %q", err, want)
			}
		})
	}
}

func FuzzParsePostPolicy(f *testing.F) {
	doc, _ := base64.StdEncoding.DecodeString(awsPostPolicy)
	f.Add(string(doc), "key", "user/user1/a")
	f.Add(`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "5", 10], {"a": "b"}]}`, "a", "b")
	f.Add(`{"expiration": "2030-01-01T00:00:00.5Z", "conditions": [["eq", "$x", ""], ["starts-with", "$content-type", "a"]]}`, "content-type", "a,b")
	f.Add(`{"conditions": [{}]}`, "", "")
	f.Fuzz(func(t *testing.T, doc, name, value string) {
		p, err := ParsePostPolicy(b64(doc))
		if err != nil {
			if !s3err.HasCode(err, s3err.InvalidPolicyDocument) {
				t.Fatalf("error %v is not InvalidPolicyDocument", err)
			}
			return
		}
		for _, c := range p.Conditions {
			var arr []any
			if json.Unmarshal([]byte(c.Text), &arr) != nil || len(arr) != 3 {
				t.Fatalf("condition text %q is not a 3-element JSON array", c.Text)
			}
		}
		err = p.Check(form("b", strings.ToLower(name), value), 4)
		if err != nil && !s3err.HasCode(err, s3err.AccessDenied) {
			t.Fatalf("Check error %v is not AccessDenied", err)
		}
	})
}
