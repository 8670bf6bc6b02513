package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestAdminAccessPointList: `tessera admin accesspoint list` shows every
// account's access points, or one account's.
func TestAdminAccessPointList(t *testing.T) {
	clearAdminEnv(t)
	srv := tesseratest.New(t)
	ctx := context.Background()
	bob := srv.NewAccount("bob")
	// S3 Control's client sends to "{AccountId}.<endpoint host>": dial the
	// server whatever the name.
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Host())
	}}}
	for _, c := range []struct {
		account, ak, sk, bucket, ap string
		s3                          *s3.Client
	}{
		{tesseratest.RootAccountID, tesseratest.AccessKey, tesseratest.SecretKey, "roots", "root-ap", srv.S3()},
		{bob.ID, bob.AccessKey, bob.SecretKey, "bobs", "bob-ap", bob.S3},
	} {
		if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(c.bucket)}); err != nil {
			t.Fatalf("CreateBucket(%s): %v", c.bucket, err)
		}
		ctl := s3control.New(s3control.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.URL), HTTPClient: hc,
			Credentials: credentials.NewStaticCredentialsProvider(c.ak, c.sk, "")})
		if _, err := ctl.CreateAccessPoint(ctx, &s3control.CreateAccessPointInput{AccountId: aws.String(c.account),
			Name: aws.String(c.ap), Bucket: aws.String(c.bucket)}); err != nil {
			t.Fatalf("CreateAccessPoint(%s): %v", c.ap, err)
		}
	}
	all := mustAdmin(t, srv, "accesspoint", "list")
	for _, want := range []string{"root-ap", "bob-ap", "roots", "bobs", "-s3alias", bob.ID} {
		if !strings.Contains(all, want) {
			t.Errorf("accesspoint list lacks %q:\n%s", want, all)
		}
	}
	one := mustAdmin(t, srv, "accesspoint", "list", bob.ID)
	if !strings.Contains(one, "bob-ap") || strings.Contains(one, "root-ap") {
		t.Errorf("accesspoint list %s:\n%s", bob.ID, one)
	}
}
