package s3api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// kindConstants returns every Kind constant declared in the package's
// non-test sources, read from the source so a new constant is checked
// without editing this test.
func kindConstants(t *testing.T) []Kind {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Kind" {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: Kind constant %s is not a string literal", name, vs.Names[0])
					}
					s, _ := strconv.Unquote(lit.Value)
					kinds = append(kinds, Kind(s))
				}
			}
		}
	}
	if len(kinds) == 0 {
		t.Fatal("found no Kind constants")
	}
	slices.Sort(kinds)
	return kinds
}

// reqKey is a row's requirement set in a comparable form.
func reqKey(w when) string {
	subs := slices.Clone(w.sub)
	slices.Sort(subs)
	return strings.Join(subs, "&") + "|copy=" + strconv.FormatBool(w.copySource) + "|" + w.param + "=" + w.value
}

func TestRoutesUnambiguous(t *testing.T) {
	for i, a := range routes {
		if len(slices.Compact(slices.Sorted(slices.Values(a.when.sub)))) != len(a.when.sub) {
			t.Errorf("row %d (%s): repeated sub-resource in %v", i, a.kind, a.when.sub)
		}
		for j := i + 1; j < len(routes); j++ {
			b := routes[j]
			sameMethod := a.method == b.method || a.method == anyMethod || b.method == anyMethod
			if a.target == b.target && sameMethod && reqKey(a.when) == reqKey(b.when) {
				t.Errorf("rows %d (%s %s %q) and %d (%s %s %q) match the same requests",
					i, a.method, a.target, a.kind, j, b.method, b.target, b.kind)
			}
		}
	}
}

func TestRoutesEveryKindOnce(t *testing.T) {
	rows := map[Kind]int{}
	for _, rt := range routes {
		if rt.kind == "" {
			if rt.serve != nil || len(rt.actions) != 0 || len(rt.when.sub) == 0 {
				t.Errorf("not-implemented row %s %s %v must name a sub-resource and have no handler or actions", rt.method, rt.target, rt.when.sub)
			}
			continue
		}
		rows[rt.kind]++
		if rt.method == anyMethod {
			t.Errorf("%s: an operation row needs a method", rt.kind)
		}
		if rt.serve == nil {
			t.Errorf("%s: no handler", rt.kind)
		}
		if len(rt.actions) == 0 && !beforeAuth[rt.kind] {
			t.Errorf("%s: no IAM actions", rt.kind)
		}
		if len(rt.actions) != 0 && beforeAuth[rt.kind] {
			t.Errorf("%s: answered before authentication, yet has IAM actions %v", rt.kind, rt.actions)
		}
		for _, a := range rt.actions {
			if !strings.HasPrefix(a, "s3:") || len(a) == len("s3:") {
				t.Errorf("%s: bad IAM action %q", rt.kind, a)
			}
		}
	}
	consts := kindConstants(t)
	for _, k := range consts {
		if rows[k] != 1 {
			t.Errorf("%s has %d rows, want 1", k, rows[k])
		}
	}
	for k := range rows {
		if !slices.Contains(consts, k) {
			t.Errorf("row for %s, which is not a Kind constant", k)
		}
	}
}

func TestOperations(t *testing.T) {
	ops := Operations()
	if !slices.IsSorted(ops) {
		t.Errorf("Operations() not sorted: %v", ops)
	}
	if want := kindConstants(t); !slices.Equal(ops, want) {
		t.Errorf("Operations() = %v\nwant %v", ops, want)
	}
}

// TestRoutesReachable builds, for every row, the smallest request that
// meets its requirements and checks it routes there: a more general row
// never shadows a more specific one.
func TestRoutesReachable(t *testing.T) {
	for _, rt := range routes {
		path := map[target]string{onService: "/", onBucket: "/b", onObject: "/b/k"}[rt.target]
		q := url.Values{}
		for _, s := range rt.when.sub {
			q.Set(s, "")
		}
		if rt.when.param != "" {
			q.Set(rt.when.param, rt.when.value)
		}
		method := rt.method
		if method == anyMethod {
			method = "PATCH"
		}
		r := httptest.NewRequest(method, path+"?"+q.Encode(), nil)
		if rt.when.copySource {
			r.Header.Set("x-amz-copy-source", "src/key")
		}
		op, err := parse(r, nil)
		if rt.kind == "" {
			if !s3err.HasCode(err, s3err.NotImplemented) {
				t.Errorf("%s %s: err = %v, want NotImplemented", method, r.URL, err)
			}
			continue
		}
		if err != nil || op.Kind != rt.kind {
			t.Errorf("%s %s (copy-source %v): got %q, %v; want %s", method, r.URL, rt.when.copySource, op.Kind, err, rt.kind)
		}
	}
}

