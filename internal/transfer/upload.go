package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/checksum"
)

// Metadata an upload carries about its source (x-amz-meta-...), so that
// the object says which file it was made from.
const (
	metaSourceSize  = "tessera-source-size"
	metaSourceMtime = "tessera-source-mtime"
)

// source is a local file as a transfer sees it.
type source struct {
	f     *os.File
	path  string // absolute
	size  int64
	mtime time.Time
}

func openSource(p string) (*source, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("transfer: %s: %w", p, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("transfer: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("transfer: %s is not a regular file", p)
	}
	return &source{f: f, path: abs, size: fi.Size(), mtime: fi.ModTime()}, nil
}

// unchanged fails with ErrSourceChanged when the file is no longer the one
// the transfer read: a file written while it is uploaded would give an
// object that matches neither its old nor its new content.
func (s *source) unchanged() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("transfer: %w", err)
	}
	if fi.Size() != s.size || !fi.ModTime().Equal(s.mtime) {
		return fmt.Errorf("transfer: %s: %w during the transfer (size %d → %d, modified %s → %s); nothing was completed: run the command again once the file is stable",
			s.path, ErrSourceChanged, s.size, fi.Size(), s.mtime.Format(time.RFC3339Nano), fi.ModTime().Format(time.RFC3339Nano))
	}
	return nil
}

// UploadDest is where a local file goes: a key ending in / (or empty) is
// a prefix that takes the file's name, as in the aws cli.
func UploadDest(src string, dst Location) Location {
	if dst.Key == "" || strings.HasSuffix(dst.Key, "/") {
		dst.Key += filepath.Base(src)
	}
	return dst
}

// Upload copies the local file src to dst, resuming an interrupted upload
// of the same file to the same place unless Opt.NoResume.
func (t *Transfer) Upload(ctx context.Context, src string, dst Location) (*Result, error) {
	s, err := openSource(src)
	if err != nil {
		return nil, err
	}
	defer s.f.Close()
	dst = UploadDest(src, dst)
	partSize, n, err := PartSize(s.size, t.Opt.PartSize)
	if err != nil {
		return nil, err
	}
	st, err := t.Opt.States.Load("upload", s.path, dst.String())
	if err != nil {
		return nil, err
	}
	if st != nil && t.Opt.NoResume {
		if err := t.forget(ctx, st, dst); err != nil {
			return nil, err
		}
		st = nil
	}
	if st == nil && n == 1 {
		return t.putSmall(ctx, s, dst)
	}
	var listed map[int32]types.Part
	if st != nil {
		if listed, err = t.resumable(ctx, st, s, dst); err != nil {
			return nil, err
		}
		if listed == nil {
			st = nil
		} else {
			partSize, n = st.PartSize, int(ceilDiv(s.size, st.PartSize))
		}
	}
	if st == nil {
		if st, err = t.create(ctx, s, dst, partSize); err != nil {
			return nil, err
		}
	}
	res, err := t.sendParts(ctx, s, dst, st, n, listed)
	if err != nil {
		if ctx.Err() == nil && ExitCode(err) != ExitSourceChanged {
			err = fmt.Errorf("%w\nthe upload %s is kept: run the same command again to resume it", err, st.UploadID)
		}
		return nil, err
	}
	return res, t.Opt.States.Remove("upload", s.path, dst.String())
}

// forget aborts the upload of an abandoned state and removes the state.
func (t *Transfer) forget(ctx context.Context, st *State, dst Location) error {
	if st.UploadID != "" {
		if err := t.abort(ctx, dst.Bucket, dst.Key, st.UploadID); err != nil {
			return err
		}
		t.notify("aborted the interrupted upload %s of %s", st.UploadID, dst)
	}
	return t.Opt.States.Remove(st.Kind, st.Source, st.Dest)
}

