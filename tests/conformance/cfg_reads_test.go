package conformance

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestCfgReadsOfAbsentFeatures: every bucket configuration read a tool
// makes on refresh answers as S3 does for a bucket without the feature,
// never 501; writes of features Tessera lacks are NotImplemented.
func TestCfgReadsOfAbsentFeatures(t *testing.T) {
	e := cfgNew(t)
	b := cfgBucket(t, e.root)
	bk := aws.String(b)
	id := aws.String("cfg-1")
	tests := []struct {
		name    string
		call    func() error
		code    string
		status  int
		message string
	}{
		// LocalStack test_crud_website_configuration (recorded against AWS, 2022-09).
		{"GetBucketWebsite", func() error {
			_, err := e.root.GetBucketWebsite(ctx(), &s3.GetBucketWebsiteInput{Bucket: bk})
			return err
		},
			"NoSuchWebsiteConfiguration", 404, "The specified bucket does not have a website configuration"},
		// LocalStack TestS3BucketReplication::test_replication_config (recorded, 2023-08).
		{"GetBucketReplication", func() error {
			_, err := e.root.GetBucketReplication(ctx(), &s3.GetBucketReplicationInput{Bucket: bk})
			return err
		}, "ReplicationConfigurationNotFoundError", 404, "The replication configuration was not found"},
		// LocalStack TestS3BucketAccelerateConfiguration (recorded): 200, no Status.
		{"GetBucketAccelerateConfiguration", func() error {
			out, err := e.root.GetBucketAccelerateConfiguration(ctx(), &s3.GetBucketAccelerateConfigurationInput{Bucket: bk})
			if err == nil && out.Status != "" {
				t.Errorf("accelerate Status %q, want none", out.Status)
			}
			return err
		}, "", 0, ""},
		// LocalStack TestS3BucketLogging "get-bucket-logging-default" (recorded).
		{"GetBucketLogging", func() error {
			out, err := e.root.GetBucketLogging(ctx(), &s3.GetBucketLoggingInput{Bucket: bk})
			if err == nil && out.LoggingEnabled != nil {
				t.Errorf("LoggingEnabled %+v, want none", out.LoggingEnabled)
			}
			return err
		}, "", 0, ""},
		// API reference; LocalStack/moto answer an empty NotificationConfiguration.
		{"GetBucketNotificationConfiguration", func() error {
			out, err := e.root.GetBucketNotificationConfiguration(ctx(), &s3.GetBucketNotificationConfigurationInput{Bucket: bk})
			if err == nil && (len(out.TopicConfigurations)+len(out.QueueConfigurations)+len(out.LambdaFunctionConfigurations) != 0 || out.EventBridgeConfiguration != nil) {
				t.Errorf("notification %+v, want empty", out)
			}
			return err
		}, "", 0, ""},
		// research12 §1c: List… on a bucket with none → only IsTruncated false
		// (recorded for inventory, "list-inventory-config-after-del").
		{"ListBucketAnalyticsConfigurations", func() error {
			out, err := e.root.ListBucketAnalyticsConfigurations(ctx(), &s3.ListBucketAnalyticsConfigurationsInput{Bucket: bk})
			if err == nil && (len(out.AnalyticsConfigurationList) != 0 || aws.ToBool(out.IsTruncated)) {
				t.Errorf("analytics list %+v", out)
			}
			return err
		}, "", 0, ""},
		{"ListBucketMetricsConfigurations", func() error {
			out, err := e.root.ListBucketMetricsConfigurations(ctx(), &s3.ListBucketMetricsConfigurationsInput{Bucket: bk})
			if err == nil && (len(out.MetricsConfigurationList) != 0 || aws.ToBool(out.IsTruncated)) {
				t.Errorf("metrics list %+v", out)
			}
			return err
		}, "", 0, ""},
		{"ListBucketInventoryConfigurations", func() error {
			out, err := e.root.ListBucketInventoryConfigurations(ctx(), &s3.ListBucketInventoryConfigurationsInput{Bucket: bk})
			if err == nil && (len(out.InventoryConfigurationList) != 0 || aws.ToBool(out.IsTruncated)) {
				t.Errorf("inventory list %+v", out)
			}
			return err
		}, "", 0, ""},
		{"ListBucketIntelligentTieringConfigurations", func() error {
			out, err := e.root.ListBucketIntelligentTieringConfigurations(ctx(), &s3.ListBucketIntelligentTieringConfigurationsInput{Bucket: bk})
			if err == nil && (len(out.IntelligentTieringConfigurationList) != 0 || aws.ToBool(out.IsTruncated)) {
				t.Errorf("intelligent-tiering list %+v", out)
			}
			return err
		}, "", 0, ""},
		// LocalStack TestS3MetricsConfiguration (recorded 2025-06) and research12
		// §1b for analytics and Intelligent-Tiering: NoSuchConfiguration, no BucketName.
		{"GetBucketMetricsConfiguration", func() error {
			_, err := e.root.GetBucketMetricsConfiguration(ctx(), &s3.GetBucketMetricsConfigurationInput{Bucket: bk, Id: id})
			return err
		}, "NoSuchConfiguration", 404, "The specified configuration does not exist."},
		{"GetBucketAnalyticsConfiguration", func() error {
			_, err := e.root.GetBucketAnalyticsConfiguration(ctx(), &s3.GetBucketAnalyticsConfigurationInput{Bucket: bk, Id: id})
			return err
		}, "NoSuchConfiguration", 404, "The specified configuration does not exist."},
		{"GetBucketIntelligentTieringConfiguration", func() error {
			_, err := e.root.GetBucketIntelligentTieringConfiguration(ctx(), &s3.GetBucketIntelligentTieringConfigurationInput{Bucket: bk, Id: id})
			return err
		}, "NoSuchConfiguration", 404, "The specified configuration does not exist."},
		// Inventory's by-id read is not recorded; S3 most plausibly answers as for
		// the other three (Tessera's choice).
		{"GetBucketInventoryConfiguration", func() error {
			_, err := e.root.GetBucketInventoryConfiguration(ctx(), &s3.GetBucketInventoryConfigurationInput{Bucket: bk, Id: id})
			return err
		}, "NoSuchConfiguration", 404, "The specified configuration does not exist."},
		// Recorded: DeleteBucketMetricsConfiguration of a missing id → the same 404.
		{"DeleteBucketMetricsConfiguration", func() error {
			_, err := e.root.DeleteBucketMetricsConfiguration(ctx(), &s3.DeleteBucketMetricsConfigurationInput{Bucket: bk, Id: id})
			return err
		}, "NoSuchConfiguration", 404, "The specified configuration does not exist."},
		// Recorded: DeleteBucketWebsite and DeleteBucketReplication with none → 204.
		{"DeleteBucketWebsite", func() error {
			_, err := e.root.DeleteBucketWebsite(ctx(), &s3.DeleteBucketWebsiteInput{Bucket: bk})
			return err
		}, "", 0, ""},
		{"DeleteBucketReplication", func() error {
			_, err := e.root.DeleteBucketReplication(ctx(), &s3.DeleteBucketReplicationInput{Bucket: bk})
			return err
		}, "", 0, ""},
		// Writes of features Tessera does not have: 501 NotImplemented with S3's
		// error XML and text (Tessera's choice: it will not pretend to host a
		// website, replicate or log).
		{"PutBucketWebsite", func() error {
			_, err := e.root.PutBucketWebsite(ctx(), &s3.PutBucketWebsiteInput{Bucket: bk, WebsiteConfiguration: &types.WebsiteConfiguration{IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")}}})
			return err
		}, "NotImplemented", 501, "A header you provided implies functionality that is not implemented"},
		{"PutBucketAccelerateConfiguration", func() error {
			_, err := e.root.PutBucketAccelerateConfiguration(ctx(), &s3.PutBucketAccelerateConfigurationInput{Bucket: bk, AccelerateConfiguration: &types.AccelerateConfiguration{Status: types.BucketAccelerateStatusEnabled}})
			return err
		}, "NotImplemented", 501, ""},
		{"PutBucketLogging", func() error {
			_, err := e.root.PutBucketLogging(ctx(), &s3.PutBucketLoggingInput{Bucket: bk, BucketLoggingStatus: &types.BucketLoggingStatus{LoggingEnabled: &types.LoggingEnabled{TargetBucket: bk, TargetPrefix: aws.String("log/")}}})
			return err
		}, "NotImplemented", 501, ""},
		{"PutBucketNotificationConfiguration", func() error {
			_, err := e.root.PutBucketNotificationConfiguration(ctx(), &s3.PutBucketNotificationConfigurationInput{Bucket: bk, NotificationConfiguration: &types.NotificationConfiguration{}})
			return err
		}, "NotImplemented", 501, ""},
		{"PutBucketMetricsConfiguration", func() error {
			_, err := e.root.PutBucketMetricsConfiguration(ctx(), &s3.PutBucketMetricsConfigurationInput{Bucket: bk, Id: id, MetricsConfiguration: &types.MetricsConfiguration{Id: id}})
			return err
		}, "NotImplemented", 501, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { cfgWant(t, tc.name, tc.call(), tc.code, tc.status, tc.message) })
	}
}

// TestCfgReadsRawShapes pins the bodies the SDK cannot show: the empty
// documents and the BucketName element of the not-found errors.
func TestCfgReadsRawShapes(t *testing.T) {
	e := cfgNew(t)
	b := cfgBucket(t, e.root)
	for _, tc := range []struct {
		query, want string
		status      int
	}{
		// LocalStack recordings (research12 §1, §1b) and API reference root names (§1b).
		{"accelerate", `<AccelerateConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></AccelerateConfiguration>`, 200},
		{"logging", `<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></BucketLoggingStatus>`, 200},
		{"notification", `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></NotificationConfiguration>`, 200},
		{"analytics", `<ListBucketAnalyticsConfigurationResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated></ListBucketAnalyticsConfigurationResult>`, 200},
		{"metrics", `<ListMetricsConfigurationsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated>`, 200},
		{"inventory", `<ListInventoryConfigurationsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated>`, 200},
		{"intelligent-tiering", `<ListBucketIntelligentTieringConfigurationsOutput xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated>`, 200},
		{"website", `<BucketName>` + b + `</BucketName>`, 404},
		{"replication", `<BucketName>` + b + `</BucketName>`, 404},
		{"tagging", `<Code>NoSuchTagSet</Code><Message>The TagSet does not exist</Message><BucketName>` + b + `</BucketName>`, 404},
	} {
		resp, body := cfgRaw(t, e, http.MethodGet, "/"+b+"?"+tc.query, nil, nil)
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET ?%s: %d %s\nwant %d containing %s", tc.query, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	// A missing bucket is NoSuchBucket for every read (research12 §1).
	for _, q := range []string{"website", "accelerate", "logging", "replication", "notification", "analytics", "tagging", "ownershipControls", "publicAccessBlock", "policyStatus"} {
		resp, body := cfgRaw(t, e, http.MethodGet, "/no-such-bucket-cfg?"+q, nil, nil)
		wantRawErr(t, resp, body, "NoSuchBucket", 404)
	}
}
