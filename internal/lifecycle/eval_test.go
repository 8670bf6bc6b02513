package lifecycle

import (
	"testing"
	"time"
)

func mustParse(t *testing.T, s string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestDue(t *testing.T) {
	tests := []struct {
		from time.Time
		days int
		want time.Time
	}{
		// The user guide's example: 1/15/2014 10:30 UTC + 3 days → 1/19/2014 00:00 UTC.
		{utc(2014, 1, 15, 10, 30), 3, utc(2014, 1, 19, 0, 0)},
		// The troubleshooting page: created 00:05 on Jan 2, 1 day → eligible 00:00 Jan 4.
		{utc(2014, 1, 2, 0, 5), 1, utc(2014, 1, 4, 0, 0)},
		{utc(2014, 1, 2, 23, 59), 1, utc(2014, 1, 4, 0, 0)},
		// Exactly at midnight still goes to the next one: never early.
		{utc(2014, 1, 2, 0, 0), 1, utc(2014, 1, 4, 0, 0)},
		// Month and year ends, leap day.
		{utc(2024, 2, 28, 12, 0), 1, utc(2024, 3, 1, 0, 0)},
		{utc(2025, 12, 31, 12, 0), 1, utc(2026, 1, 2, 0, 0)},
		// A time in another zone is judged in UTC.
		{time.Date(2014, 1, 15, 23, 30, 0, 0, time.FixedZone("x", -3*3600)), 1, utc(2014, 1, 18, 0, 0)},
	}
	for _, tc := range tests {
		if got := due(tc.from, tc.days); !got.Equal(tc.want) {
			t.Errorf("due(%v, %d) = %v, want %v", tc.from, tc.days, got, tc.want)
		}
	}
}

func TestAbortDate(t *testing.T) {
	start := utc(2026, 3, 10, 15, 4)
	cfg := mustParse(t, doc(
		rule(`<ID>logs-10</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>10</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
		rule(`<ID>logs-tmp-2</ID><Filter><Prefix>logs/tmp/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
		rule(`<ID>all-1-disabled</ID><Filter/><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
		rule(`<ID>logs-10-again</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>10</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
		rule(`<ID>expire-only</ID><Filter><Prefix>data/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`),
	))
	tests := []struct {
		key      string
		wantRule string
		wantDate time.Time
	}{
		{"logs/a", "logs-10", utc(2026, 3, 21, 0, 0)}, // a tie with logs-10-again: the first listed
		{"logs/tmp/a", "logs-tmp-2", utc(2026, 3, 13, 0, 0)},
		{"other", "", time.Time{}},  // only the disabled rule matches
		{"data/x", "", time.Time{}}, // an Expiration is not an abort
	}
	for _, tc := range tests {
		date, id, ok := cfg.AbortDate(tc.key, nil, start)
		if ok != (tc.wantRule != "") || id != tc.wantRule || !date.Equal(tc.wantDate) {
			t.Errorf("AbortDate(%q) = %v, %q, %v; want %v, %q", tc.key, date, id, ok, tc.wantDate, tc.wantRule)
		}
	}
	var none *Config
	if _, _, ok := none.AbortDate("k", nil, start); ok {
		t.Error("a nil configuration aborts")
	}
	legacy := mustParse(t, doc(rule(`<ID>v1</ID><Prefix>up/</Prefix><Status>Enabled</Status>`+abort7)))
	if _, id, ok := legacy.AbortDate("up/x", nil, start); !ok || id != "v1" {
		t.Errorf("legacy prefix: %q %v", id, ok)
	}
	if _, _, ok := legacy.AbortDate("down/x", nil, start); ok {
		t.Error("legacy prefix matched another key")
	}
}

func TestObjectExpiry(t *testing.T) {
	mod := utc(2026, 3, 10, 15, 4)
	cfg := mustParse(t, doc(
		rule(`<ID>tmp-3</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration>`),
		rule(`<ID>date</ID><Filter><Prefix>tmp/old/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>2026-03-12T00:00:00Z</Date></Expiration>`),
		rule(`<ID>tagged</ID><Filter><Tag><Key>class</Key><Value>scratch</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`),
		rule(`<ID>and</ID><Filter><And><Prefix>big/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration>`),
		rule(`<ID>small</ID><Filter><ObjectSizeLessThan>10</ObjectSizeLessThan></Filter><Status>Enabled</Status><Expiration><Days>5</Days></Expiration>`),
		rule(`<ID>marker</ID><Filter><Prefix>m/</Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`),
		rule(`<ID>off</ID><Filter><Prefix>off/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration>`),
	))
	tests := []struct {
		name     string
		key      string
		tags     string
		size     int64
		wantRule string
		wantDate time.Time
	}{
		{"days", "tmp/a", "", 50, "tmp-3", utc(2026, 3, 14, 0, 0)},
		{"date earlier than days", "tmp/old/a", "", 50, "date", utc(2026, 3, 12, 0, 0)},
		{"tag", "x", "class=scratch", 50, "tagged", utc(2026, 3, 12, 0, 0)},
		{"tag among others", "x", "a=b&class=scratch", 50, "tagged", utc(2026, 3, 12, 0, 0)},
		{"tag value differs", "x", "class=keep", 50, "", time.Time{}},
		{"and: all predicates", "big/x", "a=1&b=", 101, "and", utc(2026, 3, 13, 0, 0)},
		{"and: size not greater (exclusive)", "big/x", "a=1&b=", 100, "", time.Time{}},
		{"and: a tag missing", "big/x", "a=1", 101, "", time.Time{}},
		{"and: empty value must be empty", "big/x", "a=1&b=2", 101, "", time.Time{}},
		{"small", "y", "", 9, "small", utc(2026, 3, 16, 0, 0)},
		{"not small (exclusive)", "y", "", 10, "", time.Time{}},
		{"delete marker rule expires nothing", "m/x", "", 1000, "", time.Time{}},
		{"disabled", "off/x", "", 1000, "", time.Time{}},
	}
	for _, tc := range tests {
		date, id, ok := cfg.ObjectExpiry(tc.key, Tags(tc.tags), tc.size, mod)
		if ok != (tc.wantRule != "") || id != tc.wantRule || !date.Equal(tc.wantDate) {
			t.Errorf("%s: ObjectExpiry = %v, %q, %v; want %v, %q", tc.name, date, id, ok, tc.wantDate, tc.wantRule)
		}
	}
}

func TestTags(t *testing.T) {
	got := Tags("a=1&b=&c%20d=e%26f")
	if len(got) != 3 || got["a"] != "1" || got["b"] != "" || got["c d"] != "e&f" {
		t.Errorf("Tags = %v", got)
	}
	if Tags("") != nil {
		t.Error("Tags(\"\") not nil")
	}
}

func TestScanPrefixes(t *testing.T) {
	cfg := mustParse(t, doc(
		rule(`<ID>1</ID><Filter><Prefix>a/b/</Prefix></Filter><Status>Enabled</Status>`+abort7),
		rule(`<ID>2</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status>`+abort7),
		rule(`<ID>3</ID><Filter><Prefix>c/</Prefix></Filter><Status>Enabled</Status>`+abort7),
		rule(`<ID>4</ID><Filter/><Status>Disabled</Status>`+abort7),
		rule(`<ID>5</ID><Filter><Prefix>d/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`),
	))
	aborts := func(r *Rule) bool { return r.AbortIncompleteMultipartUpload != nil }
	if got := scanPrefixes(cfg, aborts); len(got) != 2 || got[0] != "a/" || got[1] != "c/" {
		t.Errorf("scanPrefixes = %q, want [a/ c/]", got)
	}
	cfg.Rules[3].Status = Enabled // the empty filter covers everything
	if got := scanPrefixes(cfg, aborts); len(got) != 1 || got[0] != "" {
		t.Errorf("scanPrefixes = %q, want [\"\"]", got)
	}
}
