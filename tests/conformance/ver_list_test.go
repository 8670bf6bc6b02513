package conformance

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// verMarkersFixture builds LocalStack's test_list_objects_versions_markers
// history (recorded against AWS): v1(test_0) v2(test_1) v3(test_2)
// v4(test_2) dm5(test_0) dm6(test_1) dm7(test_2) v8(test_0) v9(test_1).
// ids maps "v1".."v9"/"dm5".."dm7" to the IDs.
func verMarkersFixture(e *verEnv) (string, map[string]string) {
	b := e.bucket(verEnabled)
	ids := map[string]string{}
	ids["v1"] = e.putID(b, "test_0", "1")
	ids["v2"] = e.putID(b, "test_1", "2")
	ids["v3"] = e.putID(b, "test_2", "3")
	ids["v4"] = e.putID(b, "test_2", "4")
	ids["dm5"] = e.marker(b, "test_0")
	ids["dm6"] = e.marker(b, "test_1")
	ids["dm7"] = e.marker(b, "test_2")
	ids["v8"] = e.putID(b, "test_0", "8")
	ids["v9"] = e.putID(b, "test_1", "9")
	return b, ids
}

// TestListObjectVersionsMarkers: order, IsLatest, interleaved markers, and
// the key-marker/version-id-marker rows of LS
// test_list_objects_versions_markers (recorded against AWS).
func TestListObjectVersionsMarkers(t *testing.T) {
	e := verNew(t)
	b, ids := verMarkersFixture(e)
	w := func(key, name string, latest bool) string {
		return verWant(key, ids[name], strings.HasPrefix(name, "dm"), latest)
	}
	all := []string{
		w("test_0", "v8", true), w("test_0", "dm5", false), w("test_0", "v1", false),
		w("test_1", "v9", true), w("test_1", "dm6", false), w("test_1", "v2", false),
		w("test_2", "dm7", true), w("test_2", "v4", false), w("test_2", "v3", false),
	}
	for _, tc := range []struct {
		name, query      string
		want             []string
		truncated        bool
		nextKey, nextVer string
	}{
		// "list-objects-versions-all": by key, newest first, markers interleaved.
		{"all", "", all, false, "", ""},
		// MaxKeys=5 counts versions and markers together; the next markers
		// name the last entry even when it is a marker.
		{"max-keys 5", "max-keys=5", all[:5], true, "test_1", ids["dm6"]},
		// key-marker alone skips every version of that key.
		{"key-marker only", "key-marker=test_1&max-keys=1", all[6:7], true, "test_2", ids["dm7"]},
		{"key-marker last key", "key-marker=test_2", nil, false, "", ""},
		// key-marker + version-id-marker: the entries after that one.
		{"key and version marker", "key-marker=test_1&version-id-marker=" + ids["dm6"] + "&max-keys=1", all[5:6], true, "test_1", ids["v2"]},
		{"key and version marker, last", "key-marker=test_2&version-id-marker=" + ids["v4"] + "&max-keys=1", all[8:], false, "", ""},
		// An empty key-marker is no marker.
		{"empty key-marker", "key-marker=&max-keys=1", all[:1], true, "test_0", ids["v8"]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.list(b, tc.query)
			if got := verIDs(p.Entries); !slices.Equal(got, tc.want) {
				t.Errorf("entries %v\nwant %v", got, tc.want)
			}
			if p.IsTruncated != tc.truncated || deref(p.NextKeyMarker) != tc.nextKey || deref(p.NextVersionIDMarker) != tc.nextVer {
				t.Errorf("IsTruncated %v NextKeyMarker %q NextVersionIdMarker %q, want %v %q %q",
					p.IsTruncated, deref(p.NextKeyMarker), deref(p.NextVersionIDMarker), tc.truncated, tc.nextKey, tc.nextVer)
			}
			// research §5.1: KeyMarker and VersionIdMarker always present; Next* only when truncated.
			if p.KeyMarker == nil || p.VersionIDMarker == nil {
				t.Errorf("KeyMarker/VersionIdMarker elements missing")
			}
			if !tc.truncated && (p.NextKeyMarker != nil || p.NextVersionIDMarker != nil) {
				t.Errorf("Next markers on an untruncated page")
			}
		})
	}

	// versitygw#2174 (raw S3) and the LS recording: version-id-marker without key-marker.
	r := e.raw(http.MethodGet, "/"+b+"?versions&version-id-marker="+ids["dm6"], nil, nil)
	r.wantErr(t, "version-id-marker alone", http.StatusBadRequest, "InvalidArgument", map[string]string{
		"Message": "A version-id marker cannot be specified without a key marker.", "ArgumentName": "version-id-marker", "ArgumentValue": ids["dm6"]})
	// versitygw#1811 (maintainer statement of S3): a malformed version-id-marker.
	r = e.raw(http.MethodGet, "/"+b+"?versions&key-marker=test_1&version-id-marker=invalid", nil, nil)
	r.wantErr(t, "malformed version-id-marker", http.StatusBadRequest, "InvalidArgument", map[string]string{"Message": "Invalid version id specified"})

	// LS test_list_objects_versions_with_prefix_only_and_pagination: a
	// version-id-marker naming a version since deleted still places the
	// listing by the ID's order.
	e.delVersion(b, "test_1", ids["dm6"])
	p := e.list(b, "key-marker=test_1&version-id-marker="+ids["dm6"])
	if got, want := verIDs(p.Entries), append([]string{w("test_1", "v2", false)}, all[6:]...); !slices.Equal(got, want) {
		t.Errorf("after a deleted marker: %v, want %v", got, want)
	}

	// The SDK's own paginator walks the same listing.
	var sdkVersions, sdkMarkers int
	pg := s3.NewListObjectVersionsPaginator(e.c, &s3.ListObjectVersionsInput{Bucket: aws.String(b), MaxKeys: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx())
		if err != nil {
			t.Fatal(err)
		}
		sdkVersions += len(out.Versions)
		sdkMarkers += len(out.DeleteMarkers)
	}
	if sdkVersions != 6 || sdkMarkers != 2 {
		t.Errorf("SDK paginator: %d versions %d markers, want 6 and 2", sdkVersions, sdkMarkers)
	}
}

