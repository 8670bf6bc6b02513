package transfer

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/checksum"
)

// CopyDest is where an object copied to dst goes: a key ending in / (or
// empty) is a prefix that takes the source key's last element.
func CopyDest(srcKey string, dst Location) Location {
	if dst.Key == "" || strings.HasSuffix(dst.Key, "/") {
		dst.Key += path.Base(srcKey)
	}
	return dst
}

// copySource is the x-amz-copy-source value: bucket/key, URL-encoded.
func copySource(l Location) *string {
	return aws.String(l.Bucket + "/" + strings.ReplaceAll(url.PathEscape(l.Key), "%2F", "/"))
}

// Copy copies the object src to dst inside S3: one CopyObject for an
// object of one part, else UploadPartCopy of each part (resumable as an
// upload is). Every read of the source is pinned to its ETag.
func (t *Transfer) Copy(ctx context.Context, src, dst Location) (*Result, error) {
	o, err := t.head(ctx, src)
	if err != nil {
		return nil, err
	}
	dst = CopyDest(src.Key, dst)
	partSize, n, err := PartSize(o.size, t.Opt.PartSize)
	if err != nil {
		return nil, err
	}
	st, err := t.Opt.States.Load("copy", src.String(), dst.String())
	if err != nil {
		return nil, err
	}
	if st != nil && (t.Opt.NoResume || st.ETag != o.etag || st.Size != o.size) {
		// Nothing local to protect: the person asked for the object as it
		// is now, and the old parts are of another version.
		if st.ETag != o.etag && !t.Opt.NoResume {
			t.notify("%s changed since the interrupted copy (ETag %s → %s): starting afresh", src, st.ETag, o.etag)
		}
		if err := t.forget(ctx, st, dst); err != nil {
			return nil, err
		}
		st = nil
	}
	if st == nil && n == 1 {
		return t.copySmall(ctx, o, dst)
	}
	var listed map[int32]types.Part
	if st != nil {
		ok, err := t.uploadExists(ctx, dst.Bucket, dst.Key, st.UploadID)
		if err != nil {
			return nil, err
		}
		if ok {
			if listed, err = t.listParts(ctx, dst.Bucket, dst.Key, st.UploadID); err != nil {
				return nil, err
			}
			partSize, n = st.PartSize, int(ceilDiv(o.size, st.PartSize))
			t.notify("resuming copy %s: the server lists %d of %d parts", st.UploadID, len(listed), n)
		} else {
			t.Opt.States.Remove("copy", src.String(), dst.String())
			st = nil
		}
	}
	if st == nil {
		out, err := t.S3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: &dst.Bucket, Key: &dst.Key, ContentType: o.contentType, Metadata: o.meta,
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme, ChecksumType: types.ChecksumTypeFullObject,
		})
		if err != nil {
			return nil, fmt.Errorf("transfer: start copy to %s: %w", dst, err)
		}
		st = &State{Kind: "copy", Source: src.String(), Dest: dst.String(), Size: o.size, ETag: o.etag,
			UploadID: aws.ToString(out.UploadId), PartSize: partSize, Endpoint: t.Opt.Endpoint, Started: time.Now().UTC()}
		if err := t.Opt.States.Save(st); err != nil {
			return nil, err
		}
	}
	res, err := t.copyParts(ctx, o, dst, st, n, listed)
	if err != nil {
		return nil, err
	}
	return res, t.Opt.States.Remove("copy", src.String(), dst.String())
}

