package s3api

import (
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

// Browser form uploads (AWS "POST Object"): POST /bucket with a
// multipart/form-data body whose fields are PutObject's headers, a POST
// policy signed with the uploader's key, and last a "file" part. The form
// is read field by field up to the file part (at most 20 KB), the policy
// verified (sigv4.VerifyPost) and the request authorized like any other;
// then the file part streams straight into the write pipeline, its size
// checked as it goes. Fields after the file are never read: S3 ignores
// them ("Any fields below it are ignored", AWS HTTPPOSTForms).
//
// S3's answers follow the LocalStack TestS3PresignedPost recordings
// (validated against AWS) and raw S3 captures; research12 §6.

// maxPostPreData is S3's limit on the form before the file part:
// "The form data and boundaries (excluding the contents of the file)
// cannot exceed 20KB" (AWS RESTObjectPOST); 20480 in S3's error.
const maxPostPreData = 20480

// maxPostDrain bounds how much of an oversized file is read, only to
// count it, so that EntityTooLarge can report the proposed size as S3
// does. It is S3's largest single upload (5 GiB).
const maxPostDrain = 5 << 30

// postUpload is a browser upload read up to its file part.
type postUpload struct {
	form sigv4.PostForm
	file *multipart.Part
	// filename is the file part's filename parameter, after the last / or \.
	filename    string
	hasFilename bool
	// min and max bound the file size (content-length-range); max -1: none.
	min, max int64
}

// postAuthFields are form fields that authenticate the form; they never
// become object attributes.
var postAuthFields = map[string]bool{
	"policy": true, "x-amz-signature": true, "x-amz-algorithm": true, "x-amz-credential": true,
	"x-amz-date": true, "x-amz-security-token": true, "awsaccesskeyid": true, "signature": true,
}

// postContentHeaders are the REST headers a form may set (AWS
// RESTObjectPOST: "Cache-Control, Content-Type, Content-Disposition,
// Content-Encoding, Expires"; Content-MD5 in its prose).
var postContentHeaders = map[string]bool{
	"cache-control": true, "content-type": true, "content-disposition": true,
	"content-encoding": true, "content-language": true, "expires": true, "content-md5": true,
}

// servePost authenticates a browser upload by its form, then runs it as
// any other request.
func (h *Handler) servePost(w http.ResponseWriter, r *http.Request, op Op) error {
	up, err := readPostForm(r, op.Bucket)
	if err != nil {
		return err
	}
	key := up.form.Fields["key"]
	if key == "" {
		// Raw S3 XML, nukulb/s3-angular-file-upload#1 and grafana/k6#1382.
		return s3err.InvalidArgumentf("key", "", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	if up.file == nil {
		// vue-dropzone#303, boto3#934.
		return s3err.InvalidArgumentf("file", "0", "POST requires exactly one file upload per request.")
	}
	auth, err := h.cfg.Verifier.VerifyPost(r.Context(), up.form)
	if err != nil {
		return err
	}
	up.min, up.max = auth.MinLength, auth.MaxLength
	hd, err := postHeaders(up.form.Fields)
	if err != nil {
		return err
	}
	// The rest of the house reads a write's attributes from headers: give
	// it a request whose headers are the form's fields.
	fr := r.Clone(r.Context())
	fr.Header = hd
	op.Key = key
	res := &sigv4.Result{Credential: auth.Credential, Anonymous: auth.Anonymous, Body: io.NopCloser(up.file), DecodedLength: -1}
	return h.run(&request{op: op, r: fr, w: w, auth: res, post: up})
}

// readPostForm reads a form's fields up to its file part. Names are
// lower-cased (they are case-insensitive, AWS sigv4-post-example); a
// repeated field's values are comma-joined (AWS HTTPPOSTForms).
// ${filename} in any field but the authenticating ones is replaced by the
// file's name — unless the file part has no filename parameter, where S3
// keeps it literally (LocalStack test_post_object_with_file_as_string).
func readPostForm(r *http.Request, bucket string) (*postUpload, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		// LocalStack test_presigned_post_with_different_content_type (not the
		// documented RequestIsNotMultiPartContent).
		return nil, s3err.New(s3err.PreconditionFailed).With("Condition", "Bucket POST must be of the enclosure-type multipart/form-data")
	}
	if params["boundary"] == "" {
		return nil, s3err.New(s3err.MalformedPOSTRequest)
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	up := &postUpload{form: sigv4.PostForm{Fields: map[string]string{}, Bucket: bucket}}
	used := 0
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, s3err.New(s3err.MalformedPOSTRequest)
		}
		_, disp, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		name := strings.ToLower(disp["name"])
		if name == "file" {
			up.file = part
			up.filename, up.hasFilename = disp["filename"]
			up.filename = up.filename[strings.LastIndexAny(up.filename, `/\`)+1:]
			break
		}
		used += len(params["boundary"]) + 8 + len(part.Header.Get("Content-Disposition"))
		if name == "" {
			continue // not a form field; nothing a browser sends
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(max(maxPostPreData-used, 0)+1)))
		if err != nil {
			return nil, s3err.New(s3err.MalformedPOSTRequest)
		}
		if used += len(v); used > maxPostPreData {
			return nil, s3err.New(s3err.MaxPostPreDataLengthExceeded).With("MaxPostPreDataLengthBytes", strconv.Itoa(maxPostPreData))
		}
		f := &up.form
		if old, ok := f.Fields[name]; ok {
			f.Fields[name] = old + "," + string(v)
			continue
		}
		f.Fields[name] = string(v)
		f.Order = append(f.Order, name)
	}
	if up.hasFilename {
		for name, v := range up.form.Fields {
			if !postAuthFields[name] {
				up.form.Fields[name] = strings.ReplaceAll(v, "${filename}", up.filename)
			}
		}
	}
	return up, nil
}

// postHeaders turns the form fields that PutObject takes as headers into
// those headers, so one set of parsers (metadata, checksums, encryption,
// Object Lock, storage class) serves both.
func postHeaders(fields map[string]string) (http.Header, error) {
	hd := http.Header{}
	for name, v := range fields {
		switch {
		case postContentHeaders[name]:
			hd.Set(name, v)
		case name == "acl":
			hd.Set("x-amz-acl", v)
		case name == "x-amz-checksum-algorithm":
			// The form's name for PutObject's x-amz-sdk-checksum-algorithm.
			hd.Set("x-amz-sdk-checksum-algorithm", v)
		case strings.HasPrefix(name, "x-amz-") && !postAuthFields[name]:
			hd.Set(name, v)
		}
	}
	if v, ok := fields["tagging"]; ok {
		tags, err := postTagging(v)
		if err != nil {
			return nil, err
		}
		hd.Set("x-amz-tagging", tags)
	} else if _, err := taggingHeader(hd); err != nil {
		return nil, err
	}
	return hd, nil
}

// postTagging reads the form's tagging field, a Tagging XML document, into
// x-amz-tagging's encoding. S3 takes any root element: <InvalidXmlTagging/>
// is an empty tag set, while text that is not XML is MalformedXML
// (LocalStack test_post_object_with_tags).
func postTagging(v string) (string, error) {
	var doc struct {
		TagSet []tag `xml:"TagSet>Tag"`
	}
	if err := xml.Unmarshal([]byte(v), &doc); err != nil {
		return "", s3err.New(s3err.MalformedXML)
	}
	return validTags(doc.TagSet)
}

// postObject writes a browser upload's file and answers as the form asks.
func (h *Handler) postObject(q *request) error {
	up := q.post
	body := engine.BodyInput{
		Body: &postBody{r: up.file, min: up.min, max: up.max},
		Size: -1, ContentMD5: q.r.Header.Get("Content-MD5"),
	}
	var err error
	if body.Checksum, err = checksumInput(q.r.Header, nil); err != nil {
		return err
	}
	attrs, err := q.lockedWriteAttrs()
	if err != nil {
		return err
	}
	// The form's acl field (now x-amz-acl) is honoured or refused exactly
	// as on PutObject, and decides the object's owner the same way.
	var owner engine.Owner
	if attrs.ACL, owner, err = h.objectWriteACL(q); err != nil {
		return err
	}
	obj, err := h.cfg.Engine.PutObject(q.ctx(), engine.PutInput{
		Bucket: q.op.Bucket, Key: q.op.Key, Owner: owner, Body: body, Attrs: attrs,
	})
	if err != nil {
		return err
	}
	h.setWriteHeaders(q, obj)
	etag := quoteETag(obj.ETag)
	location := h.objectURL(q)
	f := up.form.Fields
	redirect, ok := f["success_action_redirect"]
	if !ok {
		redirect = f["redirect"] // the deprecated name (AWS RESTObjectPOST)
	}
	if u, err := url.Parse(redirect); err == nil && u.IsAbs() && u.Host != "" {
		// 303 to the page with bucket, key and etag appended (AWS
		// HTTPPOSTForms; s3-tests success_redirect_action expects
		// etag=%22<md5>%22). A URL S3 cannot interpret is ignored
		// (LocalStack: a relative one gave 204).
		extra := "bucket=" + url.QueryEscape(q.op.Bucket) + "&key=" + url.QueryEscape(q.op.Key) + "&etag=" + url.QueryEscape(etag)
		if u.RawQuery != "" {
			u.RawQuery += "&" + extra
		} else {
			u.RawQuery = extra
		}
		q.w.Header().Set("Location", u.String())
		q.w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	q.w.Header().Set("Location", location)
	switch f["success_action_status"] {
	case "200":
		q.w.WriteHeader(http.StatusOK)
	case "201":
		// s3rver#504 capture of S3: no namespace; Location percent-encoded,
		// Key raw.
		writeXML(q.w, http.StatusCreated, postResponse{Location: location, Bucket: q.op.Bucket, Key: q.op.Key, ETag: etag})
	default:
		// Absent or invalid (s3-tests set_invalid_success_code): 204.
		q.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// objectURL is the new object's URL as S3 reports it in Location: the
// key percent-encoded, "/" included (s3rver#504, ceph tracker 20330).
func (h *Handler) objectURL(q *request) string {
	scheme := "http"
	if q.r.TLS != nil {
		scheme = "https"
	}
	base := scheme + "://" + q.r.Host + "/"
	if hostBucket(q.r.Host, h.cfg.Domains) == "" {
		base += url.PathEscape(q.op.Bucket) + "/"
	}
	return base + url.PathEscape(q.op.Key)
}

// postBody is the file part as the write pipeline reads it, held to the
// policy's content-length-range while it streams: nothing is buffered,
// and a size out of range fails the read, so nothing is committed.
type postBody struct {
	r        io.Reader
	n        int64
	min, max int64
}

func (b *postBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.max >= 0 && b.n > b.max {
		// S3 reports the whole proposed size (LocalStack
		// test_post_object_policy_validation_size): count the rest.
		rest, _ := io.CopyN(io.Discard, b.r, maxPostDrain)
		return 0, s3err.New(s3err.EntityTooLarge).
			With("ProposedSize", fmt.Sprint(b.n+rest)).With("MaxSizeAllowed", fmt.Sprint(b.max))
	}
	if err == io.EOF && b.n < b.min {
		return n, s3err.New(s3err.EntityTooSmall).
			With("ProposedSize", fmt.Sprint(b.n)).With("MinSizeAllowed", fmt.Sprint(b.min))
	}
	return n, err
}
