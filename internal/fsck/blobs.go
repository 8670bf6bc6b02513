package fsck

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/checksum"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/sse"
)

// checkRefs checks every referenced blob: its ID, that it exists, its size
// and, when deep, its content. Blobs are visited in ID order, so reports
// of one store are stable.
func (c *checker) checkRefs() error {
	ids := make([]string, 0, len(c.refs))
	for id := range c.refs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	c.rep.Stats.Referenced = len(ids)
	for _, id := range ids {
		if err := c.ctx.Err(); err != nil {
			return fmt.Errorf("fsck: %w", err)
		}
		if err := c.checkRef(id, c.refs[id]); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) checkRef(id string, r *ref) error {
	at := r.item()
	at.Blob = id
	if !blob.ValidID(id) {
		at.Detail = "malformed blob ID"
		c.rep.add(BadBlobID, at)
		return nil
	}
	want, ok := diskSize(r)
	if !ok {
		at.Detail = "unknown encryption record"
		c.rep.add(BadRecord, at)
	}
	got, err := c.blobs.Size(id)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c.missing(id, r, at)
	case err != nil:
		at.Detail = err.Error()
		c.rep.add(UnreadableBlob, at)
		return nil
	case ok && got != want:
		at.Size, at.Detail = got, fmt.Sprintf("blob holds %d bytes, the record needs %d", got, want)
		c.rep.add(SizeMismatch, at)
		return nil
	}
	if c.opts.Deep {
		return c.verify(id, r, at)
	}
	return nil
}

// diskSize is the size the blob of r must have: its plaintext size, or the
// encrypted size of that plaintext in the format its record names.
func diskSize(r *ref) (int64, bool) {
	if r.crypt == nil {
		return r.plain, true
	}
	switch engine.CryptMode(r.crypt) {
	case engine.SSEDSSE:
		return sse.DualEncryptedSize(r.plain), true
	case engine.SSEC, engine.SSES3, engine.SSEKMS:
		return sse.EncryptedSize(r.plain), true
	}
	return 0, false
}

// missing reports a missing blob unless its record no longer names it: a
// concurrent delete or overwrite freed it after the listing saw it.
func (c *checker) missing(id string, r *ref, at Item) error {
	still, err := c.stillReferenced(id, r)
	if err != nil {
		return err
	}
	if still {
		at.Detail = "the blob does not exist"
		c.rep.add(MissingBlob, at)
	}
	return nil
}

func (c *checker) stillReferenced(id string, r *ref) (bool, error) {
	if r.uploadID != "" {
		ps, err := c.store.ListParts(c.ctx, r.uploadID, r.part-1, 1)
		if err != nil {
			return false, fmt.Errorf("fsck: rereading part %d of upload %s: %w", r.part, r.uploadID, err)
		}
		return len(ps) == 1 && ps[0].Number == r.part && ps[0].BlobID == id, nil
	}
	obj, err := c.store.GetObject(c.ctx, r.bucket, r.key, r.versionID)
	if errors.Is(err, meta.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("fsck: rereading %s/%s version %s: %w", r.bucket, r.key, r.versionID, err)
	}
	for _, s := range obj.Segments {
		if s.BlobID == id {
			return true, nil
		}
	}
	return false, nil
}

// verify reads the blob whole. A plaintext blob's MD5 must be its ETag
// (when the ETag is an MD5) and each recorded checksum must match; an
// encrypted blob cannot be authenticated without its keys, so reading it
// whole only proves every byte can be read.
func (c *checker) verify(id string, r *ref, at Item) error {
	f, err := c.blobs.Open(id)
	if errors.Is(err, fs.ErrNotExist) {
		return c.missing(id, r, at)
	}
	if err != nil {
		at.Detail = err.Error()
		c.rep.add(UnreadableBlob, at)
		return nil
	}
	defer f.Close()
	if r.crypt != nil {
		n, err := io.Copy(io.Discard, f)
		c.rep.Stats.BytesRead += n
		c.rep.Stats.Verified++
		if err != nil {
			at.Detail = err.Error()
			c.rep.add(UnreadableBlob, at)
		}
		return nil
	}
	algs := recorded(r.checksums)
	h := checksum.NewHasher(algs...)
	n, err := io.Copy(h, f)
	c.rep.Stats.BytesRead += n
	c.rep.Stats.Verified++
	if err != nil {
		at.Detail = err.Error()
		c.rep.add(UnreadableBlob, at)
		return nil
	}
	var bad []string
	if isMD5Hex(r.etag) && h.MD5Hex() != r.etag {
		bad = append(bad, fmt.Sprintf("MD5 %s, ETag %s", h.MD5Hex(), r.etag))
	}
	for _, a := range algs {
		if got, want := h.Base64(a), r.checksums[string(a)]; got != want {
			bad = append(bad, fmt.Sprintf("%s %s, recorded %s", a, got, want))
		}
	}
	if len(bad) > 0 {
		at.Detail = strings.Join(bad, "; ")
		c.rep.add(ChecksumMismatch, at)
	}
	return nil
}

