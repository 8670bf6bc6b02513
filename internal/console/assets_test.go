package console

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The console has no build step, so nothing else notices a module that
// imports a file that is not there, or a page naming an asset that is not
// embedded: every local reference must resolve to an embedded file, and
// nothing may point off the origin.
func TestAssetReferencesResolve(t *testing.T) {
	refs := regexp.MustCompile(`(?:from\s+|import\s*\(\s*|src=|href=)"([^"#]+)"`)
	err := fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, path)
		if err != nil {
			return err
		}
		for _, m := range refs.FindAllStringSubmatch(string(b), -1) {
			ref := m[1]
			if strings.HasPrefix(ref, "data:") {
				continue
			}
			if strings.Contains(ref, "//") {
				t.Errorf("%s refers to %q: the console loads nothing from elsewhere", path, ref)
				continue
			}
			target := "assets/" + strings.TrimPrefix(ref, "./")
			if _, err := fs.Stat(assets, target); err != nil {
				t.Errorf("%s refers to %q, which is not embedded", path, ref)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every embedded file is served under Prefix with a type the browser
// accepts (a module script must be JavaScript) and the console's CSP.
func TestAssetsServed(t *testing.T) {
	h := New(Config{})
	want := map[string]string{"": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
	for name, ctype := range want {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Prefix+name, nil))
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %q, want 200 %s", name, rec.Code, rec.Header().Get("Content-Type"), ctype)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", name, csp)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Root, nil))
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != Prefix {
		t.Errorf("%s: %d → %q", Root, rec.Code, rec.Header().Get("Location"))
	}
}