func TestRouteRules(t *testing.T) {
	tests := []struct {
		method, target string
		copySource     bool
		kind           Kind
		code           s3err.Code
		message        string
	}{
		// The most specific row wins, in either order of its requirements.
		{"PUT", "/b/k?uploadId=u&partNumber=2", true, UploadPartCopy, "", ""},
		{"PUT", "/b/k?partNumber=2&uploadId=u", false, UploadPart, "", ""},
		{"GET", "/b?list-type=1", false, ListObjects, "", ""},
		{"GET", "/b?list-type=2&list-type=1", false, ListObjectsV2, "", ""},
		{"GET", "/b?uploads&prefix=a&upload-id-marker=x", false, ListMultipartUploads, "", ""},
		{"GET", "/b/k?uploadId=u&max-parts=3", false, ListParts, "", ""},
		{"GET", "/b/k?acl&versionId=v", false, GetObjectAcl, "", ""},
		{"PUT", "/b?location", false, CreateBucket, "", ""},
		{"HEAD", "/b/k?acl", false, HeadObject, "", ""},
		{"GET", "/?acl", false, ListBuckets, "", ""},
		// An empty copy-source header is no copy.
		{"PUT", "/b/k", false, PutObject, "", ""},
		// Unimplemented sub-resources answer NotImplemented whatever the
		// method, even beside an implemented row's requirements.
		{"PATCH", "/b/k?select", false, "", s3err.NotImplemented, "A header you provided implies functionality that is not implemented"},
		{"GET", "/b?versions&list-type=2", false, "", s3err.NotImplemented, ""},
		{"PUT", "/b/k?retention&uploadId=u", true, "", s3err.NotImplemented, ""},
		{"GET", "/b?tagging", false, GetBucketTagging, "", ""},
		{"GET", "/b?analytics&id=a", false, GetBucketAnalyticsConfiguration, "", ""},
		{"GET", "/b?metrics", false, ListBucketMetricsConfigurations, "", ""},
		{"DELETE", "/b?inventory&id=i", false, DeleteBucketInventoryConfiguration, "", ""},
		{"PUT", "/b?intelligent-tiering", false, PutBucketIntelligentTieringConfiguration, "", ""},
		{"GET", "/b/k?legal-hold", false, GetObjectLegalHold, "", ""},
		// A preflight is a preflight whatever the query names: S3 answers
		// it from the CORS rules before any operation.
		{"OPTIONS", "/b?website", false, OptionsBucket, "", ""},
		{"OPTIONS", "/b/k?uploadId=u&partNumber=1", false, OptionsObject, "", ""},
		{"OPTIONS", "/b?cors", false, OptionsBucket, "", ""},
		// A DELETE naming a sub-resource no DELETE row serves is refused,
		// never taken for DeleteObject (which would delete the object).
		{"DELETE", "/b/k?legal-hold", false, "", s3err.MethodNotAllowed, ""},
		{"DELETE", "/b/k?retention&versionId=v", false, "", s3err.MethodNotAllowed, ""},
		{"DELETE", "/b/k?acl", false, "", s3err.MethodNotAllowed, ""},
		{"DELETE", "/b?versioning", false, "", s3err.MethodNotAllowed, ""},
		// No match includes all the others: the combination is not served.
		{"GET", "/b?acl&policy", false, "", s3err.NotImplemented, "A header you provided implies functionality that is not implemented"},
		{"PUT", "/b/k?tagging", true, "", s3err.NotImplemented, ""},
		{"POST", "/b/k?uploads&uploadId=u", false, "", s3err.NotImplemented, ""},
		{"PUT", "/b/k?acl&uploadId=u", true, "", s3err.NotImplemented, ""},
		{"GET", "/b?uploads&list-type=2", false, "", s3err.NotImplemented, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, nil)
			if tc.copySource {
				r.Header.Set("x-amz-copy-source", "src/key")
			}
			op, err := parse(r, nil)
			if tc.code != "" {
				e, ok := s3err.As(err)
				if !ok || e.Code != tc.code {
					t.Fatalf("err = %v, want %s", err, tc.code)
				}
				if tc.message != "" && e.Message != tc.message {
					t.Fatalf("message %q, want %q", e.Message, tc.message)
				}
				return
			}
			if err != nil || op.Kind != tc.kind {
				t.Fatalf("got %q, %v; want %s", op.Kind, err, tc.kind)
			}
		})
	}
}