// TestListObjectVersionsDelimiter: CommonPrefixes count toward MaxKeys; a
// page that ends on a prefix has NextKeyMarker and no NextVersionIdMarker;
// a key-marker inside a prefix group skips the rest of it (LS
// test_list_object_versions_pagination_common_prefixes,
// test_list_objects_versions_with_prefix).
func TestListObjectVersionsDelimiter(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	ids := map[string]string{}
	for _, k := range []string{"folder/aSubfolder/subFile1", "folder/aSubfolder/subFile2", "folder/file1", "folder/file2"} {
		ids[k] = e.putID(b, k, k)
	}
	for _, tc := range []struct {
		name, query      string
		prefixes         []string
		keys             []string
		truncated        bool
		nextKey, nextVer string
	}{
		{"prefix page", "prefix=folder/&delimiter=/&max-keys=1", []string{"folder/aSubfolder/"}, nil, true, "folder/aSubfolder/", ""},
		{"after the prefix", "prefix=folder/&delimiter=/&max-keys=1&key-marker=folder/aSubfolder/", nil, []string{"folder/file1"}, true, "folder/file1", ids["folder/file1"]},
		{"last", "prefix=folder/&delimiter=/&max-keys=1&key-marker=folder/file1", nil, []string{"folder/file2"}, false, "", ""},
		{"marker inside the group", "prefix=folder/&delimiter=/&max-keys=1&key-marker=folder/aSubfolder/subFile1", nil, []string{"folder/file1"}, true, "folder/file1", ids["folder/file1"]},
		{"whole", "prefix=folder/&delimiter=/", []string{"folder/aSubfolder/"}, []string{"folder/file1", "folder/file2"}, false, "", ""},
		// LS test_list_objects_versions_with_prefix: a prefix that ends mid-name.
		{"prefix mid-name", "prefix=folder/aSub&delimiter=/", []string{"folder/aSubfolder/"}, nil, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.list(b, tc.query)
			var keys []string
			for _, v := range p.Entries {
				keys = append(keys, v.Key)
			}
			if !slices.Equal(p.CommonPrefixes, tc.prefixes) || !slices.Equal(keys, tc.keys) {
				t.Errorf("prefixes %v keys %v, want %v %v", p.CommonPrefixes, keys, tc.prefixes, tc.keys)
			}
			if p.IsTruncated != tc.truncated || deref(p.NextKeyMarker) != tc.nextKey || deref(p.NextVersionIDMarker) != tc.nextVer {
				t.Errorf("IsTruncated %v NextKeyMarker %q NextVersionIdMarker %q, want %v %q %q",
					p.IsTruncated, deref(p.NextKeyMarker), deref(p.NextVersionIDMarker), tc.truncated, tc.nextKey, tc.nextVer)
			}
			if tc.nextKey != "" && tc.nextVer == "" && p.NextVersionIDMarker != nil {
				t.Errorf("NextVersionIdMarker element sent after a prefix")
			}
			if deref(p.Delimiter) != "/" {
				t.Errorf("Delimiter %q", deref(p.Delimiter))
			}
		})
	}
}

