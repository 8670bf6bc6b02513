package browser

// The console's bucket settings and root administration in Chromium,
// checked through aws-sdk-go-v2 and the console's own login.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func TestConsoleBrowserSettingsAndAdmin(t *testing.T) {
	srv := tesseratest.New(t)
	ctx := context.Background()
	s3c := srv.S3()
	newBucket(t, s3c, "media")
	c := newConsoleTab(t, srv)
	c.login(tesseratest.AccessKey, tesseratest.SecretKey)

	t.Run("bucket settings", func(t *testing.T) {
		c.t = t
		c.goTo("#/s/media")
		c.waitFor("the settings", `document.querySelector("#set-encryption")`)
		c.assertLabelled("settings")
		c.run("enable versioning", chromedp.SetValue(`#versioning`, "Enabled"), chromedp.Click(`#set-versioning button`))
		c.waitFor("saved", `document.getElementById("status").textContent.includes("Versioning enabled")`)
		if v, err := s3c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("media")}); err != nil || v.Status != "Enabled" {
			t.Errorf("versioning %v, %v", v.Status, err)
		}
		c.run("abort uploads after 5 days", chromedp.SetValue(`#abort-days`, "5"), chromedp.Click(`#set-lifecycle .row button`))
		c.waitFor("saved", `document.getElementById("status").textContent.includes("5 days")`)
		lc, err := s3c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("media")})
		if err != nil || len(lc.Rules) != 1 || lc.Rules[0].AbortIncompleteMultipartUpload == nil || aws.ToInt32(lc.Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation) != 5 {
			t.Errorf("lifecycle %+v, %v", lc, err)
		}
		// A policy that is not JSON is explained in the page and never sent.
		c.run("type a broken policy", chromedp.SetValue(`#policy-json`, `{"Statement": [`), chromedp.Click(`#set-policy button`))
		c.waitFor("the policy error", `document.getElementById("alert").dataset.code === "MalformedPolicy"`)
		// Not public: a public one is refused while BlockPublicPolicy is on,
		// as by S3 for a new bucket.
		reader := srv.NewAccount("reader")
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + reader.ID + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media/public/*"}]}`
		c.run("save a policy", chromedp.SetValue(`#policy-json`, policy), chromedp.Click(`#set-policy button`))
		c.waitFor("saved", `document.getElementById("status").textContent.includes("Policy saved")`)
		if p, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("media")}); err != nil || !strings.Contains(aws.ToString(p.Policy), "media/public/*") {
			t.Errorf("policy %v, %v", aws.ToString(p.Policy), err)
		}
		cors := `<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`
		c.run("save CORS", chromedp.SetValue(`#cors-xml`, cors), chromedp.Click(`#set-cors .row button`))
		c.waitFor("saved", `document.getElementById("status").textContent.includes("CORS saved")`)
		if cr, err := s3c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("media")}); err != nil || len(cr.CORSRules) != 1 {
			t.Errorf("CORS %+v, %v", cr, err)
		}
		c.run("save tags", chromedp.SetValue(`#bucket-tags`, "team=media\ncost-centre=42"), chromedp.Click(`#set-tags button`))
		c.waitFor("saved", `document.getElementById("status").textContent.includes("Tags saved")`)
		if tg, err := s3c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("media")}); err != nil || len(tg.TagSet) != 2 {
			t.Errorf("tags %+v, %v", tg, err)
		}
		c.run("default encryption", chromedp.SetValue(`#sse-alg`, "AES256"), chromedp.Click(`#set-encryption .row button`))
		c.waitFor("saved", `document.getElementById("status").textContent.includes("Encryption saved")`)
		if e, err := s3c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("media")}); err != nil ||
			string(e.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm) != "AES256" {
			t.Errorf("encryption %v", err)
		}
		c.goTo("#/s/media") // read back: the page shows what is saved
		c.waitFor("the saved settings", `document.querySelector("#abort-days").value === "5" && document.querySelector("#sse-alg").value === "AES256" && document.querySelector("#bucket-tags").value.includes("team=media")`)
		c.screenshot("settings")
	})

	t.Run("browse by page and prefix", func(t *testing.T) {
		c.t = t
		// 230 objects and 3 folders at the top: pages of 100 keys and
		// prefixes together (S3 counts both against max-keys); the
		// page lists one page at a time (ListObjectsV2 with max-keys and a
		// continuation token), so a bucket of any size opens as fast.
		newBucket(t, s3c, "many")
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := range 233 {
			key := fmt.Sprintf("obj-%03d.txt", i)
			if i >= 230 {
				key = fmt.Sprintf("dir-%d/inner.txt", i-230)
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("many"), Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		rows := `document.querySelectorAll("#object-list tbody tr").length`
		c.goTo("#/b/many")
		c.waitFor("the first page", rows+` === 100`)
		if n := evalJS[int](c, `document.querySelectorAll("#object-list tr.folder").length`); n != 3 {
			t.Errorf("%d folders on the first page, want 3 (CommonPrefixes come first in the page)", n)
		}
		c.run("next page", chromedp.Click(`#next-page`))
		c.waitFor("the second page", `document.querySelector('tr[data-key="obj-196.txt"]') && `+rows+` === 100`)
		c.run("next page", chromedp.Click(`#next-page`))
		c.waitFor("the last page", `document.querySelector('tr[data-key="obj-229.txt"]') && `+rows+` === 33 && document.querySelector("#next-page").disabled`)
		c.run("previous page", chromedp.Click(`#prev-page`))
		c.waitFor("the second page again", `document.querySelector('tr[data-key="obj-196.txt"]')`)
		c.run("filter", chromedp.SendKeys(`#filter`, "obj-12"))
		c.waitFor("the filtered list", rows+` === 10 && document.querySelector('tr[data-key="obj-129.txt"]')`)
		c.run("open a folder", chromedp.Clear(`#filter`), chromedp.Navigate(srv.URL+consolePath+"#/b/many/dir-1%2F"))
		c.waitFor("the folder's object", `document.querySelector('tr[data-key="dir-1/inner.txt"]') && `+rows+` === 1`)
	})

	t.Run("administration", func(t *testing.T) {
		c.t = t
		c.goTo("#/admin")
		c.waitFor("the admin page", `document.querySelector("#account-list table") && document.querySelector("#health dl")`)
		if h := evalJS[string](c, `document.querySelector("#health").textContent`); !strings.Contains(h, "ready") {
			t.Errorf("health %q", h)
		}
		c.assertLabelled("admin")
		c.run("create an account", chromedp.SetValue(`#account-name`, "carol"), chromedp.Click(`#accounts form button[type=submit]`))
		c.waitFor("the new key", `document.querySelector(".new-key-secret")`)
		key := evalJS[string](c, `document.querySelector(".new-key-id").textContent`)
		secret := evalJS[string](c, `document.querySelector(".new-key-secret").textContent`)
		consoleLogin(t, srv, key, secret) // the new account can sign in
		c.screenshot("admin")
		c.run("show carol's keys", chromedp.Click(`button[aria-label="Keys of carol"]`))
		c.waitFor("carol's key", `document.querySelector('tr[data-account] .keys table')`)
		c.run("disable it", chromedp.Click(`tr[data-account] .keys table button`))
		c.waitFor("the disabled key", `document.querySelector('tr[data-account] .keys table').textContent.includes("disabled")`)
		if resp, _ := consoleLoginRaw(t, srv, key, secret); resp.StatusCode != http.StatusForbidden {
			t.Errorf("login with the disabled key: %d", resp.StatusCode)
		}
	})
}
