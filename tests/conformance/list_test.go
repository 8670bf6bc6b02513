package conformance

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// listFixture is 25 keys: 15 at the top level and 10 under 4 "directories".
var listFixture = []string{
	"d1/a", "d1/b", "d1/c",
	"d2/a", "d2/b",
	"d3/x/y", "d3/z",
	"e/1", "e/2", "e/3",
	"f00", "f01", "f02", "f03", "f04", "f05", "f06", "f07", "f08", "f09",
	"f10", "f11", "f12", "f13", "f14",
}

// expectedListing computes what S3 returns for prefix/delimiter/after:
// sorted keys and common prefixes.
func expectedListing(keys []string, prefix, delimiter, after string) (objs, prefixes []string) {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	seen := map[string]bool{}
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) || k <= after {
			continue
		}
		if delimiter != "" {
			if i := strings.Index(k[len(prefix):], delimiter); i >= 0 {
				cp := k[:len(prefix)+i+len(delimiter)]
				if !seen[cp] && cp > after {
					seen[cp] = true
					prefixes = append(prefixes, cp)
				}
				continue
			}
		}
		objs = append(objs, k)
	}
	return objs, prefixes
}

func fillBucket(t *testing.T, c *s3.Client, keys []string) string {
	t.Helper()
	b := newBucket(t, c)
	for _, k := range keys {
		put(t, c, b, k, []byte("v:"+k))
	}
	return b
}

func TestListObjectsV2Basics(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := fillBucket(t, c, listFixture)

	cases := []struct{ prefix, delimiter, startAfter string }{
		{"", "", ""},
		{"d1/", "", ""},
		{"d", "", ""},
		{"f1", "", ""},
		{"", "/", ""},
		{"d3/", "/", ""},
		{"d", "/", ""},
		{"", "", "e/2"},
		{"", "/", "d2/"},
		{"", "/", "d1/b"}, // start-after inside a common prefix skips the prefix
		{"f", "", "f07"},
		{"", "1", ""}, // a delimiter other than "/"
		{"nothing-here", "", ""},
		{"", "", "zzz"},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("prefix=%q delimiter=%q start-after=%q", tc.prefix, tc.delimiter, tc.startAfter)
		t.Run(name, func(t *testing.T) {
			in := &s3.ListObjectsV2Input{Bucket: aws.String(b)}
			if tc.prefix != "" {
				in.Prefix = aws.String(tc.prefix)
			}
			if tc.delimiter != "" {
				in.Delimiter = aws.String(tc.delimiter)
			}
			if tc.startAfter != "" {
				in.StartAfter = aws.String(tc.startAfter)
			}
			out, err := c.ListObjectsV2(ctx(), in)
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			wantObjs, wantPrefixes := expectedListing(listFixture, tc.prefix, tc.delimiter, tc.startAfter)
			var gotObjs, gotPrefixes []string
			for _, o := range out.Contents {
				gotObjs = append(gotObjs, aws.ToString(o.Key))
			}
			for _, p := range out.CommonPrefixes {
				gotPrefixes = append(gotPrefixes, aws.ToString(p.Prefix))
			}
			if !slices.Equal(gotObjs, wantObjs) {
				t.Errorf("Contents = %q, want %q", gotObjs, wantObjs)
			}
			if !slices.Equal(gotPrefixes, wantPrefixes) {
				t.Errorf("CommonPrefixes = %q, want %q", gotPrefixes, wantPrefixes)
			}
			if n := aws.ToInt32(out.KeyCount); int(n) != len(wantObjs)+len(wantPrefixes) {
				t.Errorf("KeyCount = %d, want %d", n, len(wantObjs)+len(wantPrefixes))
			}
			if aws.ToBool(out.IsTruncated) {
				t.Errorf("IsTruncated on a short listing")
			}
			if aws.ToString(out.Prefix) != tc.prefix || aws.ToString(out.Delimiter) != tc.delimiter || aws.ToString(out.StartAfter) != tc.startAfter {
				t.Errorf("echo: Prefix %q Delimiter %q StartAfter %q", aws.ToString(out.Prefix), aws.ToString(out.Delimiter), aws.ToString(out.StartAfter))
			}
			if aws.ToString(out.Name) != b || aws.ToInt32(out.MaxKeys) != 1000 {
				t.Errorf("Name %q MaxKeys %d, want %q 1000", aws.ToString(out.Name), aws.ToInt32(out.MaxKeys), b)
			}
			for _, o := range out.Contents {
				if aws.ToInt64(o.Size) != int64(len("v:")+len(aws.ToString(o.Key))) || aws.ToString(o.ETag) == "" || o.LastModified == nil {
					t.Errorf("entry %q: size %d etag %q lm %v", aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToString(o.ETag), o.LastModified)
				}
				if o.Owner != nil {
					t.Errorf("entry %q has an Owner without fetch-owner", aws.ToString(o.Key))
				}
			}
		})
	}
	t.Run("empty bucket", func(t *testing.T) {
		e := newBucket(t, c)
		out, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(e)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 0 || aws.ToInt32(out.KeyCount) != 0 || aws.ToBool(out.IsTruncated) {
			t.Errorf("empty bucket listing: %d entries, KeyCount %d, truncated %v", len(out.Contents), aws.ToInt32(out.KeyCount), aws.ToBool(out.IsTruncated))
		}
	})
	t.Run("missing bucket", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("no-such-bucket-6")})
		wantErr(t, err, "NoSuchBucket", http.StatusNotFound)
		_, err = c.ListObjects(ctx(), &s3.ListObjectsInput{Bucket: aws.String("no-such-bucket-6")})
		wantErr(t, err, "NoSuchBucket", http.StatusNotFound)
	})
	t.Run("bad max-keys", func(t *testing.T) {
		r := newRaw(t, srv, http.MethodGet, "/"+b+"?list-type=2&max-keys=abc", nil)
		signV4(t, r, emptySHA256)
		resp, body := do(t, srv, r)
		wantRawErr(t, resp, body, "InvalidArgument", http.StatusBadRequest)
	})
	t.Run("max-keys over 1000 is capped", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(5000)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != len(listFixture) || aws.ToBool(out.IsTruncated) {
			t.Errorf("max-keys=5000: %d entries truncated=%v", len(out.Contents), aws.ToBool(out.IsTruncated))
		}
	})
	t.Run("bad continuation token", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b), ContinuationToken: aws.String("!!not a token!!")})
		wantErr(t, err, "InvalidArgument", http.StatusBadRequest)
	})
}

