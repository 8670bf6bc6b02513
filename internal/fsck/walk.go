package fsck

import (
	"errors"
	"fmt"

	"github.com/tessera-s3/tessera/internal/meta"
)

// page is how many records one listing call returns (a variable so that
// tests can make listings page).
var page = 1000

// maxGarbage bounds the garbage list read at once (the contract has no
// paging for it); a longer list is read in part and the report says so.
const maxGarbage = 1 << 22

// ref is one record's claim on a blob: where the record is and what it
// says the blob holds.
type ref struct {
	// The record: a version (bucket, key, versionID) or an upload's part
	// (bucket, key, uploadID, part).
	bucket, key, versionID, uploadID string
	part                             int

	plain     int64  // plaintext size
	crypt     []byte // encryption record; nil for plaintext
	etag      string
	checksums meta.Checksums
}

func (r *ref) item() Item {
	return Item{Bucket: r.bucket, Key: r.key, VersionID: r.versionID, UploadID: r.uploadID, Part: r.part}
}

// walkMeta lists every bucket's versions and uploads with their parts,
// and the garbage list, recording each blob reference and checking each
// record against itself.
func (c *checker) walkMeta() error {
	buckets, err := c.store.ListBuckets(c.ctx)
	if err != nil {
		return fmt.Errorf("fsck: listing buckets: %w", err)
	}
	for _, b := range buckets {
		c.rep.Stats.Buckets++
		if err := c.walkVersions(b.Name); err != nil {
			return err
		}
		if err := c.walkUploads(b.Name); err != nil {
			return err
		}
	}
	ids, err := c.store.Garbage(c.ctx, maxGarbage)
	if err != nil {
		return fmt.Errorf("fsck: reading the garbage list: %w", err)
	}
	c.rep.Stats.GarbageTruncated = len(ids) == maxGarbage
	for _, id := range ids {
		c.garbage[id] = true
	}
	c.rep.Stats.Garbage = len(c.garbage)
	return nil
}

func (c *checker) walkVersions(bucket string) error {
	afterKey, afterID := "", ""
	seen := map[string]bool{} // versions of afterKey walked
	for {
		vs, err := c.store.ListVersions(c.ctx, bucket, "", afterKey, afterID, page)
		if errors.Is(err, meta.ErrNotFound) && afterID != "" {
			// The version the page ended on (a null version) was removed
			// meanwhile, so the listing cannot resume after it: walk the
			// rest of its key from the start, then go on after the key.
			if err := c.restOfKey(bucket, afterKey, seen); err != nil {
				return err
			}
			afterID = ""
			continue
		}
		if err != nil {
			return fmt.Errorf("fsck: listing versions of %s: %w", bucket, err)
		}
		for _, v := range vs {
			if v.Key != afterKey {
				afterKey, seen = v.Key, map[string]bool{}
			}
			seen[v.VersionID] = true
			if err := c.version(v); err != nil {
				return err
			}
		}
		if len(vs) < page {
			return nil
		}
		afterID = vs[len(vs)-1].VersionID
	}
}

// restOfKey walks the versions of key not in seen.
func (c *checker) restOfKey(bucket, key string, seen map[string]bool) error {
	afterKey, afterID := "", ""
	for {
		vs, err := c.store.ListVersions(c.ctx, bucket, key, afterKey, afterID, page)
		if err != nil {
			return fmt.Errorf("fsck: listing versions of %s/%s: %w", bucket, key, err)
		}
		for _, v := range vs {
			if v.Key != key {
				return nil // keys that extend key come after all of key's versions
			}
			if !seen[v.VersionID] {
				seen[v.VersionID] = true
				if err := c.version(v); err != nil {
					return err
				}
			}
		}
		if len(vs) < page {
			return nil
		}
		last := vs[len(vs)-1]
		afterKey, afterID = last.Key, last.VersionID
	}
}

// version reads one version's manifest and records its segments.
func (c *checker) version(v meta.Object) error {
	if v.DeleteMarker {
		c.rep.Stats.DeleteMarkers++
		return nil
	}
	obj, err := c.store.GetObject(c.ctx, v.Bucket, v.Key, v.VersionID)
	if errors.Is(err, meta.ErrNotFound) {
		return nil // removed since it was listed
	}
	if err != nil {
		return fmt.Errorf("fsck: reading %s/%s version %s: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	c.rep.Stats.Versions++
	at := Item{Bucket: obj.Bucket, Key: obj.Key, VersionID: obj.VersionID}
	var sum int64
	for _, s := range obj.Segments {
		sum += s.Size
	}
	switch {
	case obj.DeleteMarker:
		return nil
	case sum != obj.Size:
		at.Detail = fmt.Sprintf("object size %d, but its segments hold %d bytes", obj.Size, sum)
		c.rep.add(BadRecord, at)
	case obj.PartsCount > 0 && obj.PartsCount != len(obj.Segments):
		at.Detail = fmt.Sprintf("%d parts, but %d segments", obj.PartsCount, len(obj.Segments))
		c.rep.add(BadRecord, at)
	}
	for _, s := range obj.Segments {
		c.addRef(s.BlobID, &ref{bucket: obj.Bucket, key: obj.Key, versionID: obj.VersionID, part: s.PartNumber,
			plain: s.Size, crypt: s.Crypt, etag: s.ETag, checksums: s.Checksums})
	}
	return nil
}

func (c *checker) walkUploads(bucket string) error {
	afterKey, afterID := "", ""
	for {
		us, err := c.store.ListUploads(c.ctx, bucket, "", afterKey, afterID, page)
		if err != nil {
			return fmt.Errorf("fsck: listing uploads of %s: %w", bucket, err)
		}
		for _, u := range us {
			c.rep.Stats.Uploads++
			if err := c.walkParts(u); err != nil {
				return err
			}
		}
		if len(us) < page {
			return nil
		}
		last := us[len(us)-1]
		afterKey, afterID = last.Key, last.ID
	}
}

func (c *checker) walkParts(u meta.Upload) error {
	after := 0
	for {
		ps, err := c.store.ListParts(c.ctx, u.ID, after, page)
		if err != nil {
			return fmt.Errorf("fsck: listing parts of upload %s: %w", u.ID, err)
		}
		for _, p := range ps {
			c.rep.Stats.Parts++
			r := &ref{bucket: u.Bucket, key: u.Key, uploadID: u.ID, part: p.Number,
				plain: p.Size, crypt: p.Crypt, etag: p.ETag, checksums: p.Checksums}
			if p.UploadID != u.ID || p.Number < 1 || p.Number > 10000 {
				it := r.item()
				it.Detail = fmt.Sprintf("part record names upload %q and number %d", p.UploadID, p.Number)
				c.rep.add(BadRecord, it)
			}
			c.addRef(p.BlobID, r)
		}
		if len(ps) < page {
			return nil
		}
		after = ps[len(ps)-1].Number
	}
}

// addRef records a reference; a blob two records use is checked against
// the first, and the second is reported if it says otherwise.
func (c *checker) addRef(id string, r *ref) {
	prev := c.refs[id]
	if prev == nil {
		c.refs[id] = r
		return
	}
	if prev.plain != r.plain || string(prev.crypt) != string(r.crypt) {
		it := r.item()
		it.Blob = id
		it.Detail = "another record uses this blob with a different size or encryption"
		c.rep.add(BadRecord, it)
	}
}
