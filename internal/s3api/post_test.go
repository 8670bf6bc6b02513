package s3api

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// postTestForm builds a form: fields, then a file part with the given
// Content-Disposition parameters.
func postTestForm(fields [][2]string, fileDisp string, data string) (string, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	if fileDisp != "" {
		h := map[string][]string{"Content-Disposition": {fileDisp}}
		p, _ := w.CreatePart(h)
		io.WriteString(p, data)
	}
	w.Close()
	return b.String(), w.FormDataContentType()
}

func TestReadPostForm(t *testing.T) {
	cases := []struct {
		name     string
		fields   [][2]string
		fileDisp string
		want     map[string]string // fields after reading; nil → expect code
		code     s3err.Code
		filename string
	}{
		// AWS sigv4-HTTPPOSTForms: ${filename} is the text after the last / or \.
		{"filename", [][2]string{{"Key", "u/${filename}"}}, `form-data; name="file"; filename="C:\\dir\\a.txt"`,
			map[string]string{"key": "u/a.txt"}, "", "a.txt"},
		// LocalStack test_post_object_with_file_as_string: no filename → kept.
		{"no filename", [][2]string{{"key", "u/${filename}"}}, `form-data; name="file"`,
			map[string]string{"key": "u/${filename}"}, "", ""},
		// AWS HTTPPOSTForms: repeated fields are comma-joined.
		{"repeated", [][2]string{{"x-amz-meta-tag", "Ninja"}, {"X-Amz-Meta-Tag", "Stallman"}}, `form-data; name="FILE"; filename="f"`,
			map[string]string{"x-amz-meta-tag": "Ninja,Stallman"}, "", "f"},
		// s3_direct_upload#45: more than 20 KB before the file.
		{"too large", [][2]string{{"x-ignore-a", strings.Repeat("x", 20500)}}, `form-data; name="file"; filename="f"`,
			nil, s3err.MaxPostPreDataLengthExceeded, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, ct := postTestForm(c.fields, c.fileDisp, "data")
			r, _ := http.NewRequest(http.MethodPost, "/b", strings.NewReader(body))
			r.Header.Set("Content-Type", ct)
			up, err := readPostForm(r, "b")
			if c.want == nil {
				if !s3err.HasCode(err, c.code) {
					t.Fatalf("got %v, want %s", err, c.code)
				}
				return
			}
			if err != nil || up.file == nil || up.filename != c.filename {
				t.Fatalf("got %+v, %v", up, err)
			}
			for k, v := range c.want {
				if up.form.Fields[k] != v {
					t.Errorf("%s = %q, want %q", k, up.form.Fields[k], v)
				}
			}
			if got, _ := io.ReadAll(up.file); string(got) != "data" {
				t.Errorf("file %q", got)
			}
		})
	}
}

// FuzzReadPostForm feeds the form reader arbitrary bodies: it answers an
// S3 error or a form within S3's 20 KB limit, and never panics.
func FuzzReadPostForm(f *testing.F) {
	body, ct := postTestForm([][2]string{{"key", "k/${filename}"}, {"policy", "e30="}}, `form-data; name="file"; filename="a/b"`, "xyz")
	f.Add(body, ct)
	f.Add("--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--x--\r\n", "multipart/form-data; boundary=x")
	f.Add("", "text/html")
	f.Fuzz(func(t *testing.T, body, ct string) {
		r, _ := http.NewRequest(http.MethodPost, "/b", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		up, err := readPostForm(r, "b")
		if err != nil {
			if _, ok := s3err.As(err); !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			return
		}
		n := 0
		for k, v := range up.form.Fields {
			n += len(k) + len(v)
		}
		// ${filename} expansion may lengthen fields after the limit is checked.
		if n > maxPostPreData && !up.hasFilename {
			t.Fatalf("%d bytes of fields accepted", n)
		}
		if up.file != nil {
			io.Copy(io.Discard, up.file)
		}
	})
}