// pageAll pages through ListObjectsV2 by hand and checks each page.
func pageAll(t *testing.T, c *s3.Client, in s3.ListObjectsV2Input) (objs, prefixes []string, pages int) {
	t.Helper()
	var token *string
	for {
		in := in
		in.ContinuationToken = token
		out, err := c.ListObjectsV2(ctx(), &in)
		if err != nil {
			t.Fatalf("ListObjectsV2 page %d: %v", pages+1, err)
		}
		pages++
		n := len(out.Contents) + len(out.CommonPrefixes)
		if int(aws.ToInt32(out.KeyCount)) != n {
			t.Errorf("page %d: KeyCount %d, but %d entries", pages, aws.ToInt32(out.KeyCount), n)
		}
		if n > int(aws.ToInt32(in.MaxKeys)) {
			t.Errorf("page %d: %d entries > max-keys %d", pages, n, aws.ToInt32(in.MaxKeys))
		}
		if aws.ToString(out.ContinuationToken) != aws.ToString(token) {
			t.Errorf("page %d: ContinuationToken echo %q, want %q", pages, aws.ToString(out.ContinuationToken), aws.ToString(token))
		}
		for _, o := range out.Contents {
			objs = append(objs, aws.ToString(o.Key))
		}
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(p.Prefix))
		}
		if !aws.ToBool(out.IsTruncated) {
			if out.NextContinuationToken != nil {
				t.Errorf("last page has NextContinuationToken %q", *out.NextContinuationToken)
			}
			return objs, prefixes, pages
		}
		if n != int(aws.ToInt32(in.MaxKeys)) {
			t.Errorf("page %d: truncated with only %d of %d entries", pages, n, aws.ToInt32(in.MaxKeys))
		}
		if aws.ToString(out.NextContinuationToken) == "" {
			t.Fatalf("page %d: truncated without NextContinuationToken", pages)
		}
		token = out.NextContinuationToken
		if pages > 100 {
			t.Fatal("more than 100 pages: listing does not advance")
		}
	}
}