// recorded lists the algorithms of a blob's checksums that describe its
// bytes (a composite "-N" value describes parts, not one blob), in a
// stable order.
func recorded(cks meta.Checksums) []checksum.Algorithm {
	var out []checksum.Algorithm
	for name, v := range cks {
		if a, ok := checksum.Parse(name); ok && string(a) == name && a.Valid(v) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func isMD5Hex(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 16 && strings.ToLower(s) == s
}

// walkBlobs lists the blobs on disk and reports those no record and no
// garbage entry names: orphans when older than the grace, else writes in
// flight (committed, their metadata not yet). The references were read
// before the walk began, so a blob written since is young, never an orphan.
func (c *checker) walkBlobs() error {
	now := c.opts.Now()
	var orphans []string
	err := c.blobs.Walk(func(id string) error {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		c.rep.Stats.OnDisk++
		if c.refs[id] != nil || c.garbage[id] || c.before[id] || c.after[id] {
			return nil
		}
		mt, err := c.blobs.ModTime(id)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil // removed since the listing saw it
		case err != nil:
			c.rep.add(UnreadableBlob, Item{Blob: id, Detail: err.Error()})
			return nil
		case now.Sub(mt) < c.opts.Grace:
			c.rep.Stats.InFlight++
			return nil
		}
		size, _ := c.blobs.Size(id)
		c.rep.add(Orphan, Item{Blob: id, Size: size, Detail: "unreferenced since " + mt.UTC().Format(time.RFC3339)})
		orphans = append(orphans, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("fsck: listing blobs: %w", err)
	}
	if c.opts.Repair && len(orphans) > 0 {
		return c.repair(orphans)
	}
	return nil
}

// repair removes the orphans, after reading the references once more: a
// blob named by then was an old write committed late, not an orphan.
func (c *checker) repair(orphans []string) error {
	fresh, err := c.allRefs()
	if err != nil {
		return err
	}
	for _, id := range orphans {
		if fresh[id] {
			continue
		}
		if err := c.blobs.Remove(id); err != nil {
			c.rep.RepairFailed++
			if c.rep.RepairError == "" {
				c.rep.RepairError = err.Error()
			}
			continue
		}
		c.rep.Repaired++
	}
	return nil
}

// checkTemp reports temp files of gateways no longer registered (a
// gateway that stopped or crashed; its next start, or the leader's sweep,
// removes them), and loose temp files of older versions once older than
// the grace. Registered gateways' temp files are writes in flight.
func (c *checker) checkTemp() error {
	gws, err := c.store.Gateways(c.ctx)
	if err != nil {
		return fmt.Errorf("fsck: listing gateways: %w", err)
	}
	live := map[string]bool{}
	for _, g := range gws {
		live[g.ID] = true
	}
	now := c.opts.Now()
	err = c.blobs.TempFiles(func(f blob.TempFile) error {
		stale := !live[f.Gateway]
		detail := "left by gateway " + f.Gateway + ", which is not registered"
		if f.Gateway == "" {
			stale = now.Sub(f.ModTime) >= c.opts.Grace
			detail = "loose temp file of an older version"
		}
		if !stale {
			c.rep.Stats.TempInFlight++
			return nil
		}
		c.rep.add(StaleTemp, Item{Path: f.Path, Size: f.Size, Detail: detail + ", written " + f.ModTime.UTC().Format(time.RFC3339)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("fsck: %w", err)
	}
	return nil
}
