package s3api

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A 10,000-part CompleteMultipartUpload body is ~1.5 MB of XML, and
// encoding/xml needs tens of milliseconds for it — most of a Complete that
// is otherwise metadata-only. parseCompleteFast reads the plain shape every
// SDK sends; anything else (comments, CDATA, attributes, unknown elements,
// odd entities) makes it give up, and encoding/xml decides. FuzzCompleteXML
// checks that whenever the fast path answers, encoding/xml agrees.

// decodeComplete decodes a Complete body: fast path first, encoding/xml
// when the fast path declines.
func decodeComplete(data []byte, out *completeMultipartUpload) error {
	if parseCompleteFast(data, out) {
		return nil
	}
	*out = completeMultipartUpload{}
	return xml.Unmarshal(data, out)
}

type xmlScanner struct {
	b []byte
}

func (s *xmlScanner) skipSpace() {
	for len(s.b) > 0 && (s.b[0] == ' ' || s.b[0] == '\t' || s.b[0] == '\n' || s.b[0] == '\r') {
		s.b = s.b[1:]
	}
}

func (s *xmlScanner) consume(lit string) bool {
	if bytes.HasPrefix(s.b, []byte(lit)) {
		s.b = s.b[len(lit):]
		return true
	}
	return false
}

// openTag reads "<Name>" and returns Name; false for anything fancier.
func (s *xmlScanner) openTag() (string, bool) {
	if len(s.b) < 3 || s.b[0] != '<' || s.b[1] == '/' || s.b[1] == '?' || s.b[1] == '!' {
		return "", false
	}
	end := bytes.IndexByte(s.b, '>')
	if end < 0 {
		return "", false
	}
	name := s.b[1:end]
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "", false
		}
	}
	s.b = s.b[end+1:]
	return string(name), true
}

// text reads character data up to the next '<', resolving the five named
// entities and decimal/hex character references to ASCII.
func (s *xmlScanner) text() (string, bool) {
	end := bytes.IndexByte(s.b, '<')
	if end < 0 {
		return "", false
	}
	raw := s.b[:end]
	s.b = s.b[end:]
	if !xmlChars(raw) {
		return "", false
	}
	if bytes.IndexByte(raw, '&') < 0 {
		if bytes.IndexByte(raw, '\r') >= 0 || bytes.IndexByte(raw, '>') >= 0 {
			return "", false // encoding/xml normalises CR; leave it the odd cases
		}
		return string(raw), true
	}
	var out []byte
	for len(raw) > 0 {
		c := raw[0]
		if c == '\r' || c == '>' {
			return "", false
		}
		if c != '&' {
			out = append(out, c)
			raw = raw[1:]
			continue
		}
		semi := bytes.IndexByte(raw, ';')
		if semi < 0 {
			return "", false
		}
		ent := string(raw[1:semi])
		raw = raw[semi+1:]
		switch ent {
		case "quot":
			out = append(out, '"')
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "apos":
			out = append(out, '\'')
		default:
			var n uint64
			var err error
			switch {
			case len(ent) > 2 && ent[0] == '#' && ent[1] == 'x':
				n, err = strconv.ParseUint(ent[2:], 16, 8)
			case len(ent) > 1 && ent[0] == '#':
				n, err = strconv.ParseUint(ent[1:], 10, 8)
			default:
				return "", false
			}
			if err != nil || n < 0x20 || n > 0x7e {
				return "", false
			}
			out = append(out, byte(n))
		}
	}
	return string(out), true
}

// closeTag consumes "</name>" entirely, or nothing.
// xmlChars reports whether b is UTF-8 made only of XML characters, as
// encoding/xml demands.
func xmlChars(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
		b = b[size:]
	}
	return true
}

func (s *xmlScanner) closeTag(name string) bool {
	return s.consume("</" + name + ">")
}

func parseCompleteFast(data []byte, out *completeMultipartUpload) bool {
	s := xmlScanner{b: data}
	s.skipSpace()
	// Only the declarations SDKs send; an encoding other than UTF-8 is
	// encoding/xml's business.
	if bytes.HasPrefix(s.b, []byte("<?")) {
		if !s.consume(`<?xml version="1.0" encoding="UTF-8"?>`) && !s.consume(`<?xml version="1.0" encoding="utf-8"?>`) && !s.consume(`<?xml version="1.0"?>`) {
			return false
		}
		s.skipSpace()
	}
	if !s.consume("<CompleteMultipartUpload") {
		return false
	}
	switch {
	case s.consume(">"):
	case s.consume(` xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`):
	default:
		return false
	}
	// One allocation for the part list and one for the PartNumber/ETag
	// strings the parts point at, instead of growing both part by part (a
	// 10,000-part body spent half its parse time copying).
	// A valid list names at most 10,000 parts: never size more from a count
	// a hostile body can inflate.
	n := min(bytes.Count(data, []byte("<Part>")), 10000)
	out.Parts = make([]completePartXML, 0, n)
	strs := make([]string, 0, 2*n)
	keep := func(v string) *string {
		// Past the capacity (a Part naming an element twice) append moves
		// on to a new array; earlier pointers keep the old one, unchanged.
		strs = append(strs, v)
		return &strs[len(strs)-1]
	}
	for {
		s.skipSpace()
		if s.closeTag("CompleteMultipartUpload") {
			s.skipSpace()
			return len(s.b) == 0
		}
		if !s.consume("<Part>") {
			return false
		}
		out.Parts = append(out.Parts, completePartXML{})
		p := &out.Parts[len(out.Parts)-1]
		for {
			s.skipSpace()
			if s.closeTag("Part") {
				break
			}
			name, ok := s.openTag()
			if !ok {
				return false
			}
			v, ok := s.text()
			if !ok || !s.closeTag(name) {
				return false
			}
			switch name {
			case "PartNumber":
				p.PartNumber = keep(v)
			case "ETag":
				p.ETag = keep(v)
			default:
				field := p.field(strings.TrimPrefix(name, "Checksum"))
				if field == nil || !strings.HasPrefix(name, "Checksum") {
					return false
				}
				*field = v
			}
		}
	}
}
