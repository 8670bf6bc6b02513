package lifecycle

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// FuzzParse feeds Parse arbitrary bodies: it must never panic, must answer
// only with S3 errors, and what it accepts must survive Marshal (the stored
// form) unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(doc(rule(`<ID>a</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>` + abort7))))
	f.Add([]byte(doc(rule(`<Prefix>x</Prefix><Status>Disabled</Status><Expiration><Days>3</Days></Expiration>`))))
	f.Add([]byte(doc(rule(`<Filter><And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>`))))
	f.Add([]byte(doc(rule(`<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>`))))
	f.Add([]byte(`<LifecycleConfiguration><Rule><ID>&#xD;&#9;</ID><Filter><Tag><Key> k </Key></Tag></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule></LifecycleConfiguration>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			if _, ok := s3err.As(err); !ok {
				t.Fatalf("non-S3 error %v", err)
			}
			return
		}
		stored := cfg.Marshal()
		again, err := Parse(stored)
		if err != nil {
			t.Fatalf("stored form does not parse: %v\n%s", err, stored)
		}
		if !reflect.DeepEqual(again.Rules, cfg.Rules) {
			t.Fatalf("stored form changed the rules:\n%s\n%s", stored, again.Marshal())
		}
		if !bytes.Equal(again.Marshal(), stored) {
			t.Fatalf("Marshal not stable:\n%s\n%s", stored, again.Marshal())
		}
	})
}
