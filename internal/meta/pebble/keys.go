package pebblestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// Key layout. Every record lives in one Pebble keyspace; the first byte names
// the table. This file is the only place keys are built, and the same
// functions build keys for writing and bounds for seeking, so a write and the
// scan that must find it can never disagree.
//
//	tBucket     | bucket                                            → Bucket (JSON)
//	tObject     | bucket 0x00 | key                                 → object header (JSON, Segments nil)
//	tManifest   | bucket 0x00 | key                                 → []Segment (binary, metacodec)
//	tUpload     | bucket 0x00 | esc(key) 0x00 0x01 | initiated(8) | uploadID → Upload (JSON)
//	tUploadByID | uploadID                                          → the tUpload key of that upload
//	tPart       | uploadID 0x00 | part number (4, big-endian)       → Part (binary, metacodec)
//	tCompletion | uploadID                                          → Completion (JSON)
//	tGarbage    | blobID                                            → when recorded (Unix ns, 8 bytes big-endian; empty = before dating)
//	tVersion    | bucket 0x00 | esc(key) 0x00 0x01 | rank(8)       → noncurrent version header (JSON)
//	tVManifest  | bucket 0x00 | esc(key) 0x00 0x01 | rank(8)       → its []Segment (binary)
//	tNullVer    | bucket 0x00 | key                                 → Seq(8) of the key's noncurrent null version
//
// tObject and tManifest hold each key's latest version (possibly a delete
// marker); tVersion and tVManifest its older ones, newest first (rank is
// meta.Rank(Seq), big-endian). A key has older versions only while it has a
// latest, so listing versions walks tObject and, per key, seeks tVersion.
//
// Bucket names and upload IDs never contain 0x00 (checked on creation), so a
// 0x00 terminator makes (bucket, rest) sort exactly like the pair: "a" 0x00 …
// sorts before "ab" 0x00 …. An object key is the last component of its key,
// so it is stored raw and byte order of the encoded key is byte order of the
// object key. In upload keys the object key is followed by more fields, so it
// is escaped (0x00 → 0x00 0xFF) and terminated by 0x00 0x01; that escaping
// preserves order, including for keys that are prefixes of each other.
//
// Object headers and manifests live in separate tables so that ListObjects
// scans only small header records and never reads a 10,000-segment manifest.
const (
	tBucket     byte = 'b'
	tObject     byte = 'o'
	tManifest   byte = 'm'
	tUpload     byte = 'u'
	tUploadByID byte = 'i'
	tPart       byte = 'p'
	tCompletion byte = 'c'
	tGarbage    byte = 'g'
	tVersion    byte = 'v'
	tVManifest  byte = 'w'
	tNullVer    byte = 'n'
)

// maxPartNumber is the largest part number the fixed-width encoding holds.
const maxPartNumber = 1<<32 - 1

var (
	errBadBucketName = errors.New("pebblestore: bucket name is empty or contains a NUL byte")
	errBadUploadID   = errors.New("pebblestore: upload ID is empty or contains a NUL byte")
)

// validName reports whether s can be used as a 0x00-terminated component.
func validName(s string) bool { return s != "" && !strings.ContainsRune(s, 0) }

func bucketKey(bucket string) []byte {
	return append([]byte{tBucket}, bucket...)
}

// bucketScoped returns table | bucket 0x00, the prefix of every record of
// that table belonging to the bucket.
func bucketScoped(table byte, bucket string) []byte {
	k := make([]byte, 0, 2+len(bucket)+32)
	k = append(k, table)
	k = append(k, bucket...)
	return append(k, 0x00)
}

func objectKey(bucket, key string) []byte {
	return append(bucketScoped(tObject, bucket), key...)
}

func manifestKey(bucket, key string) []byte {
	return append(bucketScoped(tManifest, bucket), key...)
}

// objectKeyName extracts the object key from an objectKey of the bucket.
func objectKeyName(bucket string, k []byte) string {
	return string(k[2+len(bucket):])
}

// appendEscaped appends key with 0x00 escaped as 0x00 0xFF and no terminator,
// which is also the encoding of "every key with this prefix".
func appendEscaped(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		if key[i] == 0x00 {
			dst = append(dst, 0x00, 0xFF)
		} else {
			dst = append(dst, key[i])
		}
	}
	return dst
}

// uploadKeyPrefix returns the prefix shared by every upload of (bucket, key).
func uploadKeyPrefix(bucket, key string) []byte {
	k := appendEscaped(bucketScoped(tUpload, bucket), key)
	return append(k, 0x00, 0x01)
}

// uploadPrefixScope returns the prefix shared by every upload of the bucket
// whose key starts with prefix.
func uploadPrefixScope(bucket, prefix string) []byte {
	return appendEscaped(bucketScoped(tUpload, bucket), prefix)
}

func uploadKey(bucket, key string, initiated time.Time, uploadID string) []byte {
	k := uploadKeyPrefix(bucket, key)
	k = appendTime(k, initiated)
	return append(k, uploadID...)
}

// appendTime appends t as 8 big-endian bytes of its Unix nanoseconds with
// the sign bit flipped, so that times before 1970 still sort first.
func appendTime(dst []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t.UnixNano())^(1<<63))
}

func uploadByIDKey(uploadID string) []byte {
	return append([]byte{tUploadByID}, uploadID...)
}

// partPrefix returns the prefix of every part of the upload.
func partPrefix(uploadID string) []byte {
	k := make([]byte, 0, 2+len(uploadID)+4)
	k = append(k, tPart)
	k = append(k, uploadID...)
	return append(k, 0x00)
}

// partKey encodes the part number fixed-width big-endian so that byte order
// is numeric order (part 10 after part 9) and ListParts is a range scan.
func partKey(uploadID string, number int) []byte {
	return binary.BigEndian.AppendUint32(partPrefix(uploadID), uint32(number))
}

// versionPrefix returns the prefix of every noncurrent version of (bucket,
// key) in table (tVersion or tVManifest).
func versionPrefix(table byte, bucket, key string) []byte {
	k := appendEscaped(bucketScoped(table, bucket), key)
	return append(k, 0x00, 0x01)
}

func versionKey(table byte, bucket, key string, seq int64) []byte {
	return binary.BigEndian.AppendUint64(versionPrefix(table, bucket, key), uint64(meta.Rank(seq)))
}

func nullVersionKey(bucket, key string) []byte {
	return append(bucketScoped(tNullVer, bucket), key...)
}

func completionKey(uploadID string) []byte {
	return append([]byte{tCompletion}, uploadID...)
}

func garbageKey(blobID string) []byte {
	return append([]byte{tGarbage}, blobID...)
}

// successor returns the smallest key greater than every key with prefix p,
// for use as an exclusive upper bound. p always starts with a table byte
// below 0xFF, so a result exists.
func successor(p []byte) []byte {
	s := append([]byte(nil), p...)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 0xFF {
			s[i]++
			return s[:i+1]
		}
	}
	panic(fmt.Sprintf("pebblestore: no successor for key %x", p))
}

// after returns the smallest key strictly greater than k.
func after(k []byte) []byte {
	return append(append([]byte(nil), k...), 0x00)
}
