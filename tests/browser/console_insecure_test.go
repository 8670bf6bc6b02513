package browser

// The web console in a page that is no secure context — plain HTTP to a
// host name that is not localhost, as a console served on a network
// without TLS — where the browser gives no crypto.subtle, hence no
// SHA-256: configuration PUTs and uploads checksum with the console's own
// CRC-32 (crc32.js), which must equal Go's hash/crc32 (the IEEE CRC-32
// that S3's x-amz-checksum-crc32 is).

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/chromedp"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func TestConsoleInsecureContext(t *testing.T) {
	srv := tesseratest.New(t)
	ctx := context.Background()
	s3c := srv.S3()
	newBucket(t, s3c, "plain")
	c := newInsecureConsoleTab(t, srv)
	if !evalJS[bool](c, `location.hostname === `+jsString(insecureHost)+` && window.isSecureContext === false && !(globalThis.crypto && crypto.subtle)`) {
		t.Fatalf("the page at %s is a secure context or has crypto.subtle: the test would not test the console without WebCrypto", c.base)
	}
	c.login(tesseratest.AccessKey, tesseratest.SecretKey)

	// Every configuration PUT the console makes carries
	// x-amz-checksum-crc32 as its integrity header. S3 requires Content-MD5
	// or an x-amz-checksum-* on lifecycle, CORS and encryption ("Missing
	// required header for this request: Content-MD5", recorded in
	// tests/conformance cors_test.go and lc_config_test.go) and accepts any
	// flexible checksum instead (the SDKs send x-amz-checksum-crc32 on these
	// calls by default since 2025; the API reference: "When you send this
	// header, there must be a corresponding x-amz-checksum or x-amz-trailer
	// header sent"). The tag value is not ASCII: the page must sum the
	// UTF-8 bytes it sends, or S3 answers BadDigest.
	t.Run("configuration PUTs", func(t *testing.T) {
		c.t = t
		c.goTo("#/s/plain")
		c.waitFor("the settings", `document.querySelector("#set-encryption")`)
		cors := `<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + srv.NewAccount("reader").ID + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::plain/public/*"}]}`
		for _, tc := range []struct {
			name    string
			actions []chromedp.Action[chromedp.Void]
			saved   string // the page's status once S3 said yes
			check   func() error
		}{
			{"versioning", []chromedp.Action[chromedp.Void]{chromedp.SetValue(`#versioning`, "Enabled"), chromedp.Click(`#set-versioning button`)}, "Versioning enabled",
				func() error {
					v, err := s3c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("plain")})
					return checkf(err, v != nil && v.Status == types.BucketVersioningStatusEnabled, "versioning %+v", v)
				}},
			{"lifecycle", []chromedp.Action[chromedp.Void]{chromedp.SetValue(`#abort-days`, "4"), chromedp.Click(`#set-lifecycle .row button`)}, "4 days",
				func() error {
					lc, err := s3c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("plain")})
					return checkf(err, lc != nil && len(lc.Rules) == 1 && lc.Rules[0].AbortIncompleteMultipartUpload != nil &&
						aws.ToInt32(lc.Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation) == 4, "lifecycle %+v", lc)
				}},
			{"CORS", []chromedp.Action[chromedp.Void]{chromedp.SetValue(`#cors-xml`, cors), chromedp.Click(`#set-cors .row button`)}, "CORS saved",
				func() error {
					cr, err := s3c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("plain")})
					return checkf(err, cr != nil && len(cr.CORSRules) == 1, "CORS %+v", cr)
				}},
			{"policy", []chromedp.Action[chromedp.Void]{chromedp.SetValue(`#policy-json`, policy), chromedp.Click(`#set-policy button`)}, "Policy saved",
				func() error {
					p, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("plain")})
					return checkf(err, p != nil && strings.Contains(aws.ToString(p.Policy), "plain/public/*"), "policy %+v", p)
				}},
			{"tags, not ASCII", []chromedp.Action[chromedp.Void]{chromedp.SetValue(`#bucket-tags`, "team=médias\nzone=東京"), chromedp.Click(`#set-tags button`)}, "Tags saved",
				func() error {
					tg, err := s3c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("plain")})
					return checkf(err, tg != nil && len(tg.TagSet) == 2 && aws.ToString(tg.TagSet[0].Value) == "médias", "tags %+v", tg)
				}},
			{"default encryption", []chromedp.Action[chromedp.Void]{chromedp.SetValue(`#sse-alg`, "AES256"), chromedp.Click(`#set-encryption .row button`)}, "Encryption saved",
				func() error {
					e, err := s3c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("plain")})
					return checkf(err, e != nil && len(e.ServerSideEncryptionConfiguration.Rules) == 1 &&
						e.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm == types.ServerSideEncryptionAes256, "encryption %+v", e)
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c.t = t
				c.run("save "+tc.name, tc.actions...)
				c.waitFor("saved", `document.getElementById("status").textContent.includes(`+jsString(tc.saved)+`)`)
				if err := tc.check(); err != nil {
					t.Error(err)
				}
			})
		}
	})

	data := testBytes(bigSize)
	path := filepath.Join(t.TempDir(), "crc.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// A multipart upload made here is created with CRC32 and each part
	// carries x-amz-checksum-crc32; ListParts answers ChecksumCRC32 per
	// part (S3's ListParts Part element: "ChecksumCRC32 ... present if the
	// object was uploaded with the CRC32 checksum algorithm").
	t.Run("multipart upload, reload, resume", func(t *testing.T) {
		c.t = t
		reloadResume(t, c, srv, "plain", path, bigSize, "", func(present []int32) {
			ups, err := s3c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("plain"), Prefix: aws.String("crc.bin")})
			if err != nil || len(ups.Uploads) != 1 || ups.Uploads[0].ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 {
				t.Fatalf("ListMultipartUploads: %+v, %v; want one upload with ChecksumAlgorithm CRC32", ups, err)
			}
			assertPartCRCs(t, s3c, "plain", "crc.bin", aws.ToString(ups.Uploads[0].UploadId), data, len(present))
		})
		assertObject(t, s3c, "plain", "crc.bin", data, "")
	})

	// A small file is one PutObject with x-amz-checksum-crc32, which S3
	// stores and answers on a HEAD with x-amz-checksum-mode: ENABLED.
	t.Run("single PUT", func(t *testing.T) {
		c.t = t
		small := testBytes(100<<10 + 7)
		path := filepath.Join(t.TempDir(), "small.bin")
		if err := os.WriteFile(path, small, 0o644); err != nil {
			t.Fatal(err)
		}
		c.goTo("#/b/plain")
		c.run("choose the file", chromedp.SetUploadFiles(`#upload-input`, []string{path}))
		c.waitFor("the upload to finish", `document.querySelector('.upload[data-key="small.bin"]') && document.querySelector('.upload[data-key="small.bin"]').dataset.state === "done"`)
		assertObject(t, s3c, "plain", "small.bin", small, crc32Base64(small))
	})
}

