package meta

// Derivations every backend makes the same way, kept here so the backends
// cannot drift apart.

// UnusedBlobs returns the blob IDs of old that no segment of keep uses: the
// garbage when keep replaces old. Linear in both: a 10,000-part Complete
// must not do 10^8 comparisons.
func UnusedBlobs(old, keep []Segment) []string {
	used := make(map[string]struct{}, len(keep))
	for _, k := range keep {
		used[k.BlobID] = struct{}{}
	}
	var out []string
	for _, o := range old {
		if _, ok := used[o.BlobID]; !ok {
			out = append(out, o.BlobID)
		}
	}
	return out
}

// CompletionOf is what a backend remembers when uploadID completes as obj,
// so that a retried CompleteMultipartUpload answers with the same result.
func CompletionOf(uploadID string, obj Object) Completion {
	c := Completion{
		UploadID:     uploadID,
		Bucket:       obj.Bucket,
		Key:          obj.Key,
		ETag:         obj.ETag,
		Checksums:    obj.Checksums,
		ChecksumType: obj.ChecksumType,
		Size:         obj.Size,
		Parts:        make([]int, len(obj.Segments)),
		Completed:    obj.LastModified,
		VersionID:    obj.VersionID,
	}
	for i, seg := range obj.Segments {
		c.Parts[i] = seg.PartNumber
	}
	return c
}
