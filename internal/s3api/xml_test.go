package s3api

import (
	"encoding/xml"
	"strings"
	"testing"
)

// The XML request bodies come from clients: decoding them must never panic
// and must stay within the size limits readXMLBody enforces.
func FuzzCompleteMultipartUploadXML(f *testing.F) {
	f.Add(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part></CompleteMultipartUpload>`)
	f.Add(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><PartNumber>10000</PartNumber></Part></CompleteMultipartUpload>`)
	f.Add(`<Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object></Delete>`)
	f.Add(`<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`)
	f.Fuzz(func(t *testing.T, body string) {
		var c completeMultipartUpload
		if xml.Unmarshal([]byte(body), &c) == nil {
			for _, p := range c.Parts {
				if p.PartNumber != nil {
					_ = strings.TrimSpace(*p.PartNumber)
				}
			}
		}
		var d deleteRequest
		_ = xml.Unmarshal([]byte(body), &d)
		var b createBucketConfiguration
		_ = xml.Unmarshal([]byte(body), &b)
	})
}

func TestCopySourceRange(t *testing.T) {
	valid := map[string][2]int64{"bytes=0-0": {0, 0}, "bytes=0-9": {0, 9}, "bytes=5-100": {5, 100}}
	for in, want := range valid {
		r, err := copySourceRange(in)
		if err != nil || r.First != want[0] || r.Last != want[1] {
			t.Errorf("%q: %+v %v", in, r, err)
		}
	}
	for _, in := range []string{"0-8", "bytes=1-0", "bytes=-1-", "bytes=1-", "bytes=-2", "bytes=0-1,2-3", "bytes=-", "bytes=+1-2", "bytes=1-+2", "items=0-1"} {
		if _, err := copySourceRange(in); err == nil || !strings.Contains(err.Error(), "must be of the form bytes=first-last") {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestCopySource(t *testing.T) {
	vid := "D0PIMR2A032VSQJTGIDHPI6RKASLD81S" // made by meta.NewVersionID
	tests := []struct{ in, bucket, key, version string }{
		{"bkt/k", "bkt", "k", ""},
		{"/bkt/a%20b/c", "bkt", "a b/c", ""},
		{"bkt/k?versionId=" + vid, "bkt", "k", vid},
		{"bkt/k?versionId=null", "bkt", "k", "null"},
		{"bkt/%E2%9C%93", "bkt", "✓", ""},
		{"bkt/a/../b", "bkt", "a/../b", ""},
		{"bkt/..a", "bkt", "..a", ""},
	}
	for _, tc := range tests {
		b, k, v, err := copySource(tc.in)
		if err != nil || b != tc.bucket || k != tc.key || v != tc.version {
			t.Errorf("%q: %q %q %q %v", tc.in, b, k, v, err)
		}
	}
	// A version ID Tessera never made, or an empty one (versitygw PR #1638:
	// S3 answers malformed copy-source version IDs with InvalidArgument).
	for in, msg := range map[string]string{"bkt/k?versionId=123": "Invalid version id specified", "bkt/k?versionId=": "Version id cannot be the empty string"} {
		if _, _, _, err := copySource(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: err = %v, want %q", in, err, msg)
		}
	}
	// S3's messages, from versitygw's integration tests written against S3.
	for in, msg := range map[string]string{
		"bucket/%ZZ": "Invalid copy source encoding", "100%/foo/bar/baz": "Invalid copy source encoding",
		"bucket/%C3%": "Invalid copy source encoding", "%": "Invalid copy source encoding",
		"": "Invalid copy source bucket name", "192.168.1.1/foo": "Invalid copy source bucket name",
		"my-buc@k&()t/obj": "Invalid copy source bucket name", "bucket%2Fkey": "Invalid copy source bucket name",
		"/":      "Invalid copy source bucket name",
		"bucket": "Invalid copy source object key", "bucket/": "Invalid copy source object key",
		"/bucket/": "Invalid copy source object key", "bucket/.": "Invalid copy source object key",
		"bucket/..": "Invalid copy source object key", "bucket/../": "Invalid copy source object key",
		"bucket?versionId=1": "Invalid copy source object key",
	} {
		_, _, _, err := copySource(in)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: err = %v, want %q", in, err, msg)
		}
	}
}

func TestIntParam(t *testing.T) {
	q := func(v string) map[string][]string { return map[string][]string{"max-parts": {v}} }
	for in, want := range map[string]int{"": 1000, "0": 0, "5": 5, "1000": 1000, "1001": 1000, "2147483647": 1000} {
		got, err := intParam(q(in), "max-parts", 1000, 1000)
		if err != nil || got != want {
			t.Errorf("%q: %d %v", in, got, err)
		}
	}
	for in, msg := range map[string]string{
		"-1":         "Argument max-parts must be an integer between 0 and 2147483647",
		"abc":        "Provided abc not an integer or within integer range",
		"2147483648": "Provided 2147483648 not an integer or within integer range",
	} {
		_, err := intParam(q(in), "max-parts", 1000, 1000)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// FuzzCompleteFastPath: whenever the fast Complete parser answers, it
// answers exactly what encoding/xml does.
func FuzzCompleteFastPath(f *testing.F) {
	f.Add(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><PartNumber>1</PartNumber></Part><Part><ETag>&#34;x&#34;</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>`)
	f.Add("<CompleteMultipartUpload>\n  <Part>\n    <PartNumber> 7 </PartNumber>\n    <ETag>\"e\"</ETag>\n  </Part>\n</CompleteMultipartUpload>\n")
	f.Add(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><Foo>x</Foo></Part></CompleteMultipartUpload>`)
	f.Add(`<CompleteMultipartUpload><Part><ETag>a&amp;b&lt;c&gt;&apos;&#x41;</ETag></Part></CompleteMultipartUpload>`)
	f.Add(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag></ETag><ChecksumXXHASH128>AAAAAAAAAAAAAAAAAAAAAA==</ChecksumXXHASH128></Part></CompleteMultipartUpload>`)
	f.Fuzz(func(t *testing.T, body string) {
		var fast completeMultipartUpload
		if !parseCompleteFast([]byte(body), &fast) {
			return
		}
		var std completeMultipartUpload
		if err := xml.Unmarshal([]byte(body), &std); err != nil {
			t.Fatalf("fast path accepted what encoding/xml rejects (%v): %q", err, body)
		}
		if len(fast.Parts) != len(std.Parts) {
			t.Fatalf("parts: fast %d, std %d: %q", len(fast.Parts), len(std.Parts), body)
		}
		for i := range fast.Parts {
			if !samePart(fast.Parts[i], std.Parts[i]) {
				t.Fatalf("part %d: fast %+v, std %+v: %q", i, fast.Parts[i], std.Parts[i], body)
			}
		}
	})
}

// samePart compares decoded parts by value: absent (nil) differs from empty.
func samePart(a, b completePartXML) bool {
	same := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return same(a.PartNumber, b.PartNumber) && same(a.ETag, b.ETag) && a.checksumFields == b.checksumFields
}

func TestCompleteFastPathTakesSDKBodies(t *testing.T) {
	body := `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>&#34;abc&#34;</ETag><PartNumber>1</PartNumber></Part><Part><ChecksumSHA256>x+/=</ChecksumSHA256><ETag>"def"</ETag><PartNumber>10000</PartNumber></Part></CompleteMultipartUpload>`
	var c completeMultipartUpload
	if !parseCompleteFast([]byte(body), &c) {
		t.Fatal("fast path declined an SDK-shaped body")
	}
	if len(c.Parts) != 2 || *c.Parts[0].ETag != `"abc"` || *c.Parts[1].PartNumber != "10000" || c.Parts[0].ChecksumSHA256 != "" || c.Parts[1].ChecksumSHA256 != "x+/=" {
		t.Fatalf("parsed %+v", c.Parts)
	}
}