// The page resumes an upload with the algorithm it was created with, not
// the one it would choose for a new one: S3 refuses a part whose checksum
// is of another algorithm than its upload's (InvalidRequest "Checksum Type
// mismatch occurred, expected checksum Type: sha256, actual checksum Type:
// ...", S3's answer quoted in apache/arrow-rs#6793 and floci-io/floci#3093),
// and ListParts lists only the upload's own. A page with
// WebCrypto resumes a CRC32 upload with CRC32; a page without it cannot
// verify an SHA256 upload's parts and starts a new upload.
func TestConsoleResumeKeepsAlgorithm(t *testing.T) {
	for _, tc := range []struct {
		name     string
		insecure bool
		made     types.ChecksumAlgorithm // the upload the SDK left behind
		resumed  bool                    // whether the page keeps its parts
	}{
		{"secure page, CRC32 upload", false, types.ChecksumAlgorithmCrc32, true},
		{"insecure page, CRC32 upload", true, types.ChecksumAlgorithmCrc32, true},
		{"insecure page, SHA256 upload", true, types.ChecksumAlgorithmSha256, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tesseratest.New(t)
			ctx := context.Background()
			s3c := srv.S3()
			newBucket(t, s3c, "resume")
			const key = "mixed.bin"
			data := testBytes(2*partSize + 1000)
			up, err := s3c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("resume"), Key: aws.String(key), ChecksumAlgorithm: tc.made})
			if err != nil {
				t.Fatal(err)
			}
			for n := int32(1); n <= 2; n++ {
				if _, err := s3c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("resume"), Key: aws.String(key), UploadId: up.UploadId, PartNumber: aws.Int32(n),
					Body: bytes.NewReader(data[int(n-1)*partSize : int(n)*partSize]), ChecksumAlgorithm: tc.made}); err != nil {
					t.Fatalf("UploadPart %d: %v", n, err)
				}
			}
			path := filepath.Join(t.TempDir(), key)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			var c *consoleTab
			if tc.insecure {
				c = newInsecureConsoleTab(t, srv)
			} else {
				c = newConsoleTab(t, srv)
			}
			c.login(tesseratest.AccessKey, tesseratest.SecretKey)
			c.goTo("#/b/resume")
			c.run("choose the file", chromedp.SetUploadFiles(`#upload-input`, []string{path}))
			card := `document.querySelector('.upload[data-key="` + key + `"]')`
			c.waitFor("the upload to finish", card+` && `+card+`.dataset.state === "done"`)
			wantSent := 3.0 // UploadPart answered 200: the SDK's two and the page's
			if !tc.resumed {
				wantSent = 5
			}
			if got := metric(t, srv, "tessera_s3_requests_total", `action="UploadPart"`, `status="200"`); got != wantSent {
				t.Errorf("%v UploadPart answered 200, want %v", got, wantSent)
			}
			assertObject(t, s3c, "resume", key, data, "")
			head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("resume"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			wantAlg := tc.made
			if !tc.resumed {
				wantAlg = types.ChecksumAlgorithmCrc32 // the new upload's
			}
			if got := objectChecksumAlgorithm(head); got != wantAlg {
				t.Errorf("the object's checksum is %s, want %s", got, wantAlg)
			}
			if tc.resumed {
				// The left-over upload was completed, not replaced.
				if _, err := s3c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("resume"), Key: aws.String(key), UploadId: up.UploadId}); err == nil {
					t.Error("the SDK's upload is still there: the page did not resume it")
				}
			}
		})
	}
}

