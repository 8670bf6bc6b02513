package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// Bucket configuration of features Tessera does not have (website hosting,
// transfer acceleration, access logging, replication, event notifications,
// analytics, metrics, inventory, Intelligent-Tiering). Tools such as
// Terraform read all of it on every refresh, so a read answers exactly what
// S3 answers for a bucket that never had the feature, and a write, which
// would promise behaviour Tessera does not give, answers NotImplemented.
// Every handler first checks the bucket, so a missing one is NoSuchBucket.

// emptyConfig is a configuration document with no content, e.g.
// <AccelerateConfiguration xmlns="…"/>.
type emptyConfig struct {
	XMLName xml.Name
	NS      string `xml:"xmlns,attr"`
}

// listConfigsResult is the answer of a List…Configurations call on a
// bucket that has none: only IsTruncated (research12 §1b, §1c).
type listConfigsResult struct {
	XMLName     xml.Name
	NS          string `xml:"xmlns,attr"`
	IsTruncated bool   `xml:"IsTruncated"`
}

// listRoots are the root elements of the List…Configurations answers: AWS's
// own, inconsistent names (API reference response syntax, research12 §1b).
var listRoots = map[Kind]string{
	ListBucketAnalyticsConfigurations:          "ListBucketAnalyticsConfigurationResult",
	ListBucketMetricsConfigurations:            "ListMetricsConfigurationsResult",
	ListBucketInventoryConfigurations:          "ListInventoryConfigurationsResult",
	ListBucketIntelligentTieringConfigurations: "ListBucketIntelligentTieringConfigurationsOutput",
}

// bucketMustExist answers NoSuchBucket for a missing bucket.
func (h *Handler) bucketMustExist(q *request) error {
	_, err := h.cfg.Engine.HeadBucket(q.ctx(), q.op.Bucket)
	return err
}

// absent answers a read of a configuration the bucket cannot have with
// S3's "not found" error, which names the bucket.
func (h *Handler) absent(q *request, code s3err.Code) error {
	if err := h.bucketMustExist(q); err != nil {
		return err
	}
	return s3err.New(code).With("BucketName", q.op.Bucket)
}

// empty answers a read S3 answers with an empty document.
func (h *Handler) empty(q *request, root string) error {
	if err := h.bucketMustExist(q); err != nil {
		return err
	}
	writeXML(q.w, http.StatusOK, emptyConfig{XMLName: xml.Name{Local: root}, NS: s3NS})
	return nil
}

// GetBucketWebsite: LocalStack TestS3StaticWebsiteHosting (recorded).
func (h *Handler) getBucketWebsite(q *request) error {
	return h.absent(q, s3err.NoSuchWebsiteConfiguration)
}

// GetBucketReplication: LocalStack TestS3BucketReplication (recorded).
func (h *Handler) getBucketReplication(q *request) error {
	return h.absent(q, s3err.ReplicationConfigurationNotFound)
}

// GetBucketAccelerateConfiguration: LocalStack TestS3BucketAccelerateConfiguration
// (recorded): 200 with an empty document, no Status.
func (h *Handler) getBucketAccelerate(q *request) error {
	return h.empty(q, "AccelerateConfiguration")
}

// GetBucketLogging: LocalStack TestS3BucketLogging "get-bucket-logging-default".
func (h *Handler) getBucketLogging(q *request) error {
	return h.empty(q, "BucketLoggingStatus")
}

// GetBucketNotificationConfiguration: an empty NotificationConfiguration
// (API reference; LocalStack and moto answer the same).
func (h *Handler) getBucketNotification(q *request) error {
	return h.empty(q, "NotificationConfiguration")
}

func (h *Handler) listAbsentConfigs(q *request) error {
	if err := h.bucketMustExist(q); err != nil {
		return err
	}
	writeXML(q.w, http.StatusOK, listConfigsResult{XMLName: xml.Name{Local: listRoots[q.op.Kind]}, NS: s3NS})
	return nil
}

// noSuchConfiguration answers Get or Delete of an analytics, metrics,
// inventory or Intelligent-Tiering configuration by id: none exists
// (LocalStack TestS3MetricsConfiguration, recorded: no BucketName element).
func (h *Handler) noSuchConfiguration(q *request) error {
	if err := h.bucketMustExist(q); err != nil {
		return err
	}
	return s3err.New(s3err.NoSuchConfiguration)
}

// deleteAbsent answers DeleteBucketWebsite and DeleteBucketReplication:
// S3 answers 204 when there is nothing to delete (LocalStack
// test_crud_website_configuration and test_replication_config, recorded).
func (h *Handler) deleteAbsent(q *request) error {
	if err := h.bucketMustExist(q); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// notSupported refuses to set a configuration Tessera would not honour.
func (h *Handler) notSupported(q *request) error {
	if err := h.bucketMustExist(q); err != nil {
		return err
	}
	// S3's own NotImplemented text: the client learns the feature is absent.
	return s3err.New(s3err.NotImplemented)
}
