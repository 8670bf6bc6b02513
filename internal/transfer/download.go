package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/checksum"
)

// partSuffix names the file a download writes into until it is verified.
const partSuffix = ".tessera-part"

// stateEvery is how often a download records the chunks that are on disk.
const stateEvery = time.Second

// DownloadDest is where an object goes locally: into dst when it is a
// directory (or ends in /), under the key's last element.
func DownloadDest(key, dst string) string {
	if strings.HasSuffix(dst, "/") || strings.HasSuffix(dst, string(filepath.Separator)) {
		return filepath.Join(dst, path.Base(key))
	}
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		return filepath.Join(dst, path.Base(key))
	}
	return dst
}

// object is what a download or copy learns of its source up front.
type object struct {
	size   int64
	etag   string
	crc    string // full-object CRC64NVME (base64), "" if the object has none
	md5    bool   // the ETag is the MD5 of the bytes (a single PUT, not SSE-KMS or SSE-C)
	typ    types.ChecksumType
	srcLoc Location
	// What a multipart copy must carry over itself (CopyObject does).
	contentType *string
	meta        map[string]string
}

func (t *Transfer) head(ctx context.Context, src Location) (*object, error) {
	h, err := t.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &src.Bucket, Key: &src.Key, ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		if c := apiCode(err); c == "NotFound" || c == "NoSuchKey" {
			return nil, fmt.Errorf("transfer: %s: no such object (%w)", src, err)
		}
		return nil, fmt.Errorf("transfer: %s: %w", src, err)
	}
	o := &object{size: aws.ToInt64(h.ContentLength), etag: aws.ToString(h.ETag), typ: h.ChecksumType, srcLoc: src,
		contentType: h.ContentType, meta: h.Metadata}
	// A COMPOSITE checksum ("...-N") is of the parts' checksums, not of
	// the bytes; only a full-object CRC64NVME can be checked by folding.
	if c := aws.ToString(h.ChecksumCRC64NVME); c != "" && !strings.Contains(c, "-") && h.ChecksumType != types.ChecksumTypeComposite {
		o.crc = c
	}
	e := strings.Trim(o.etag, `"`)
	o.md5 = len(e) == 32 && h.SSECustomerAlgorithm == nil &&
		h.ServerSideEncryption != types.ServerSideEncryptionAwsKms && h.ServerSideEncryption != types.ServerSideEncryptionAwsKmsDsse
	return o, nil
}

// Download copies the object src to the local path dst, resuming an
// interrupted download of the same object version (same ETag) unless
// Opt.NoResume. Bytes go to dst+".tessera-part", which becomes dst only
// once its checksum is verified.
func (t *Transfer) Download(ctx context.Context, src Location, dst string) (*Result, error) {
	o, err := t.head(ctx, src)
	if err != nil {
		return nil, err
	}
	dst, err = filepath.Abs(DownloadDest(src.Key, dst))
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	// The verified file replaces dst by rename: never a device or a pipe.
	if fi, err := os.Stat(dst); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("transfer: %s exists and is not a regular file: downloads go only to files", dst)
	}
	chunk, n, err := PartSize(o.size, t.Opt.PartSize)
	if err != nil {
		return nil, err
	}
	tmp := dst + partSuffix
	st, err := t.Opt.States.Load("download", src.String(), dst)
	if err != nil {
		return nil, err
	}
	if st != nil && (t.Opt.NoResume || st.ETag != o.etag || st.Size != o.size || !sizeIs(tmp, o.size)) {
		if st.ETag != o.etag && !t.Opt.NoResume {
			t.notify("%s changed since the interrupted download (ETag %s → %s): starting afresh", src, st.ETag, o.etag)
		}
		t.Opt.States.Remove("download", src.String(), dst)
		st = nil
	}
	flags := os.O_RDWR
	if st == nil {
		flags |= os.O_CREATE | os.O_TRUNC
		st = &State{Kind: "download", Source: src.String(), Dest: dst, Size: o.size, ETag: o.etag,
			PartSize: chunk, Done: map[int]string{}, Endpoint: t.Opt.Endpoint, Started: time.Now().UTC()}
	} else {
		chunk, n = st.PartSize, int(ceilDiv(o.size, st.PartSize))
		t.notify("resuming download of %s: %d of %d chunks are on disk", src, len(st.Done), n)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	f, err := os.OpenFile(tmp, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(o.size); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	if err := t.Opt.States.Save(st); err != nil {
		return nil, err
	}
	res, err := t.fetchChunks(ctx, o, f, st, n)
	if err != nil {
		return nil, err
	}
	if err := t.verifyLocal(f, o, st, n); err != nil {
		// The bytes on disk are wrong: start afresh next time.
		t.Opt.States.Remove("download", src.String(), dst)
		return nil, err
	}
	res.Checksum = o.crc
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	return res, t.Opt.States.Remove("download", src.String(), dst)
}

func sizeIs(p string, size int64) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Size() == size
}