func TestRouteMethodNotAllowed(t *testing.T) {
	for _, tc := range []struct{ method, target, resource string }{
		{"PUT", "/", "SERVICE"},
		{"DELETE", "/", "SERVICE"},
		{"PATCH", "/b?acl", "BUCKET"},
		{"POST", "/b/k", "OBJECT"},
		{"PATCH", "/b/k?tagging", "OBJECT"},
		{"OPTIONS", "/", "SERVICE"},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		_, err := parse(r, nil)
		e, ok := s3err.As(err)
		if !ok || e.Code != s3err.MethodNotAllowed || e.Field("Method") != tc.method || e.Field("ResourceType") != tc.resource {
			t.Errorf("%s %s: err = %#v, want MethodNotAllowed %s %s", tc.method, tc.target, err, tc.method, tc.resource)
		}
	}
}

// TestActionsFor pins the IAM actions each operation needs: moving them into
// the route table changed none of them.
func TestActionsFor(t *testing.T) {
	want := map[Kind][]string{
		ListBuckets:                     {"s3:ListAllMyBuckets"},
		CreateBucket:                    {"s3:CreateBucket"},
		HeadBucket:                      {"s3:ListBucket"},
		DeleteBucket:                    {"s3:DeleteBucket"},
		GetBucketLocation:               {"s3:GetBucketLocation"},
		ListObjects:                     {"s3:ListBucket"},
		ListObjectsV2:                   {"s3:ListBucket"},
		DeleteObjects:                   {"s3:DeleteObject"},
		ListMultipartUploads:            {"s3:ListBucketMultipartUploads"},
		PutObject:                       {"s3:PutObject"},
		PostObject:                      {"s3:PutObject"},
		CopyObject:                      {"s3:PutObject"},
		GetObject:                       {"s3:GetObject"},
		HeadObject:                      {"s3:GetObject"},
		GetObjectAttributes:             {"s3:GetObject", "s3:GetObjectAttributes"},
		DeleteObject:                    {"s3:DeleteObject"},
		CreateMultipartUpload:           {"s3:PutObject"},
		UploadPart:                      {"s3:PutObject"},
		UploadPartCopy:                  {"s3:PutObject"},
		CompleteMultipartUpload:         {"s3:PutObject"},
		AbortMultipartUpload:            {"s3:AbortMultipartUpload"},
		ListParts:                       {"s3:ListMultipartUploadParts"},
		PutBucketPolicy:                 {"s3:PutBucketPolicy"},
		GetBucketPolicy:                 {"s3:GetBucketPolicy"},
		DeleteBucketPolicy:              {"s3:DeleteBucketPolicy"},
		PutBucketRequestPayment:         {"s3:PutBucketRequestPayment"},
		GetBucketRequestPayment:         {"s3:GetBucketRequestPayment"},
		GetBucketAcl:                    {"s3:GetBucketAcl"},
		PutBucketAcl:                    {"s3:PutBucketAcl"},
		GetObjectAcl:                    {"s3:GetObjectAcl"},
		PutObjectAcl:                    {"s3:PutObjectAcl"},
		GetObjectTagging:                {"s3:GetObjectTagging"},
		PutObjectTagging:                {"s3:PutObjectTagging"},
		DeleteObjectTagging:             {"s3:DeleteObjectTagging"},
		GetBucketVersioning:             {"s3:GetBucketVersioning"},
		PutBucketVersioning:             {"s3:PutBucketVersioning"},
		ListObjectVersions:              {"s3:ListBucketVersions"},
		PutObjectLockConfiguration:      {"s3:PutBucketObjectLockConfiguration"},
		GetObjectLockConfiguration:      {"s3:GetBucketObjectLockConfiguration"},
		PutObjectRetention:              {"s3:PutObjectRetention"},
		GetObjectRetention:              {"s3:GetObjectRetention"},
		PutObjectLegalHold:              {"s3:PutObjectLegalHold"},
		GetObjectLegalHold:              {"s3:GetObjectLegalHold"},
		GetBucketLifecycleConfiguration: {"s3:GetLifecycleConfiguration"},
		PutBucketLifecycleConfiguration: {"s3:PutLifecycleConfiguration"},
		DeleteBucketLifecycle:           {"s3:PutLifecycleConfiguration"},
		PutBucketEncryption:             {"s3:PutEncryptionConfiguration"},
		GetBucketEncryption:             {"s3:GetEncryptionConfiguration"},
		// S3 has no s3:DeleteEncryptionConfiguration: deleting needs the Put action.
		DeleteBucketEncryption: {"s3:PutEncryptionConfiguration"},
		PutBucketCors:          {"s3:PutBucketCORS"},
		GetBucketCors:          {"s3:GetBucketCORS"},
		// S3 has no s3:DeleteBucketCORS (API_DeleteBucketCors).
		DeleteBucketCors: {"s3:PutBucketCORS"},
		// Preflights are answered before authentication.
		OptionsBucket: nil,
		OptionsObject: nil,

		// Bucket configuration (S3 actions reference; a Delete without an
		// action of its own needs the Put action).
		GetBucketWebsite:                            {"s3:GetBucketWebsite"},
		PutBucketWebsite:                            {"s3:PutBucketWebsite"},
		DeleteBucketWebsite:                         {"s3:DeleteBucketWebsite"},
		GetBucketAccelerateConfiguration:            {"s3:GetAccelerateConfiguration"},
		PutBucketAccelerateConfiguration:            {"s3:PutAccelerateConfiguration"},
		GetBucketLogging:                            {"s3:GetBucketLogging"},
		PutBucketLogging:                            {"s3:PutBucketLogging"},
		GetBucketReplication:                        {"s3:GetReplicationConfiguration"},
		PutBucketReplication:                        {"s3:PutReplicationConfiguration"},
		DeleteBucketReplication:                     {"s3:PutReplicationConfiguration"},
		GetBucketNotificationConfiguration:          {"s3:GetBucketNotification"},
		PutBucketNotificationConfiguration:          {"s3:PutBucketNotification"},
		ListBucketAnalyticsConfigurations:           {"s3:GetAnalyticsConfiguration"},
		GetBucketAnalyticsConfiguration:             {"s3:GetAnalyticsConfiguration"},
		PutBucketAnalyticsConfiguration:             {"s3:PutAnalyticsConfiguration"},
		DeleteBucketAnalyticsConfiguration:          {"s3:PutAnalyticsConfiguration"},
		ListBucketMetricsConfigurations:             {"s3:GetMetricsConfiguration"},
		GetBucketMetricsConfiguration:               {"s3:GetMetricsConfiguration"},
		PutBucketMetricsConfiguration:               {"s3:PutMetricsConfiguration"},
		DeleteBucketMetricsConfiguration:            {"s3:PutMetricsConfiguration"},
		ListBucketInventoryConfigurations:           {"s3:GetInventoryConfiguration"},
		GetBucketInventoryConfiguration:             {"s3:GetInventoryConfiguration"},
		PutBucketInventoryConfiguration:             {"s3:PutInventoryConfiguration"},
		DeleteBucketInventoryConfiguration:          {"s3:PutInventoryConfiguration"},
		ListBucketIntelligentTieringConfigurations:  {"s3:GetIntelligentTieringConfiguration"},
		GetBucketIntelligentTieringConfiguration:    {"s3:GetIntelligentTieringConfiguration"},
		PutBucketIntelligentTieringConfiguration:    {"s3:PutIntelligentTieringConfiguration"},
		DeleteBucketIntelligentTieringConfiguration: {"s3:PutIntelligentTieringConfiguration"},
		GetBucketTagging:                            {"s3:GetBucketTagging"},
		PutBucketTagging:                            {"s3:PutBucketTagging"},
		DeleteBucketTagging:                         {"s3:PutBucketTagging"},
		GetBucketOwnershipControls:                  {"s3:GetBucketOwnershipControls"},
		PutBucketOwnershipControls:                  {"s3:PutBucketOwnershipControls"},
		DeleteBucketOwnershipControls:               {"s3:PutBucketOwnershipControls"},
		GetPublicAccessBlock:                        {"s3:GetBucketPublicAccessBlock"},
		PutPublicAccessBlock:                        {"s3:PutBucketPublicAccessBlock"},
		DeletePublicAccessBlock:                     {"s3:PutBucketPublicAccessBlock"},
		GetBucketPolicyStatus:                       {"s3:GetBucketPolicyStatus"},
	}
	for _, k := range kindConstants(t) {
		if got := actionsFor(k, false); !slices.Equal(got, want[k]) {
			t.Errorf("actionsFor(%s) = %v, want %v", k, got, want[k])
		}
	}
	// Naming a version needs the …Version action instead (S3 actions reference).
	for k, want := range map[Kind][]string{
		GetObject: {"s3:GetObjectVersion"}, HeadObject: {"s3:GetObjectVersion"}, DeleteObject: {"s3:DeleteObjectVersion"},
		GetObjectTagging: {"s3:GetObjectVersionTagging"}, PutObject: {"s3:PutObject"},
	} {
		if got := actionsFor(k, true); !slices.Equal(got, want) {
			t.Errorf("actionsFor(%s, versioned) = %v, want %v", k, got, want)
		}
	}
	if got := actionsFor("NoSuchOperation", false); !slices.Equal(got, []string{"s3:NoSuchOperation"}) {
		t.Errorf("actionsFor(unknown) = %v", got)
	}
}