func TestListObjectsV2Paging(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := fillBucket(t, c, listFixture)

	cases := []struct {
		prefix, delimiter, startAfter string
		maxKeys                       int32
	}{
		{"", "", "", 7},
		{"", "/", "", 7},
		{"", "", "", 1},
		{"", "/", "", 1},
		{"", "/", "", 2},
		{"", "", "", 25},
		{"", "", "", 24},
		{"d", "/", "", 2},
		{"f", "", "f03", 4},
		{"", "/", "d1/a", 3},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("prefix=%q delimiter=%q start-after=%q max-keys=%d", tc.prefix, tc.delimiter, tc.startAfter, tc.maxKeys)
		t.Run(name, func(t *testing.T) {
			in := s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(tc.maxKeys)}
			if tc.prefix != "" {
				in.Prefix = aws.String(tc.prefix)
			}
			if tc.delimiter != "" {
				in.Delimiter = aws.String(tc.delimiter)
			}
			if tc.startAfter != "" {
				in.StartAfter = aws.String(tc.startAfter)
			}
			wantObjs, wantPrefixes := expectedListing(listFixture, tc.prefix, tc.delimiter, tc.startAfter)
			total := len(wantObjs) + len(wantPrefixes)
			wantPages := max(1, (total+int(tc.maxKeys)-1)/int(tc.maxKeys))

			objs, prefixes, pages := pageAll(t, c, in)
			if !slices.Equal(objs, wantObjs) {
				t.Errorf("by hand: keys = %q, want %q (no duplicates, none missing)", objs, wantObjs)
			}
			if !slices.Equal(prefixes, wantPrefixes) {
				t.Errorf("by hand: prefixes = %q, want %q", prefixes, wantPrefixes)
			}
			if pages != wantPages {
				t.Errorf("by hand: %d pages, want %d", pages, wantPages)
			}

			// The SDK's paginator.
			p := s3.NewListObjectsV2Paginator(c, &in)
			objs, prefixes, pages = nil, nil, 0
			for p.HasMorePages() {
				page, err := p.NextPage(ctx())
				if err != nil {
					t.Fatalf("paginator: %v", err)
				}
				pages++
				for _, o := range page.Contents {
					objs = append(objs, aws.ToString(o.Key))
				}
				for _, cp := range page.CommonPrefixes {
					prefixes = append(prefixes, aws.ToString(cp.Prefix))
				}
				if pages > 100 {
					t.Fatal("paginator does not end")
				}
			}
			if !slices.Equal(objs, wantObjs) || !slices.Equal(prefixes, wantPrefixes) || pages != wantPages {
				t.Errorf("paginator: %d pages, keys %q prefixes %q; want %d pages, %q, %q", pages, objs, prefixes, wantPages, wantObjs, wantPrefixes)
			}
		})
	}
}