// fetchChunks reads the chunks not yet on disk with ranged GETs pinned to
// the object's ETag (If-Match: a replaced object fails with 412 instead of
// mixing versions) and records finished chunks in the state every
// stateEvery, after an fsync, so the state never names a chunk that a
// power loss could take back.
func (t *Transfer) fetchChunks(ctx context.Context, o *object, f *os.File, st *State, n int) (*Result, error) {
	bar := t.progress(o.srcLoc.String(), o.size)
	defer bar.Finish()
	res := &Result{Bytes: o.size, Parts: n}
	var mu sync.Mutex
	fresh := map[int]string{} // done since the last save
	save := func() error {
		mu.Lock()
		batch := fresh
		fresh = map[int]string{}
		mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("transfer: %w", err)
		}
		mu.Lock()
		for i, c := range batch {
			st.Done[i] = c
		}
		mu.Unlock()
		return t.Opt.States.Save(st)
	}
	stop := make(chan struct{})
	saved := make(chan struct{})
	go func() {
		defer close(saved)
		tk := time.NewTicker(stateEvery)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				save()
			}
		}
	}()
	for i := range n {
		if _, ok := st.Done[i+1]; ok {
			_, size := partRange(i+1, st.PartSize, o.size)
			bar.Add(size)
			res.Reused++
		}
	}
	pace := &pacer{rate: t.Opt.MaxRate}
	already := maps.Clone(st.Done) // st.Done changes under save
	err := t.forEach(ctx, n, func(ctx context.Context, i int) error {
		if _, ok := already[i]; ok {
			return nil
		}
		off, size := partRange(i, st.PartSize, o.size)
		if size == 0 {
			mu.Lock()
			fresh[i] = b64(checksum.CRC64NVME.New().Sum(nil))
			mu.Unlock()
			return nil
		}
		if err := pace.wait(ctx, size); err != nil {
			return err
		}
		out, err := t.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &o.srcLoc.Bucket, Key: &o.srcLoc.Key,
			Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+size-1)), IfMatch: aws.String(o.etag)})
		if err != nil {
			if apiCode(err) == "PreconditionFailed" {
				return fmt.Errorf("transfer: %s: %w during the download (its ETag is no longer %s): run the command again to fetch the new version", o.srcLoc, ErrSourceChanged, o.etag)
			}
			return fmt.Errorf("transfer: get %s: %w", o.srcLoc, err)
		}
		// Streamed to its place in the file, checksummed on the way:
		// memory stays flat whatever the chunk size.
		crc := checksum.CRC64NVME.New()
		dst := &chunkWriter{w: io.NewOffsetWriter(f, off)}
		got, err := io.Copy(io.MultiWriter(dst, crc), io.LimitReader(out.Body, size))
		out.Body.Close()
		if dst.err != nil {
			return fmt.Errorf("transfer: write %s: %w", f.Name(), dst.err)
		}
		if err == nil && got != size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return fmt.Errorf("transfer: get %s bytes %d-%d: %w", o.srcLoc, off, off+size-1, err)
		}
		mu.Lock()
		fresh[i] = b64(crc.Sum(nil))
		res.Sent++
		mu.Unlock()
		bar.Add(size)
		return nil
	})
	close(stop)
	<-saved
	if serr := save(); err == nil {
		err = serr
	}
	return res, err
}

// verifyLocal checks the downloaded bytes against the object: its
// full-object CRC64NVME folded from the chunks' CRCs when it has one, else
// the MD5 of a single-part ETag (read back from disk), else the size alone
// (a multipart or SSE-KMS ETag is not a digest of the bytes).
func (t *Transfer) verifyLocal(f *os.File, o *object, st *State, n int) error {
	if o.crc != "" {
		parts := make([]completed, n)
		for i := range n {
			c, ok := st.Done[i+1]
			if !ok {
				return fmt.Errorf("transfer: chunk %d of %s was not fetched", i+1, o.srcLoc)
			}
			raw, ok := checksum.CRC64NVME.Decode(c)
			if !ok {
				return fmt.Errorf("transfer: bad chunk checksum in the state of %s", o.srcLoc)
			}
			_, size := partRange(i+1, st.PartSize, o.size)
			parts[i] = completed{crc: raw, size: size}
		}
		got, err := fullObject(parts)
		if err != nil {
			return err
		}
		if got != o.crc {
			return fmt.Errorf("transfer: %s: %w: the bytes' CRC64NVME is %q, the object's %q", o.srcLoc, ErrVerify, got, o.crc)
		}
		return nil
	}
	etag := strings.Trim(o.etag, `"`)
	if !o.md5 {
		t.notify("%s has neither a full-object checksum nor an MD5 ETag: only its size is verified", o.srcLoc)
		return nil
	}
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, o.size)); err != nil {
		return fmt.Errorf("transfer: read back %s: %w", f.Name(), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != etag {
		return fmt.Errorf("transfer: %s: %w: the bytes' MD5 is %s, the ETag %s", o.srcLoc, ErrVerify, got, etag)
	}
	return nil
}

// chunkWriter keeps the local write's error apart from the download's, so
// that a full disk is reported as such (and not as a failed GET).
type chunkWriter struct {
	w   io.Writer
	err error
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}
