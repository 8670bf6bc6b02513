package conformance

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// apDomain is the --domain of the access point tests. With a custom
// endpoint the SDKs send S3 Control calls to "{AccountId}.<host>" and ARN
// requests to "{name}-{account}.<host>"; dialServer maps every such name
// to the test server.
const apDomain = "s3.tessera.test"

// apServer starts a server that answers virtual-host names under apDomain.
func apServer(t *testing.T, opts ...tesseratest.Option) *tesseratest.Server {
	return tesseratest.New(t, append([]tesseratest.Option{tesseratest.WithDomains(apDomain)}, opts...)...)
}

// apEnv is what most access point tests start from: a server, root's S3
// and S3 Control clients, and a bucket of root's.
type apEnv struct {
	srv    *tesseratest.Server
	root   *s3.Client
	ctl    *s3control.Client
	bucket string
}

func newAPEnv(t *testing.T) *apEnv {
	t.Helper()
	srv := apServer(t)
	root := srv.S3()
	return &apEnv{srv: srv, root: root, ctl: apControl(srv, accessKey, secretKey), bucket: newBucket(t, root)}
}

// create makes root's access point name on the env's bucket.
func (e *apEnv) create(t *testing.T, name string) (arn, alias string) {
	t.Helper()
	return apCreate(t, e.ctl, tesseratest.RootAccountID, name, e.bucket)
}

func apEndpoint(srv *tesseratest.Server) string {
	return "http://" + apDomain + ":" + serverPort(srv)
}

// apControl returns an aws-sdk-go-v2 S3 Control client signed with the key.
func apControl(srv *tesseratest.Server, accessKey, secretKey string) *s3control.Client {
	return s3control.New(s3control.Options{
		Region:           srv.Region(),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		BaseEndpoint:     aws.String(apEndpoint(srv)),
		HTTPClient:       &http.Client{Transport: dialServer(srv)},
		RetryMaxAttempts: 1,
	})
}

// apS3 returns an S3 client for ARNs and aliases: virtual-host style (the
// SDK refuses an ARN with UsePathStyle) on apDomain.
func apS3(srv *tesseratest.Server, accessKey, secretKey string) *s3.Client {
	return srv.S3As(accessKey, secretKey, sdkDefaults, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(apEndpoint(srv))
		o.UsePathStyle = false
		o.HTTPClient = &http.Client{Transport: dialServer(srv)}
	})
}

// apCreate creates an access point on bucket for the account and returns
// its ARN and alias.
func apCreate(t testing.TB, c *s3control.Client, account, name, bucket string) (arn, alias string) {
	t.Helper()
	out, err := c.CreateAccessPoint(ctx(), &s3control.CreateAccessPointInput{
		AccountId: aws.String(account), Name: aws.String(name), Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("CreateAccessPoint(%s on %s): %v", name, bucket, err)
	}
	return aws.ToString(out.AccessPointArn), aws.ToString(out.Alias)
}

// apUploadParts starts an upload of key with c and uploads n small parts.
func apUploadParts(t testing.TB, c *s3.Client, bucket, key string, n int) string {
	t.Helper()
	id := acctUpload(t, c, bucket, key)
	for i := 1; i <= n; i++ {
		if _, err := acctUploadPart(c, bucket, key, id, int32(i), "part body"); err != nil {
			t.Fatalf("UploadPart(%s, %d): %v", bucket, i, err)
		}
	}
	return id
}