func TestListObjectsV1(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := fillBucket(t, c, listFixture)

	t.Run("marker", func(t *testing.T) {
		out, err := c.ListObjects(ctx(), &s3.ListObjectsInput{Bucket: aws.String(b), Marker: aws.String("e/3")})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := expectedListing(listFixture, "", "", "e/3")
		var got []string
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
			if o.Owner == nil || aws.ToString(o.Owner.ID) == "" {
				t.Errorf("v1 entry %q has no Owner (v1 always includes it)", aws.ToString(o.Key))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("marker=e/3: %q, want %q", got, want)
		}
		if aws.ToString(out.Marker) != "e/3" {
			t.Errorf("Marker echo = %q", aws.ToString(out.Marker))
		}
	})

	for _, tc := range []struct {
		delimiter string
		maxKeys   int32
	}{{"/", 7}, {"/", 1}, {"", 7}, {"", 3}} {
		t.Run(fmt.Sprintf("paging delimiter=%q max-keys=%d", tc.delimiter, tc.maxKeys), func(t *testing.T) {
			wantObjs, wantPrefixes := expectedListing(listFixture, "", tc.delimiter, "")
			var objs, prefixes []string
			marker := ""
			for pages := 1; ; pages++ {
				in := &s3.ListObjectsInput{Bucket: aws.String(b), MaxKeys: aws.Int32(tc.maxKeys)}
				if tc.delimiter != "" {
					in.Delimiter = aws.String(tc.delimiter)
				}
				if marker != "" {
					in.Marker = aws.String(marker)
				}
				out, err := c.ListObjects(ctx(), in)
				if err != nil {
					t.Fatal(err)
				}
				var last string
				for _, o := range out.Contents {
					objs = append(objs, aws.ToString(o.Key))
					last = max(last, aws.ToString(o.Key))
				}
				for _, p := range out.CommonPrefixes {
					prefixes = append(prefixes, aws.ToString(p.Prefix))
					last = max(last, aws.ToString(p.Prefix))
				}
				if !aws.ToBool(out.IsTruncated) {
					break
				}
				if tc.delimiter != "" {
					// With a delimiter S3 returns NextMarker on truncated pages.
					if aws.ToString(out.NextMarker) != last {
						t.Errorf("page %d: NextMarker = %q, want %q (last key or prefix)", pages, aws.ToString(out.NextMarker), last)
					}
				}
				next := aws.ToString(out.NextMarker)
				if next == "" {
					next = last
				}
				marker = next
				if pages > 100 {
					t.Fatal("v1 listing does not advance")
				}
			}
			if !slices.Equal(objs, wantObjs) || !slices.Equal(prefixes, wantPrefixes) {
				t.Errorf("v1 paging: %q %q, want %q %q", objs, prefixes, wantObjs, wantPrefixes)
			}
		})
	}
}

func TestListObjectsFetchOwner(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := fillBucket(t, c, []string{"a", "b"})
	lb, err := c.ListBuckets(ctx(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	ownerID := aws.ToString(lb.Owner.ID)
	out, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b), FetchOwner: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		if o.Owner == nil || aws.ToString(o.Owner.ID) != ownerID {
			t.Errorf("fetch-owner=true: entry %q Owner = %+v, want ID %q", aws.ToString(o.Key), o.Owner, ownerID)
		}
	}
	out, err = c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b), FetchOwner: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		if o.Owner != nil {
			t.Errorf("fetch-owner=false: entry %q has Owner %+v", aws.ToString(o.Key), o.Owner)
		}
	}
}

// rawListResult is the part of ListBucketResult the encoding tests read.
type rawListResult struct {
	EncodingType string `xml:"EncodingType"`
	Prefix       string `xml:"Prefix"`
	Delimiter    string `xml:"Delimiter"`
	StartAfter   string `xml:"StartAfter"`
	Marker       string `xml:"Marker"`
	KeyCount     int    `xml:"KeyCount"`
	Contents     []struct {
		Key string `xml:"Key"`
	} `xml:"Contents"`
	CommonPrefixes []struct {
		Prefix string `xml:"Prefix"`
	} `xml:"CommonPrefixes"`
}