// The console's CRC-32 is Go's hash/crc32 IEEE: the same base64 of the
// big-endian four bytes for random buffers of several sizes (every byte
// loop length, and more than one of crc32.js's 1 MiB chunks), summed whole
// from a Blob and in two pieces.
func TestConsoleCRC32(t *testing.T) {
	srv := tesseratest.New(t)
	c := newInsecureConsoleTab(t, srv)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 63, 64, 1<<20 + 3, 3<<20 + 1} {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		t.Run(fmt.Sprintf("%d bytes", size), func(t *testing.T) {
			c.t = t
			got := evalJS[struct{ Blob, Split string }](c, `(async () => {
				const m = await import(location.origin + `+jsString(consolePath+"crc32.js")+`);
				const bin = atob(`+jsString(base64.StdEncoding.EncodeToString(b))+`);
				const b = new Uint8Array(bin.length);
				for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
				const k = b.length >> 1;
				return { Blob: await m.crc32OfBlob(new Blob([b])), Split: m.crc32Base64(m.crc32Update(m.crc32Update(0, b.subarray(0, k)), b.subarray(k))) };
			})()`)
			want := crc32Base64(b)
			if got.Blob != want || got.Split != want {
				t.Errorf("page CRC-32 of %d bytes: %s whole, %s in two pieces; hash/crc32 says %s", size, got.Blob, got.Split, want)
			}
		})
	}
}

// BenchmarkConsoleCRC32 measures the page's CRC-32 of one 8 MiB part in
// Chromium: "blob" as an upload sums it (read from a Blob, then 1 MiB
// chunks with a turn of the event loop between), "bytes" the table loop
// alone over bytes in memory, the work that keeps the page busy.
func BenchmarkConsoleCRC32(b *testing.B) {
	srv := tesseratest.New(b)
	ctx := newBrowser(b)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+consolePath)); err != nil {
		b.Fatal(err)
	}
	setup := `(async () => {
		globalThis.crcModule = await import(location.origin + ` + jsString(consolePath+"crc32.js") + `);
		globalThis.crcBytes = new Uint8Array(` + fmt.Sprint(partSize) + `).map((_, i) => i * 7);
		globalThis.crcBlob = new Blob([crcBytes]);
		return await crcModule.crc32OfBlob(crcBlob);
	})()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](setup, chromedp.EvalAwaitPromise)); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, expr string }{
		{"blob", `crcModule.crc32OfBlob(crcBlob)`},
		{"bytes", `crcModule.crc32Base64(crcModule.crc32Update(0, crcBytes))`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(partSize)
			for range b.N {
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](bc.expr, chromedp.EvalAwaitPromise)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