// TestListObjectVersionsShape: MaxKeys default and cap, encoding-type=url,
// the fields of each entry, the null version of an unversioned bucket.
func TestListObjectVersionsShape(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verNever)
	for _, k := range []string{"c-key", "a key+", "b-key"} {
		e.put(b, k, "body of "+k)
	}
	// LS test_list_object_versions_order_unversioned: VersionId "null",
	// IsLatest, sorted by key whatever the put order.
	p := e.list(b, "")
	want := []string{verWant("a key+", "null", false, true), verWant("b-key", "null", false, true), verWant("c-key", "null", false, true)}
	if got := verIDs(p.Entries); !slices.Equal(got, want) {
		t.Errorf("unversioned: %v, want %v", got, want)
	}
	// research §5.6: default 1000; above 1000 capped at 1000.
	if p.MaxKeys != 1000 {
		t.Errorf("default MaxKeys %d, want 1000", p.MaxKeys)
	}
	if p := e.list(b, "max-keys=5000"); p.MaxKeys != 1000 {
		t.Errorf("max-keys=5000: MaxKeys %d, want 1000", p.MaxKeys)
	}
	// research §5.1: no EncodingType element unless asked; the raw XML
	// shape (versitygw#2178): Owner ID, StorageClass STANDARD, quoted ETag,
	// LastModified with milliseconds (LS test_s3_list_object_versions_timestamp_precision).
	if p.EncodingType != nil {
		t.Errorf("EncodingType %q sent unasked", *p.EncodingType)
	}
	for _, v := range p.Entries {
		if v.OwnerID == "" || v.StorageClass != "STANDARD" || !strings.HasPrefix(v.ETag, `"`) || v.Size != int64(len("body of "+v.Key)) {
			t.Errorf("entry %+v: want Owner ID, STANDARD, quoted ETag, Size", v)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", v.LastModified); err != nil {
			t.Errorf("LastModified %q: %v", v.LastModified, err)
		}
	}
	// LS (boto always sends encoding-type=url): Key, Prefix, KeyMarker,
	// NextKeyMarker encoded; VersionId not.
	p = e.list(b, "encoding-type=url&prefix=a+k&key-marker=&max-keys=1")
	if deref(p.EncodingType) != "url" || len(p.Entries) != 1 || p.Entries[0].Key != url.QueryEscape("a key+") || p.Prefix != url.QueryEscape("a k") {
		t.Errorf("encoding-type=url: EncodingType %q Prefix %q entries %v", deref(p.EncodingType), p.Prefix, verIDs(p.Entries))
	}
	p = e.list(b, "encoding-type=url&max-keys=1")
	if deref(p.NextKeyMarker) != url.QueryEscape("a key+") || deref(p.NextVersionIDMarker) != "null" {
		t.Errorf("encoding-type=url NextKeyMarker %q NextVersionIdMarker %q", deref(p.NextKeyMarker), deref(p.NextVersionIDMarker))
	}
	// LS test_list_ops_encoding_type_validation[list_object_versions].
	r := e.raw(http.MethodGet, "/"+b+"?versions&encoding-type=value", nil, nil)
	r.wantErr(t, "bad encoding-type", http.StatusBadRequest, "InvalidArgument", map[string]string{"Message": "Invalid Encoding Method specified in Request", "ArgumentName": "encoding-type"})

	// Through the SDK (which sends encoding-type=url and decodes): Owner,
	// ChecksumAlgorithm and StorageClass present on versions; markers carry Owner.
	vb := e.bucket(verEnabled)
	e.putID(vb, "k", "x")
	e.marker(vb, "k")
	out, err := e.c.ListObjectVersions(ctx(), &s3.ListObjectVersionsInput{Bucket: aws.String(vb)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 1 || len(out.DeleteMarkers) != 1 {
		t.Fatalf("SDK: %d versions %d markers", len(out.Versions), len(out.DeleteMarkers))
	}
	v, m := out.Versions[0], out.DeleteMarkers[0]
	// The SDK computes a CRC32 on PutObject by default; S3 lists the algorithm
	// (research §5.1, versitygw#2178 shows ChecksumAlgorithm in the raw XML).
	if v.Owner == nil || aws.ToString(v.Owner.ID) == "" || v.StorageClass != types.ObjectVersionStorageClassStandard || len(v.ChecksumAlgorithm) != 1 {
		t.Errorf("SDK version %+v: want Owner, STANDARD, ChecksumAlgorithm", v)
	}
	if m.Owner == nil || aws.ToString(m.Owner.ID) == "" || aws.ToBool(v.IsLatest) || !aws.ToBool(m.IsLatest) || m.LastModified == nil {
		t.Errorf("SDK marker %+v / version latest %v", m, aws.ToBool(v.IsLatest))
	}
}

// TestListObjectVersionsWalk: paging through a mixed bucket by every page
// size gives exactly the one-page listing.
func TestListObjectVersionsWalk(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	for i, k := range []string{"a", "a/b", "a/c", "b", "c/d/e", "c/f", "z"} {
		for j := 0; j <= i%3; j++ {
			e.putID(b, k, k)
		}
		if i%2 == 0 {
			e.marker(b, k)
		}
	}
	e.setVersioning(b, verSuspended)
	e.put(b, "b", "null on top")
	e.del(b, "c/f")
	whole := e.list(b, "")
	if len(whole.Entries) < 15 || whole.IsTruncated {
		t.Fatalf("fixture: %d entries", len(whole.Entries))
	}
	for _, max := range []int{1, 2, 3, 7} {
		got, _ := e.walk(b, "", max)
		if !slices.Equal(verIDs(got), verIDs(whole.Entries)) {
			t.Errorf("walk by %d:\n%v\nwant\n%v", max, verIDs(got), verIDs(whole.Entries))
		}
	}
	// With a delimiter: the walk's entries and prefixes equal the one page's.
	one := e.list(b, "delimiter=/")
	for _, max := range []int{1, 2} {
		got, prefixes := e.walk(b, "delimiter=/", max)
		if !slices.Equal(verIDs(got), verIDs(one.Entries)) || !slices.Equal(prefixes, one.CommonPrefixes) {
			t.Errorf("delimiter walk by %d: %v %v, want %v %v", max, verIDs(got), prefixes, verIDs(one.Entries), one.CommonPrefixes)
		}
	}
}