func TestListObjectsEncodingTypeURL(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	keys := []string{"a b/c d.txt", "ünï/cödé", "plus+sign", "amp&lt", "pct%20", "日本/語", "tab\there", "ctl\x01char"}
	b := fillBucket(t, c, keys)

	listRaw := func(t *testing.T, query string) rawListResult {
		t.Helper()
		r := newRaw(t, srv, http.MethodGet, "/"+b+"?"+query, nil)
		signV4(t, r, emptySHA256)
		resp, body := do(t, srv, r)
		wantStatus(t, resp, body, http.StatusOK)
		var res rawListResult
		if err := xml.Unmarshal(body, &res); err != nil {
			t.Fatalf("ListBucketResult: %v (%s)", err, body)
		}
		return res
	}
	decode := func(t *testing.T, s string) string {
		t.Helper()
		d, err := url.QueryUnescape(s)
		if err != nil {
			t.Errorf("%q is not URL-encoded: %v", s, err)
		}
		return d
	}

	for _, v := range []string{"list-type=2&", ""} {
		name := "v2"
		if v == "" {
			name = "v1"
		}
		t.Run(name, func(t *testing.T) {
			res := listRaw(t, v+"encoding-type=url")
			if res.EncodingType != "url" {
				t.Errorf("EncodingType = %q, want url", res.EncodingType)
			}
			var got []string
			for _, e := range res.Contents {
				if strings.ContainsAny(e.Key, " \t\x01") || strings.ContainsFunc(e.Key, func(r rune) bool { return r > 127 }) {
					t.Errorf("key %q is not URL-encoded", e.Key)
				}
				got = append(got, decode(t, e.Key))
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("decoded keys = %q, want %q", got, want)
			}

			// Prefix, delimiter, start-after are encoded as well.
			q := url.Values{}
			q.Set("encoding-type", "url")
			q.Set("prefix", "ünï/")
			q.Set("delimiter", "/")
			if v != "" {
				q.Set("list-type", "2")
				q.Set("start-after", "ünï/a")
			}
			res = listRaw(t, q.Encode())
			if decode(t, res.Prefix) != "ünï/" || res.Prefix == "ünï/" {
				t.Errorf("Prefix = %q, want URL-encoded ünï/", res.Prefix)
			}
			if v != "" && (decode(t, res.StartAfter) != "ünï/a" || res.StartAfter == "ünï/a") {
				t.Errorf("StartAfter = %q, want URL-encoded ünï/a", res.StartAfter)
			}
			if len(res.Contents) != 1 || decode(t, res.Contents[0].Key) != "ünï/cödé" {
				t.Errorf("prefix listing = %+v", res.Contents)
			}

			// Common prefixes too.
			res = listRaw(t, v+"encoding-type=url&delimiter=%2F")
			var cps []string
			for _, p := range res.CommonPrefixes {
				cps = append(cps, decode(t, p.Prefix))
			}
			if want := []string{"a b/", "ünï/", "日本/"}; !slices.Equal(cps, want) {
				t.Errorf("decoded CommonPrefixes = %q, want %q", cps, want)
			}
		})
	}
	t.Run("invalid encoding-type", func(t *testing.T) {
		r := newRaw(t, srv, http.MethodGet, "/"+b+"?list-type=2&encoding-type=base64", nil)
		signV4(t, r, emptySHA256)
		resp, body := do(t, srv, r)
		wantRawErr(t, resp, body, "InvalidArgument", http.StatusBadRequest)
	})
	t.Run("minio decodes", func(t *testing.T) {
		// minio-go always asks for encoding-type=url and decodes.
		for _, v1 := range []bool{false, true} {
			var got []string
			for o := range srv.Minio().ListObjects(ctx(), b, minio.ListObjectsOptions{Recursive: true, UseV1: v1}) {
				if o.Err != nil {
					t.Fatalf("minio ListObjects v1=%v: %v", v1, o.Err)
				}
				got = append(got, o.Key)
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("minio v1=%v keys = %q, want %q", v1, got, want)
			}
		}
	})
}

func TestListObjectsMinio(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := fillBucket(t, c, listFixture)
	mc := srv.Minio()
	for _, tc := range []struct {
		prefix    string
		recursive bool
		v1        bool
		maxKeys   int
	}{
		{"", true, false, 7}, {"", false, false, 7}, {"", true, true, 7}, {"", false, true, 7},
		{"d", false, false, 1}, {"d3/", false, false, 0}, {"f", true, true, 4},
	} {
		t.Run(fmt.Sprintf("prefix=%q recursive=%v v1=%v max-keys=%d", tc.prefix, tc.recursive, tc.v1, tc.maxKeys), func(t *testing.T) {
			delim := "/"
			if tc.recursive {
				delim = ""
			}
			wantObjs, wantPrefixes := expectedListing(listFixture, tc.prefix, delim, "")
			want := slices.Concat(wantObjs, wantPrefixes)
			slices.Sort(want)
			var got []string
			for o := range mc.ListObjects(ctx(), b, minio.ListObjectsOptions{Prefix: tc.prefix, Recursive: tc.recursive, UseV1: tc.v1, MaxKeys: tc.maxKeys}) {
				if o.Err != nil {
					t.Fatalf("minio ListObjects: %v", o.Err)
				}
				got = append(got, o.Key)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("minio listing = %q, want %q", got, want)
			}
		})
	}
}