// resumable checks a state against the file and the server and returns the
// upload's listed parts, or nil when there is nothing to resume.
//
// A file changed since the interrupted run (other size or modification
// time) stops the command with ErrSourceChanged rather than re-sending the
// parts that differ: the upload was created with metadata naming the old
// file, which S3 cannot change before Complete, and a file that changes
// between runs is often one still being written. The person decides:
// --no-resume aborts the old upload and sends the file as it is now.
func (t *Transfer) resumable(ctx context.Context, st *State, s *source, dst Location) (map[int32]types.Part, error) {
	if st.Size != s.size || st.MtimeNs != s.mtime.UnixNano() {
		return nil, fmt.Errorf("transfer: %s: %w since the interrupted upload %s began (size %d → %d, modified %s → %s): its parts are of the old file. Run again with --no-resume to abort that upload and send the file as it is now",
			s.path, ErrSourceChanged, st.UploadID, st.Size, s.size,
			time.Unix(0, st.MtimeNs).Format(time.RFC3339Nano), s.mtime.Format(time.RFC3339Nano))
	}
	ok, err := t.uploadExists(ctx, dst.Bucket, dst.Key, st.UploadID)
	if err != nil {
		return nil, err
	}
	if !ok || ceilDiv(s.size, st.PartSize) > MaxParts {
		t.notify("the interrupted upload %s of %s is gone (completed or aborted elsewhere): starting afresh", st.UploadID, dst)
		return nil, t.Opt.States.Remove(st.Kind, st.Source, st.Dest)
	}
	listed, err := t.listParts(ctx, dst.Bucket, dst.Key, st.UploadID)
	if err != nil {
		return nil, err
	}
	t.notify("resuming upload %s of %s: the server lists %d of %d parts", st.UploadID, dst, len(listed), ceilDiv(s.size, st.PartSize))
	return listed, nil
}

// create starts a multipart upload with a full-object CRC64NVME and saves
// its state before any part is sent, so that a kill at any later moment
// leaves something to resume.
func (t *Transfer) create(ctx context.Context, s *source, dst Location, partSize int64) (*State, error) {
	out, err := t.S3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &dst.Bucket, Key: &dst.Key,
		ContentType:       contentType(dst.Key),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme,
		ChecksumType:      types.ChecksumTypeFullObject,
		Metadata:          sourceMeta(s),
	})
	if err != nil {
		return nil, fmt.Errorf("transfer: start upload to %s: %w", dst, err)
	}
	st := &State{Kind: "upload", Source: s.path, Dest: dst.String(), Size: s.size, MtimeNs: s.mtime.UnixNano(),
		UploadID: aws.ToString(out.UploadId), Endpoint: t.Opt.Endpoint, PartSize: partSize, Started: time.Now().UTC()}
	if err := t.Opt.States.Save(st); err != nil {
		t.abort(context.WithoutCancel(ctx), dst.Bucket, dst.Key, st.UploadID)
		return nil, err
	}
	return st, nil
}

func sourceMeta(s *source) map[string]string {
	return map[string]string{
		metaSourceSize:  strconv.FormatInt(s.size, 10),
		metaSourceMtime: s.mtime.UTC().Format(time.RFC3339Nano),
	}
}

func contentType(key string) *string {
	if ct := mime.TypeByExtension(path.Ext(key)); ct != "" {
		return aws.String(ct)
	}
	return nil
}

// sendParts sends every part the server lacks (or holds wrong), then
// completes the upload and verifies the object.
func (t *Transfer) sendParts(ctx context.Context, s *source, dst Location, st *State, n int, listed map[int32]types.Part) (*Result, error) {
	bar := t.progress(dst.String(), s.size)
	defer bar.Finish()
	parts := make([]completed, n)
	var mu sync.Mutex
	res := &Result{Bytes: s.size, Parts: n, UploadID: st.UploadID}
	pace := &pacer{rate: t.Opt.MaxRate}
	err := t.forEach(ctx, n, func(ctx context.Context, i int) error {
		// The part is read twice from the file — once to checksum it,
		// once to send it — rather than held in memory: memory stays
		// flat whatever the part size (up to 5 GiB). Should the file
		// change in between, the server refuses the part (its bytes no
		// longer match the CRC64NVME sent with it).
		off, size := partRange(i, st.PartSize, s.size)
		section := func() *io.SectionReader { return io.NewSectionReader(s.f, off, size) }
		crc := checksum.CRC64NVME.New()
		if err := readAll(crc, section(), s.path); err != nil {
			return err
		}
		p := completed{crc: crc.Sum(nil), size: size}
		reused := false
		if lp, ok := listed[int32(i)]; ok {
			matches, err := partMatches(lp, size, p.crc, section, s.path)
			if err != nil {
				return err
			}
			if reused = matches; reused {
				p.etag = aws.ToString(lp.ETag)
			} else {
				t.notify("part %d on the server differs from the local file: sending it again", i)
			}
		}
		if !reused {
			if err := pace.wait(ctx, size); err != nil {
				return err
			}
			out, err := t.S3.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &dst.Bucket, Key: &dst.Key, UploadId: &st.UploadID, PartNumber: aws.Int32(int32(i)),
				Body: section(), ContentLength: aws.Int64(size), ChecksumCRC64NVME: aws.String(b64(p.crc)),
			}, unsignedPayload)
			if err != nil {
				return fmt.Errorf("transfer: send part %d of %s: %w", i, dst, err)
			}
			p.etag = aws.ToString(out.ETag)
		}
		record(&mu, parts, res, i, p, reused)
		bar.Add(size)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.unchanged(); err != nil {
		return nil, err
	}
	want, err := fullObject(parts)
	if err != nil {
		return nil, err
	}
	if err := t.complete(ctx, dst.Bucket, dst.Key, st.UploadID, parts, want); err != nil {
		return nil, err
	}
	res.Checksum = want
	return res, t.verify(ctx, dst, s.size, want)
}

