package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
)

// ListParts pages hold up to 1000 parts and are the hottest listing of the
// product; encoding/xml spends most of a page's time on reflection, so the
// page is appended by hand. TestListPartsXMLEquivalent checks it decodes to
// exactly what encoding/xml would have produced.

// appendEscaped appends s as XML character data.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		case '\r':
			b = append(b, "&#xD;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendElem(b []byte, name, value string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscaped(b, value)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendIntElem(b []byte, name string, v int64) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = strconv.AppendInt(b, v, 10)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendOptElem(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendElem(b, name, value)
}

func appendOwner(b []byte, name string, o owner) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendElem(b, "ID", o.ID)
	b = appendOptElem(b, "DisplayName", o.DisplayName)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendChecksumFields(b []byte, c *checksumFields) []byte {
	b = appendOptElem(b, "ChecksumCRC32", c.ChecksumCRC32)
	b = appendOptElem(b, "ChecksumCRC32C", c.ChecksumCRC32C)
	b = appendOptElem(b, "ChecksumCRC64NVME", c.ChecksumCRC64NVME)
	b = appendOptElem(b, "ChecksumSHA1", c.ChecksumSHA1)
	b = appendOptElem(b, "ChecksumSHA256", c.ChecksumSHA256)
	b = appendOptElem(b, "ChecksumMD5", c.ChecksumMD5)
	b = appendOptElem(b, "ChecksumSHA512", c.ChecksumSHA512)
	b = appendOptElem(b, "ChecksumXXHASH64", c.ChecksumXXHASH64)
	b = appendOptElem(b, "ChecksumXXHASH3", c.ChecksumXXHASH3)
	return appendOptElem(b, "ChecksumXXHASH128", c.ChecksumXXHASH128)
}

// appendXML appends the whole document, header included.
func (r *listPartsResult) appendXML(b []byte) []byte {
	b = append(b, xml.Header...)
	b = append(b, `<ListPartsResult xmlns="`...)
	b = append(b, r.NS...)
	b = append(b, `">`...)
	b = appendElem(b, "Bucket", r.Bucket)
	b = appendElem(b, "Key", r.Key)
	b = appendElem(b, "UploadId", r.UploadID)
	b = appendIntElem(b, "PartNumberMarker", int64(r.PartNumberMarker))
	b = appendIntElem(b, "NextPartNumberMarker", int64(r.NextPartNumberMarker))
	b = appendIntElem(b, "MaxParts", int64(r.MaxParts))
	b = appendElem(b, "IsTruncated", strconv.FormatBool(r.IsTruncated))
	for i := range r.Parts {
		p := &r.Parts[i]
		b = append(b, "<Part>"...)
		b = appendIntElem(b, "PartNumber", int64(p.PartNumber))
		b = appendElem(b, "LastModified", p.LastModified)
		b = appendElem(b, "ETag", p.ETag)
		b = appendIntElem(b, "Size", p.Size)
		b = appendChecksumFields(b, &p.checksumFields)
		b = append(b, "</Part>"...)
	}
	b = appendOwner(b, "Initiator", r.Initiator)
	b = appendOwner(b, "Owner", r.Owner)
	b = appendElem(b, "StorageClass", r.StorageClass)
	b = appendOptElem(b, "ChecksumAlgorithm", r.ChecksumAlgorithm)
	b = appendOptElem(b, "ChecksumType", r.ChecksumType)
	return append(b, "</ListPartsResult>"...)
}

// writeListParts sends a ListParts page.
func writeListParts(w http.ResponseWriter, r *listPartsResult) {
	body := r.appendXML(make([]byte, 0, 512+len(r.Parts)*200))
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
