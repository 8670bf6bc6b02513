package s3err

import (
	"errors"
	"syscall"
)

// NoSpaceMessage is the message of the answer to a write that found the
// disk full.
const NoSpaceMessage = "The server's storage is full. Please retry after space is freed."

// NoSpace returns the answer to err when err is a full disk: ENOSPC (the
// file system's own, the blob store's reserve, or PostgreSQL's disk_full,
// which the metadata store wraps as ENOSPC) or EDQUOT (a quota). The answer
// is 503 ServiceUnavailable.
//
// S3 itself never reports a full disk, so there is no S3 code to copy.
// Peers answer 507 Insufficient Storage (MinIO's XMinioStorageFull,
// minio/minio#10268; versitygw's ErrNoSpaceLeftOnDevice, versity/versitygw
// #2096; Dell ECS), but 507 is retried by no AWS SDK: aws-sdk-go-v2's
// standard retryer, boto3 and the AWS CLI (standard and legacy modes)
// retry 500, 502, 503 and 504. A full disk is a state an operator ends
// (deleting objects, growing the volume), after which the same request
// succeeds, so the answer is one that every client backs off from and
// retries: 503, with S3's generic ServiceUnavailable code rather than
// SlowDown, since the client's request rate is not the cause, and a
// message that says what is. A client that gives up after its retries
// sees that message.
//
// EIO is not a full disk: it stays an internal error (500 InternalError,
// logged with the cause, also retried by the SDKs), since a retry may land
// on healthy sectors but an operator must look at the device.
func NoSpace(err error) (*Error, bool) {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &Error{Code: ServiceUnavailable, Message: NoSpaceMessage}, true
	}
	return nil, false
}
