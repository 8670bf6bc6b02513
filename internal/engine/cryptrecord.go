package engine

import (
	"encoding/binary"
	"errors"

	"github.com/tessera-s3/tessera/internal/sse"
)

// cryptRecord is a parsed crypt record. Two formats exist:
//
//	format 1: 0x01 | mode | salt (32) | nonce prefix (4) | sealed data key (S3, KMS)
//	format 2: 0x02 | mode | salt (32) | nonce prefix (4) | key version (4, big-endian) | sealed data key
//
// Format 1 records were sealed under version 0 of their KEK (every record
// written before keys had versions). Records sealed under version 0 are
// still written in format 1, so they stay byte-identical to before;
// format 2 is used from version 1 on. SSE-C records have no sealed key and
// no version.
type cryptRecord struct {
	mode    byte
	params  sse.Params
	version uint32
	sealed  []byte
}

var errCryptRecord = errors.New("engine: malformed encryption record")

func parseCrypt(b []byte) (cryptRecord, error) {
	var r cryptRecord
	if len(b) < cryptHeadLen {
		return r, errCryptRecord
	}
	r.mode = b[1]
	copy(r.params.Salt[:], b[2:34])
	copy(r.params.NoncePrefix[:], b[34:38])
	rest := b[cryptHeadLen:]
	switch b[0] {
	case cryptV1:
	case cryptV2:
		if len(rest) < 4 {
			return r, errCryptRecord
		}
		r.version, rest = binary.BigEndian.Uint32(rest), rest[4:]
	default:
		return r, errCryptRecord
	}
	if r.mode != cryptModeC {
		r.sealed = rest
	}
	return r, nil
}

// bytes is the record's stored form.
func (r cryptRecord) bytes() []byte {
	out := make([]byte, 0, cryptHeadLen+4+len(r.sealed))
	format := byte(cryptV1)
	if r.version != 0 {
		format = cryptV2
	}
	out = append(out, format, r.mode)
	out = append(append(out, r.params.Salt[:]...), r.params.NoncePrefix[:]...)
	if format == cryptV2 {
		out = binary.BigEndian.AppendUint32(out, r.version)
	}
	return append(out, r.sealed...)
}
