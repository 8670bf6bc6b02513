package meta

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"math"
	"time"
)

// A version ID is 32 characters of base32hex (0-9, A-V: URL-safe, and in
// ASCII order) encoding 20 bytes: the version's rank (math.MaxInt64 - Seq,
// big-endian) and 12 random bytes. Newer versions have smaller ranks, so
// version IDs of one key sort newest first as strings too, and a version ID
// names its place in the key's history without a lookup. The random part
// keeps IDs unique if a key's history is deleted and the clock steps back.
var versionEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

const (
	versionIDBytes = 20
	// VersionIDLen is the length of every version ID NewVersionID makes.
	VersionIDLen = 32
)

// Rank is the sort position of a version within its key: newest first.
func Rank(seq int64) int64 { return math.MaxInt64 - seq }

// NewVersionID makes the ID of a version with that Seq.
func NewVersionID(seq int64) string {
	var b [versionIDBytes]byte
	binary.BigEndian.PutUint64(b[:8], uint64(Rank(seq)))
	if _, err := rand.Read(b[8:]); err != nil {
		panic("meta: crypto/rand failed: " + err.Error()) // never returns an error (Go 1.24+)
	}
	return versionEncoding.EncodeToString(b[:])
}

// VersionSeq returns the Seq a version ID made by NewVersionID encodes;
// ok is false for anything else (NullVersion included).
func VersionSeq(id string) (seq int64, ok bool) {
	if len(id) != VersionIDLen {
		return 0, false
	}
	b, err := versionEncoding.DecodeString(id)
	if err != nil || len(b) != versionIDBytes {
		return 0, false
	}
	rank := binary.BigEndian.Uint64(b[:8])
	if rank > math.MaxInt64 {
		return 0, false
	}
	return math.MaxInt64 - int64(rank), true
}

// NextSeq is the Seq of a new version written at t over a latest version
// with Seq latest (0 when the key has none): t in Unix nanoseconds, unless
// that is not past the latest (or t is outside 1970–2262).
func NextSeq(t time.Time, latest int64) int64 {
	if t.Year() >= 1970 && t.Year() < 2262 {
		if nanos := t.UnixNano(); nanos > latest {
			return nanos
		}
	}
	return latest + 1
}
