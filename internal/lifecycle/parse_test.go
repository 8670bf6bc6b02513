package lifecycle

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// doc wraps rules in a LifecycleConfiguration in S3's namespace.
func doc(rules ...string) string {
	return `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + strings.Join(rules, "") + `</LifecycleConfiguration>`
}

func rule(inner string) string { return "<Rule>" + inner + "</Rule>" }

const abort7 = `<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>`

func TestParseValid(t *testing.T) {
	p := func(s string) *string { return &s }
	i64 := func(n int64) *int64 { return &n }
	days := func(n int) *int { return &n }
	ints := days
	midnight := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	tru := true
	tests := []struct {
		name string
		doc  string
		want []Rule
	}{
		{"filter prefix + abort", doc(rule(`<ID>a</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>` + abort7)),
			[]Rule{{ID: "a", Filter: &Filter{Prefix: p("logs/")}, Status: Enabled, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{7}}}},
		{"empty filter, elements in any order", doc(rule(`<Status>Disabled</Status><Expiration><Days>3</Days></Expiration><Filter/><ID>b</ID>`)),
			[]Rule{{ID: "b", Filter: &Filter{}, Status: Disabled, Expiration: &Expiration{Days: days(3)}}}},
		{"legacy prefix, no namespace", `<LifecycleConfiguration>` + rule(`<ID>c</ID><Prefix></Prefix><Status>Enabled</Status>`+abort7) + `</LifecycleConfiguration>`,
			[]Rule{{ID: "c", Prefix: p(""), Status: Enabled, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{7}}}},
		{"tag filter + date", doc(rule(`<ID>d</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Date>2030-01-02T00:00:00Z</Date></Expiration>`)),
			[]Rule{{ID: "d", Filter: &Filter{Tag: &Tag{"k", "v"}}, Status: Enabled, Expiration: &Expiration{Date: &midnight}}}},
		{"and of prefix, tags, sizes; date with millis", doc(rule(`<ID>e</ID><Filter><And><Prefix>x/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>20</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Date>2030-01-02T00:00:00.000Z</Date></Expiration>`)),
			[]Rule{{ID: "e", Filter: &Filter{And: &And{Prefix: p("x/"), Tags: []Tag{{"a", "1"}, {"b", ""}}, ObjectSizeGreaterThan: i64(10), ObjectSizeLessThan: i64(20)}}, Status: Enabled, Expiration: &Expiration{Date: &midnight}}}},
		{"and of empty prefix and one size", doc(rule(`<ID>f</ID><Filter><And><Prefix></Prefix><ObjectSizeGreaterThan>0</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`)),
			[]Rule{{ID: "f", Filter: &Filter{And: &And{Prefix: p(""), ObjectSizeGreaterThan: i64(0)}}, Status: Enabled, Expiration: &Expiration{Days: days(1)}}}},
		{"size filter, delete marker rule, noncurrent", doc(
			rule(`<ID>g</ID><Filter><ObjectSizeLessThan>1</ObjectSizeLessThan></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays></NoncurrentVersionExpiration>`),
			rule(`<ID>h</ID><Filter><Prefix>y</Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)),
			[]Rule{
				{ID: "g", Filter: &Filter{ObjectSizeLessThan: i64(1)}, Status: Enabled, NoncurrentVersionExpiration: &NoncurrentVersionExpiration{NoncurrentDays: 5}},
				{ID: "h", Filter: &Filter{Prefix: p("y")}, Status: Enabled, Expiration: &Expiration{ExpiredObjectDeleteMarker: &tru}},
			}},
		// LocalStack test_bucket_lifecycle_configuration_object_expiry_versioned
		// (recorded against AWS): Expiration beside NoncurrentVersionExpiration
		// is accepted and GET returns both; NewerNoncurrentVersions' bounds are
		// the documented 1..100.
		{"expiration with noncurrent, newer noncurrent 1 and 100", doc(
			rule(`<ID>nv1</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>`),
			rule(`<ID>nv100</ID><Filter><Prefix>b/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays><NewerNoncurrentVersions>100</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)),
			[]Rule{
				{ID: "nv1", Filter: &Filter{Prefix: p("a/")}, Status: Enabled, Expiration: &Expiration{Days: days(2)},
					NoncurrentVersionExpiration: &NoncurrentVersionExpiration{NoncurrentDays: 1, NewerNoncurrentVersions: ints(1)}},
				{ID: "nv100", Filter: &Filter{Prefix: p("b/")}, Status: Enabled,
					NoncurrentVersionExpiration: &NoncurrentVersionExpiration{NoncurrentDays: 30, NewerNoncurrentVersions: ints(100)}},
			}},
		// LocalStack test_lifecycle_expired_object_delete_marker (AWS
		// recording): ExpiredObjectDeleteMarker alone is accepted.
		{"delete marker rule with noncurrent expiration", doc(
			rule(`<ID>m</ID><Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration>`)),
			[]Rule{{ID: "m", Filter: &Filter{}, Status: Enabled, Expiration: &Expiration{ExpiredObjectDeleteMarker: &tru},
				NoncurrentVersionExpiration: &NoncurrentVersionExpiration{NoncurrentDays: 3}}}},
		{"overlapping filters are allowed in V2", doc(
			rule(`<ID>i</ID><Filter><Prefix>a</Prefix></Filter><Status>Enabled</Status>`+abort7),
			rule(`<ID>j</ID><Filter><Prefix>ab</Prefix></Filter><Status>Enabled</Status>`+abort7)),
			[]Rule{
				{ID: "i", Filter: &Filter{Prefix: p("a")}, Status: Enabled, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{7}},
				{ID: "j", Filter: &Filter{Prefix: p("ab")}, Status: Enabled, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{7}},
			}},
		{"legacy prefixes that overlap for different actions", doc(
			rule(`<ID>k</ID><Prefix>a</Prefix><Status>Enabled</Status>`+abort7),
			rule(`<ID>l</ID><Prefix>ab</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`)),
			[]Rule{
				{ID: "k", Prefix: p("a"), Status: Enabled, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{7}},
				{ID: "l", Prefix: p("ab"), Status: Enabled, Expiration: &Expiration{Days: days(1)}},
			}},
		{"id of 255 characters, prefix with spaces kept", doc(rule(`<ID>` + strings.Repeat("x", 255) + `</ID><Filter><Prefix> a </Prefix></Filter><Status> Enabled </Status>` + abort7)),
			[]Rule{{ID: strings.Repeat("x", 255), Filter: &Filter{Prefix: p(" a ")}, Status: Enabled, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{7}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(cfg.Rules, tc.want) {
				t.Fatalf("rules:\n got %s\nwant %s", dump(cfg.Rules), dump(tc.want))
			}
			// What Marshal writes (and GET returns) parses back the same.
			again, err := Parse(cfg.Marshal())
			if err != nil {
				t.Fatalf("Parse(Marshal): %v\n%s", err, cfg.Marshal())
			}
			if !reflect.DeepEqual(again.Rules, cfg.Rules) {
				t.Fatalf("round trip:\n got %s\nwant %s", dump(again.Rules), dump(cfg.Rules))
			}
			if !bytes.Equal(again.Marshal(), cfg.Marshal()) {
				t.Fatalf("Marshal not stable:\n%s\n%s", again.Marshal(), cfg.Marshal())
			}
		})
	}
}

func dump(rs []Rule) string {
	c := Config{Rules: rs}
	return string(c.Marshal())
}

func TestParseGeneratesIDs(t *testing.T) {
	cfg, err := Parse([]byte(doc(
		rule(`<Filter/><Status>Enabled</Status>`+abort7),
		rule(`<ID></ID><Filter><Prefix>b</Prefix></Filter><Status>Enabled</Status>`+abort7))))
	if err != nil {
		t.Fatal(err)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, r := range cfg.Rules {
		if len(r.ID) != 48 {
			t.Errorf("generated ID %q: length %d, want 48", r.ID, len(r.ID))
		}
		raw, err := base64.StdEncoding.DecodeString(r.ID)
		if err != nil || !uuid.Match(raw) {
			t.Errorf("generated ID %q decodes to %q (%v), want a v4 UUID", r.ID, raw, err)
		}
	}
	if cfg.Rules[0].ID == cfg.Rules[1].ID {
		t.Errorf("generated IDs collide: %q", cfg.Rules[0].ID)
	}
	// Marshal keeps them: a stored configuration reads back with the same IDs.
	again, err := Parse(cfg.Marshal())
	if err != nil || again.Rules[0].ID != cfg.Rules[0].ID || again.Rules[1].ID != cfg.Rules[1].ID {
		t.Errorf("IDs not kept by Marshal: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	const (
		malformed  = s3err.MalformedXML
		invArg     = s3err.InvalidArgument
		invReq     = s3err.InvalidRequest
		notImpl    = s3err.NotImplemented
		en         = `<Status>Enabled</Status>`
		pf         = `<Filter><Prefix>p</Prefix></Filter>`
		expire1    = `<Expiration><Days>1</Days></Expiration>`
		tagFilter  = `<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>`
		sizeFilter = `<Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan></Filter>`
	)
	many := make([]string, MaxRules+1)
	for i := range many {
		many[i] = rule(fmt.Sprintf(`<ID>r%d</ID>`, i) + pf + en + abort7)
	}
	tests := []struct {
		name string
		doc  string
		code s3err.Code
		msg  string // "" when only the code is known
	}{
		{"empty body", ``, malformed, ""},
		{"not XML", `{"Rules":[]}`, malformed, ""},
		{"wrong root", `<LifeCycleConfiguration>` + rule(pf+en+abort7) + `</LifeCycleConfiguration>`, malformed, ""},
		{"truncated", doc(rule(pf + en + abort7))[:60], malformed, ""},
		{"unknown element", doc(rule(pf + en + abort7 + `<Bogus/>`)), malformed, ""},
		{"doctype", `<!DOCTYPE x>` + doc(rule(pf+en+abort7)), malformed, ""},
		{"text in rule", doc(`<Rule>hello` + pf + en + abort7 + `</Rule>`), malformed, ""},
		{"two statuses", doc(rule(pf + en + en + abort7)), malformed, ""},
		{"no rules", doc(), invReq, msgNoRules},
		{"1001 rules", doc(many...), invReq, msgTooManyRules},
		{"missing status", doc(rule(pf + abort7)), malformed, ""},
		{"lower-case status", doc(rule(pf + `<Status>enabled</Status>` + abort7)), malformed, ""},
		{"no filter nor prefix", doc(rule(en + abort7)), malformed, ""},
		{"filter and prefix", doc(rule(`<Prefix>a</Prefix>` + pf + en + abort7)), malformed, ""},
		{"two predicates in filter", doc(rule(`<Filter><Prefix>a</Prefix><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter>` + en + expire1)), malformed, ""},
		{"and beside prefix", doc(rule(`<Filter><Prefix>a</Prefix><And><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>` + en + expire1)), malformed, ""},
		{"and of one prefix", doc(rule(`<Filter><And><Prefix>a</Prefix></And></Filter>` + en + expire1)), malformed, ""},
		{"tag without key", doc(rule(`<Filter><Tag><Value>v</Value></Tag></Filter>` + en + expire1)), malformed, ""},
		{"days not a number", doc(rule(pf + en + `<Expiration><Days>seven</Days></Expiration>`)), malformed, ""},
		{"days overflow", doc(rule(pf + en + `<Expiration><Days>3323232323232323232323</Days></Expiration>`)), malformed, ""},
		{"size not a number", doc(rule(`<Filter><ObjectSizeLessThan>1.5</ObjectSizeLessThan></Filter>` + en + expire1)), malformed, ""},
		{"empty expiration", doc(rule(pf + en + `<Expiration></Expiration>`)), malformed, ""},
		{"days and date", doc(rule(pf + en + `<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>`)), malformed, ""},
		{"delete marker with days", doc(rule(pf + en + `<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)), malformed, ""},
		{"date as HTTP date", doc(rule(pf + en + `<Expiration><Date>Fri, 01 Jan 2016 00:00:00 GMT</Date></Expiration>`)), malformed, ""},
		{"abort without days", doc(rule(pf + en + `<AbortIncompleteMultipartUpload/>`)), malformed, ""},
		{"transition", doc(rule(pf + en + `<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`)), notImpl, msgTransition},
		{"no action", doc(rule(pf + en)), invReq, msgNoAction},
		{"id of 256 characters", doc(rule(`<ID>` + strings.Repeat("x", 256) + `</ID>` + pf + en + abort7)), invArg, msgIDTooLong},
		{"same id twice", doc(rule(`<ID>x</ID>`+pf+en+abort7), rule(`<ID>x</ID><Filter><Prefix>q</Prefix></Filter>`+en+abort7)), invArg, msgIDNotUnique},
		{"expiration days 0", doc(rule(pf + en + `<Expiration><Days>0</Days></Expiration>`)), invArg, msgExpirationDays},
		{"expiration days -1", doc(rule(pf + en + `<Expiration><Days>-1</Days></Expiration>`)), invArg, msgExpirationDays},
		{"abort days 0", doc(rule(pf + en + `<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>`)), invArg, msgAbortDays},
		// LocalStack test_put_bucket_lifecycle_conf_exc, recorded against AWS:
		// "missing-noncurrent-version-expiration-data" and
		// "expired-delete-marker-and-days" are MalformedXML.
		{"empty noncurrent expiration", doc(rule(pf + en + `<NoncurrentVersionExpiration/>`)), malformed, ""},
		{"noncurrent with only newer versions", doc(rule(pf + en + `<NoncurrentVersionExpiration><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)), malformed, ""},
		{"delete marker with date", doc(rule(pf + en + `<Expiration><Date>2030-01-01T00:00:00Z</Date><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)), malformed, ""},
		{"delete marker not a boolean", doc(rule(pf + en + `<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker></Expiration>`)), malformed, ""},
		// No AWS recording: the bound is the user guide's 100 and the message
		// follows NoncurrentDays' (an S3 emulator's validation table uses it).
		{"newer noncurrent 0", doc(rule(pf + en + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)), invArg, msgNewerNoncurrent},
		{"newer noncurrent 101", doc(rule(pf + en + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)), invArg, msgNewerNoncurrent},
		{"noncurrent days 0", doc(rule(pf + en + `<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>`)), invArg, msgNoncurrentDays},
		{"date not at midnight", doc(rule(pf + en + `<Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>`)), invArg, msgDateMidnight},
		{"date at midnight elsewhere", doc(rule(pf + en + `<Expiration><Date>2030-01-01T00:00:00+02:00</Date></Expiration>`)), invArg, msgDateMidnight},
		{"abort with tag filter", doc(rule(tagFilter + en + abort7)), invReq, msgAbortTags},
		{"abort with tags in and", doc(rule(`<Filter><And><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>` + en + abort7)), invReq, msgAbortTags},
		{"abort with size filter", doc(rule(sizeFilter + en + abort7)), invReq, msgAbortSize},
		{"delete marker with tags", doc(rule(tagFilter + en + `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)), invReq, msgMarkerTags},
		{"delete marker with size", doc(rule(sizeFilter + en + `<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>`)), invReq, msgMarkerSize},
		{"duplicate tag keys", doc(rule(`<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter>` + en + expire1)), invReq, msgDuplicateTags},
		{"size less than 0", doc(rule(`<Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter>` + en + expire1)), invReq, "'ObjectSizeLessThan' should be between 1 and 1099511627776000."},
		{"size greater than too big", doc(rule(`<Filter><ObjectSizeGreaterThan>1099511627776001</ObjectSizeGreaterThan></Filter>` + en + expire1)), invReq, "'ObjectSizeGreaterThan' should be between 0 and 1099511627776000."},
		{"sizes equal", doc(rule(`<Filter><And><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan><ObjectSizeLessThan>5</ObjectSizeLessThan></And></Filter>` + en + expire1)), invReq, msgSizeOrder},
		{"filter after legacy prefix", doc(rule(`<Prefix>a</Prefix>`+en+abort7), rule(pf+en+expire1)), invReq, msgFilterInV1},
		{"legacy prefix after filter", doc(rule(pf+en+abort7), rule(`<Prefix>a</Prefix>`+en+expire1)), invReq, msgPrefixInV2},
		{"legacy prefixes overlap", doc(rule(`<Prefix></Prefix>`+en+expire1), rule(`<Prefix>a</Prefix>`+en+expire1)), invReq, "Found overlapping prefixes '' and 'a' for same action type 'Expiration'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Parse succeeded: %s", cfg.Marshal())
			}
			e, ok := s3err.As(err)
			if !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			if e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) {
				t.Fatalf("got %s %q, want %s %q", e.Code, e.Message, tc.code, tc.msg)
			}
		})
	}
}
