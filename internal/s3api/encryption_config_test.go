package s3api

import (
	"encoding/xml"
	"testing"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// FuzzEncryptionConfig: any body either is refused with an S3 error or
// gives a configuration whose GetBucketEncryption document reads back as
// the same configuration.
func FuzzEncryptionConfig(f *testing.F) {
	for _, s := range []string{
		`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`,
		`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
		`<ServerSideEncryptionConfiguration><Rule/><Rule/></ServerSideEncryptionConfiguration>`,
		`<ServerSideEncryptionConfiguration/>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var doc serverSideEncryptionConfiguration
		if xml.Unmarshal(body, &doc) != nil {
			return
		}
		cfg, err := encryptionFromXML(doc)
		if err != nil {
			if _, ok := s3err.As(err); !ok {
				t.Fatalf("not an S3 error: %v", err)
			}
			return
		}
		out, err := xml.Marshal(encryptionToXML(cfg))
		if err != nil {
			t.Fatal(err)
		}
		var back serverSideEncryptionConfiguration
		if err := xml.Unmarshal(out, &back); err != nil {
			t.Fatalf("answer %s does not parse: %v", out, err)
		}
		again, err := encryptionFromXML(back)
		if err != nil || again != cfg {
			t.Fatalf("answer %s reads back as %+v, %v; stored %+v", out, again, err, cfg)
		}
	})
}
