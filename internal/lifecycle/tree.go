package lifecycle

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// node is one element of a parsed document. The parser works on a tree,
// not on tagged structs, because S3 validates against a schema: unknown
// elements, repeated single elements and mixed content must be refused,
// and encoding/xml's struct decoding silently accepts all three.
type node struct {
	name string
	text string // character data of a leaf element, verbatim
	kids []*node
	leaf bool // no child elements
}

// maxDepth bounds nesting: LifecycleConfiguration/Rule/Filter/And/Tag/Key
// is the deepest valid path.
const maxDepth = 6

var errMalformed = errors.New("lifecycle: malformed document")

// readTree parses data into a tree. Namespaces are ignored (SDKs send S3's,
// hand-written documents often none); directives (DOCTYPE and the like) are
// refused. Any failure is errMalformed.
func readTree(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errMalformed
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 || len(stack) >= maxDepth {
				return nil, errMalformed // a second root, or too deep
			}
			n := &node{name: t.Name.Local, leaf: true}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				if strings.TrimSpace(p.text) != "" {
					return nil, errMalformed // text mixed with elements
				}
				p.text, p.leaf = "", false
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, errMalformed
				}
				continue
			}
			p := stack[len(stack)-1]
			if !p.leaf && len(bytes.TrimSpace(t)) != 0 {
				return nil, errMalformed
			}
			if p.leaf {
				p.text += string(t)
			}
		case xml.Directive:
			return nil, errMalformed
		}
	}
	if root == nil {
		return nil, errMalformed
	}
	return root, nil
}

// children groups a node's children by name, refusing names outside
// allowed and repeats of names not marked repeatable (allowed[name] true).
func (n *node) children(allowed map[string]bool) (map[string][]*node, error) {
	if n.leaf && strings.TrimSpace(n.text) != "" {
		return nil, errMalformed // text where elements belong
	}
	out := make(map[string][]*node, len(n.kids))
	for _, k := range n.kids {
		repeatable, ok := allowed[k.name]
		if !ok || (!repeatable && len(out[k.name]) > 0) {
			return nil, errMalformed
		}
		out[k.name] = append(out[k.name], k)
	}
	return out, nil
}

// value is the text of a leaf element; a non-leaf is malformed.
func (n *node) value() (string, error) {
	if !n.leaf {
		return "", errMalformed
	}
	return n.text, nil
}
