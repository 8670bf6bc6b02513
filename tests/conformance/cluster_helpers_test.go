package conformance

import (
	"context"
	"crypto/rand"
	"io/fs"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/sigv4"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// clusterEnv is three gateways on one PostgreSQL database and one data
// directory, with a client bound to each (gw[i] talks to gateway i only).
type clusterEnv struct {
	t   *testing.T
	srv *tesseratest.Server
	gw  []*s3.Client
}

const clusterGateways = 3

func clusterNew(t *testing.T, opts ...tesseratest.Option) *clusterEnv {
	t.Helper()
	srv := tesseratest.New(t, append([]tesseratest.Option{tesseratest.WithGateways(clusterGateways), tesseratest.WithMinPartSize(1)}, opts...)...)
	e := &clusterEnv{t: t, srv: srv}
	for i := 0; i < clusterGateways; i++ {
		e.gw = append(e.gw, srv.GatewayS3(i))
	}
	return e
}

// bucket creates a bucket through gateway 0.
func (e *clusterEnv) bucket(name string) string {
	e.t.Helper()
	if _, err := e.gw[0].CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		e.t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

// admin is an admin API client for gateway i, signed by root.
func (e *clusterEnv) admin(i int) *admin.Client {
	return &admin.Client{
		Endpoint: e.srv.GatewayURL(i),
		Cred:     sigv4.Credential{AccessKeyID: tesseratest.AccessKey, SecretAccessKey: tesseratest.SecretKey},
		Region:   e.srv.Region(),
		HTTP:     e.srv.HTTPClient(),
	}
}

func clusterRandom(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// settled waits until the blob files on disk are exactly the blobs the
// metadata refers to — garbage collected, nothing leaked, nothing missing —
// and no gateway has a temporary file left; it fails the test with the
// difference otherwise. Garbage goes within the cluster's grace plus a job
// interval (tesseratest's gateway timing: well under a second).
func (e *clusterEnv) settled() {
	e.t.Helper()
	var leaked, missing, tmp []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		leaked, missing, tmp = e.blobDiff()
		if len(leaked)+len(missing)+len(tmp) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Errorf("data directory and metadata disagree: %d blobs on disk no metadata refers to %v, %d referenced blobs missing %v, %d temporary files %v",
		len(leaked), leaked, len(missing), missing, len(tmp), tmp)
}

// blobDiff compares the blob files with the metadata's references (which
// include the garbage list, so garbage not yet collected counts as leaked
// only once it is off the list — and as not settled while on it).
func (e *clusterEnv) blobDiff() (leaked, missing, tmp []string) {
	refs := map[string]bool{}
	if err := e.srv.Internal().Meta().ForEachBlobRef(context.Background(), func(id string) { refs[id] = true }); err != nil {
		e.t.Fatalf("ForEachBlobRef: %v", err)
	}
	garbage, err := e.srv.Internal().Meta().Garbage(context.Background(), 1<<20)
	if err != nil {
		e.t.Fatalf("Garbage: %v", err)
	}
	onDisk := map[string]bool{}
	root := filepath.Join(e.srv.DataDir, "blobs")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			onDisk[d.Name()] = true
		}
		return nil
	})
	for id := range onDisk {
		if !refs[id] {
			leaked = append(leaked, id)
		}
	}
	for id := range refs {
		if !onDisk[id] {
			missing = append(missing, id)
		}
	}
	for _, id := range garbage { // still to collect: not settled yet
		if onDisk[id] {
			leaked = append(leaked, "garbage:"+id)
		}
	}
	filepath.WalkDir(filepath.Join(e.srv.DataDir, "tmp"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			tmp = append(tmp, p)
		}
		return nil
	})
	sort.Strings(leaked)
	sort.Strings(missing)
	return leaked, missing, tmp
}
