package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Exit codes of tessera cp, ls, rm and mb, for scripts (documented in
// --help and README).
const (
	ExitOK            = 0
	ExitFailed        = 1 // the transfer failed (network, server, verification); rerun resumes
	ExitUsage         = 2 // bad arguments or flags
	ExitSourceChanged = 3 // the source changed between runs or during the transfer
	ExitAccessDenied  = 4 // S3 or the local system refused (credentials, policy, file mode)
	ExitNotFound      = 5 // no such bucket, object or local file
	ExitNoSpace       = 6 // the local disk is full
)

// ErrSourceChanged is wrapped by every error that reports a source which
// is no longer what the transfer started from.
var ErrSourceChanged = errors.New("source changed")

// ErrVerify is wrapped by errors reporting that the finished object's
// checksum is not the one computed from the source.
var ErrVerify = errors.New("verification failed")

// ExitCode classifies err for a script.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	switch code := apiCode(err); code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled",
		"AccountProblem", "ExpiredToken", "InvalidToken", "Forbidden":
		return ExitAccessDenied
	case "NoSuchBucket", "NoSuchKey", "NotFound":
		return ExitNotFound
	case "PreconditionFailed":
		return ExitSourceChanged // an If-Match on the source's ETag
	}
	switch {
	case errors.Is(err, ErrSourceChanged):
		return ExitSourceChanged
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return ExitNoSpace
	case errors.Is(err, fs.ErrPermission):
		return ExitAccessDenied
	case errors.Is(err, fs.ErrNotExist):
		return ExitNotFound
	}
	return ExitFailed
}

// apiCode is the S3 error code in err, or the status-derived code of an
// error without a body (HEAD answers carry none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusForbidden:
			return "Forbidden"
		case http.StatusNotFound:
			return "NotFound"
		case http.StatusPreconditionFailed:
			return "PreconditionFailed"
		}
	}
	return ""
}

// Explain adds what a person should do about err, where it is clear.
func Explain(err error) string {
	switch ExitCode(err) {
	case ExitAccessDenied:
		if apiCode(err) != "" {
			return fmt.Sprintf("%v\naccess denied: check the credentials in use (--profile, AWS_PROFILE, AWS_ACCESS_KEY_ID) and that their policy allows this action on this bucket", err)
		}
		return fmt.Sprintf("%v\npermission denied on a local file or directory", err)
	case ExitNoSpace:
		return fmt.Sprintf("%v\nthe local disk is full: free space and run the same command again; the download resumes where it stopped", err)
	}
	return err.Error()
}
