package transfer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/checksum"
)

// Options tune a Transfer.
type Options struct {
	Parallel int   // parts in flight at once (default 4)
	PartSize int64 // 0: chosen from the size (PartSize)
	// NoResume starts afresh: an interrupted transfer's upload is aborted
	// and its state forgotten.
	NoResume bool
	States   States
	// Progress makes the display of one transfer (nil: none).
	Progress func(label string, total int64) Progress
	// Notify hears what a person should know: a resumed upload, re-sent
	// parts (nil: discarded).
	Notify io.Writer
	// MaxRate paces part starts to about this many bytes per second
	// (0: unlimited).
	MaxRate int64
	// ListPage is MaxParts and MaxUploads of each listing request
	// (0: the server's default, 1,000); tests make it small to prove
	// that every page is read.
	ListPage int32
	// Endpoint is recorded in state files for people reading them.
	Endpoint string
}

// Transfer runs copies with one S3 client.
type Transfer struct {
	S3  *s3.Client
	Opt Options
}

// Result says what a copy did.
type Result struct {
	Bytes    int64
	Parts    int    // parts of the object (1 for a single PUT or GET)
	Sent     int    // parts sent (or fetched) by this run
	Reused   int    // parts found complete from an interrupted run
	Checksum string // the object's CRC64NVME (base64), as verified
	UploadID string // the multipart upload used, if any
}

func (t *Transfer) parallel() int { return max(t.Opt.Parallel, 1) }

func (t *Transfer) notify(format string, args ...any) {
	if t.Opt.Notify != nil {
		fmt.Fprintf(t.Opt.Notify, "tessera: "+format+"\n", args...)
	}
}

func (t *Transfer) progress(label string, total int64) Progress {
	if t.Opt.Progress == nil {
		return nop{}
	}
	return t.Opt.Progress(label, total)
}

func (t *Transfer) listPage() *int32 {
	if t.Opt.ListPage > 0 {
		return aws.Int32(t.Opt.ListPage)
	}
	return nil
}

// uploadExists reports whether uploadID is an upload in progress for
// bucket/key, reading ListMultipartUploads page by page.
func (t *Transfer) uploadExists(ctx context.Context, bucket, key, uploadID string) (bool, error) {
	in := &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: &key, MaxUploads: t.listPage()}
	for {
		out, err := t.S3.ListMultipartUploads(ctx, in)
		if err != nil {
			return false, fmt.Errorf("transfer: list uploads of s3://%s/%s: %w", bucket, key, err)
		}
		for _, u := range out.Uploads {
			if aws.ToString(u.Key) == key && aws.ToString(u.UploadId) == uploadID {
				return true, nil
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return false, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// listParts reads every page of ListParts into a map by part number.
func (t *Transfer) listParts(ctx context.Context, bucket, key, uploadID string) (map[int32]types.Part, error) {
	parts := map[int32]types.Part{}
	in := &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &uploadID, MaxParts: t.listPage()}
	for {
		out, err := t.S3.ListParts(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("transfer: list parts of upload %s: %w", uploadID, err)
		}
		for _, p := range out.Parts {
			parts[aws.ToInt32(p.PartNumber)] = p
		}
		if !aws.ToBool(out.IsTruncated) {
			return parts, nil
		}
		if aws.ToString(out.NextPartNumberMarker) == aws.ToString(in.PartNumberMarker) {
			return nil, fmt.Errorf("transfer: list parts of upload %s: the server repeats marker %q", uploadID, aws.ToString(in.PartNumberMarker))
		}
		in.PartNumberMarker = out.NextPartNumberMarker
	}
}

// abort aborts an upload this client started, treating one already gone
// as aborted.
func (t *Transfer) abort(ctx context.Context, bucket, key, uploadID string) error {
	_, err := t.S3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &uploadID})
	if err != nil && apiCode(err) != "NoSuchUpload" {
		return fmt.Errorf("transfer: abort upload %s: %w", uploadID, err)
	}
	return nil
}

// completed is one part as CompleteMultipartUpload needs it, with its
// CRC64NVME for the full-object checksum.
type completed struct {
	etag string
	crc  []byte
	size int64
}

// complete finishes an upload with every part and checks that the server's
// full-object CRC64NVME is want (the one computed from the source).
func (t *Transfer) complete(ctx context.Context, bucket, key, uploadID string, parts []completed, want string) error {
	cp := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(p.etag),
			ChecksumCRC64NVME: aws.String(b64(p.crc))}
	}
	out, err := t.S3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: &uploadID,
		MultipartUpload:   &types.CompletedMultipartUpload{Parts: cp},
		ChecksumCRC64NVME: aws.String(want),
		ChecksumType:      types.ChecksumTypeFullObject,
	})
	if err != nil {
		return fmt.Errorf("transfer: complete upload %s: %w", uploadID, err)
	}
	if got := aws.ToString(out.ChecksumCRC64NVME); got != want {
		return fmt.Errorf("transfer: s3://%s/%s: %w: the server's CRC64NVME is %q, the source's %q", bucket, key, ErrVerify, got, want)
	}
	return nil
}

// fullObject folds per-part CRC64NVMEs into the object's, base64.
func fullObject(parts []completed) (string, error) {
	crcs := make([][]byte, len(parts))
	sizes := make([]int64, len(parts))
	for i, p := range parts {
		crcs[i], sizes[i] = p.crc, p.size
	}
	if len(parts) == 0 {
		return b64(checksum.CRC64NVME.New().Sum(nil)), nil
	}
	sum, err := checksum.FullObjectOf(checksum.CRC64NVME, crcs, sizes)
	if err != nil {
		return "", fmt.Errorf("transfer: combine part checksums: %w", err)
	}
	return b64(sum), nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// forEach runs fn for items 1..n on t.parallel() goroutines and returns
// the first error; the others stop taking work once one fails.
func (t *Transfer) forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(t.parallel(), max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := 1; i <= n; i++ {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// pacer spaces part starts so that the average rate stays under rate
// bytes per second: coarse (a part at a time), which is what a bandwidth
// cap for long transfers needs.
type pacer struct {
	mu   sync.Mutex
	rate int64
	next time.Time
}

func (p *pacer) wait(ctx context.Context, n int64) error {
	if p == nil || p.rate <= 0 {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(time.Duration(float64(n) / float64(p.rate) * float64(time.Second)))
	p.mu.Unlock()
	select {
	case <-time.After(time.Until(at)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