// copyParts copies every part the upload lacks. A listed part of the right
// size is kept without reading it: it was copied server-side under
// If-Match on the same ETag, so it holds those bytes; the full-object
// checksum at the end checks them all the same.
func (t *Transfer) copyParts(ctx context.Context, o *object, dst Location, st *State, n int, listed map[int32]types.Part) (*Result, error) {
	bar := t.progress(dst.String(), o.size)
	defer bar.Finish()
	parts := make([]completed, n)
	res := &Result{Bytes: o.size, Parts: n, UploadID: st.UploadID}
	var mu sync.Mutex
	err := t.forEach(ctx, n, func(ctx context.Context, i int) error {
		off, size := partRange(i, st.PartSize, o.size)
		var p completed
		lp, ok := listed[int32(i)]
		reused := ok && aws.ToInt64(lp.Size) == size && aws.ToString(lp.ChecksumCRC64NVME) != ""
		if reused {
			p = completed{etag: aws.ToString(lp.ETag), size: size}
			p.crc, _ = checksum.CRC64NVME.Decode(aws.ToString(lp.ChecksumCRC64NVME))
		} else {
			out, err := t.S3.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
				Bucket: &dst.Bucket, Key: &dst.Key, UploadId: &st.UploadID, PartNumber: aws.Int32(int32(i)),
				CopySource: copySource(o.srcLoc), CopySourceIfMatch: aws.String(o.etag),
				CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+size-1)),
			})
			if err != nil {
				if apiCode(err) == "PreconditionFailed" {
					return fmt.Errorf("transfer: %s: %w during the copy: run the command again to copy the new version", o.srcLoc, ErrSourceChanged)
				}
				return fmt.Errorf("transfer: copy part %d to %s: %w", i, dst, err)
			}
			r := out.CopyPartResult
			if r == nil || aws.ToString(r.ChecksumCRC64NVME) == "" {
				return fmt.Errorf("transfer: copy part %d to %s: the server sent no CRC64NVME for the part", i, dst)
			}
			p = completed{etag: aws.ToString(r.ETag), size: size}
			p.crc, _ = checksum.CRC64NVME.Decode(aws.ToString(r.ChecksumCRC64NVME))
		}
		record(&mu, parts, res, i, p, reused)
		bar.Add(size)
		return nil
	})
	if err != nil {
		return nil, err
	}
	want, err := fullObject(parts)
	if err != nil {
		return nil, err
	}
	if o.crc != "" && o.crc != want {
		return nil, fmt.Errorf("transfer: copy of %s: %w: the parts' CRC64NVME is %q, the source's %q", o.srcLoc, ErrVerify, want, o.crc)
	}
	if err := t.complete(ctx, dst.Bucket, dst.Key, st.UploadID, parts, want); err != nil {
		return nil, err
	}
	res.Checksum = want
	return res, t.verify(ctx, dst, o.size, want)
}

// copySmall copies an object of one part with CopyObject, asking for a
// CRC64NVME of the copy to compare with the source's.
func (t *Transfer) copySmall(ctx context.Context, o *object, dst Location) (*Result, error) {
	out, err := t.S3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &dst.Bucket, Key: &dst.Key, CopySource: copySource(o.srcLoc), CopySourceIfMatch: aws.String(o.etag),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme,
	})
	if err != nil {
		if apiCode(err) == "PreconditionFailed" {
			return nil, fmt.Errorf("transfer: %s: %w during the copy", o.srcLoc, ErrSourceChanged)
		}
		return nil, fmt.Errorf("transfer: copy %s to %s: %w", o.srcLoc, dst, err)
	}
	var got string
	if r := out.CopyObjectResult; r != nil {
		got = aws.ToString(r.ChecksumCRC64NVME)
	}
	if o.crc != "" && got != o.crc {
		return nil, fmt.Errorf("transfer: copy of %s: %w: the copy's CRC64NVME is %q, the source's %q", o.srcLoc, ErrVerify, got, o.crc)
	}
	bar := t.progress(dst.String(), o.size)
	bar.Add(o.size)
	bar.Finish()
	if o.crc == "" {
		return &Result{Bytes: o.size, Parts: 1, Sent: 1, Checksum: got}, nil
	}
	return &Result{Bytes: o.size, Parts: 1, Sent: 1, Checksum: got}, t.verify(ctx, dst, o.size, got)
}