// record keeps part i's result, from one of the workers, and counts it.
func record(mu *sync.Mutex, parts []completed, res *Result, i int, p completed, reused bool) {
	mu.Lock()
	defer mu.Unlock()
	parts[i-1] = p
	if reused {
		res.Reused++
	} else {
		res.Sent++
	}
}

// partMatches reports whether a listed part holds exactly the local
// part of size bytes: its size, and its CRC64NVME, or (for a part sent
// without one) its ETag, the MD5, read from the file only then.
func partMatches(lp types.Part, size int64, crc []byte, section func() *io.SectionReader, path string) (bool, error) {
	if aws.ToInt64(lp.Size) != size {
		return false, nil
	}
	if c := aws.ToString(lp.ChecksumCRC64NVME); c != "" {
		return c == b64(crc), nil
	}
	h := md5.New()
	if err := readAll(h, section(), path); err != nil {
		return false, err
	}
	return strings.Trim(aws.ToString(lp.ETag), `"`) == hex.EncodeToString(h.Sum(nil)), nil
}

// readAll feeds the whole section to h.
func readAll(h io.Writer, r *io.SectionReader, path string) error {
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("transfer: read %s: %w", path, err)
	}
	return nil
}

// unsignedPayload signs a body-carrying request with UNSIGNED-PAYLOAD
// instead of the body's SHA-256: the request carries the body's CRC64NVME,
// which S3 verifies before it stores anything, so a second digest of every
// byte (on both sides) would buy no integrity and cost a CPU pass.
func unsignedPayload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
}

// putSmall sends a file of one part with one PutObject.
func (t *Transfer) putSmall(ctx context.Context, s *source, dst Location) (*Result, error) {
	crc := checksum.CRC64NVME.New()
	if err := readAll(crc, io.NewSectionReader(s.f, 0, s.size), s.path); err != nil {
		return nil, err
	}
	if err := s.unchanged(); err != nil {
		return nil, err
	}
	want := b64(crc.Sum(nil))
	bar := t.progress(dst.String(), s.size)
	out, err := t.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &dst.Bucket, Key: &dst.Key, Body: io.NewSectionReader(s.f, 0, s.size), ContentLength: aws.Int64(s.size),
		ContentType: contentType(dst.Key), ChecksumCRC64NVME: aws.String(want), Metadata: sourceMeta(s),
	}, unsignedPayload)
	if err != nil {
		bar.Finish()
		return nil, fmt.Errorf("transfer: put %s: %w", dst, err)
	}
	bar.Add(s.size)
	bar.Finish()
	if got := aws.ToString(out.ChecksumCRC64NVME); got != want {
		return nil, fmt.Errorf("transfer: %s: %w: the server's CRC64NVME is %q, the source's %q", dst, ErrVerify, got, want)
	}
	return &Result{Bytes: s.size, Parts: 1, Sent: 1, Checksum: want}, t.verify(ctx, dst, s.size, want)
}

// verify reads the finished object's size and checksum back from the
// server: what a later reader will get, not what Complete said.
func (t *Transfer) verify(ctx context.Context, dst Location, size int64, want string) error {
	h, err := t.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &dst.Bucket, Key: &dst.Key, ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return fmt.Errorf("transfer: verify %s: %w", dst, err)
	}
	if got := aws.ToInt64(h.ContentLength); got != size {
		return fmt.Errorf("transfer: %s: %w: the object has %d bytes, the source %d", dst, ErrVerify, got, size)
	}
	if got := aws.ToString(h.ChecksumCRC64NVME); got != want {
		return fmt.Errorf("transfer: %s: %w: the object's CRC64NVME is %q, the source's %q", dst, ErrVerify, got, want)
	}
	return nil
}
