package sigv4

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// PostPolicy is a parsed POST policy document (AWS "POST Policy",
// sigv4-HTTPPOSTConstructPolicy):
//
//	{"expiration": "2015-12-30T12:00:00.000Z",
//	 "conditions": [{"bucket": "b"}, ["starts-with", "$key", "user/"],
//	                ["content-length-range", 1, 10485760]]}
type PostPolicy struct {
	Expiration time.Time
	Conditions []PostCondition
	// MinLength and MaxLength are the tightest content-length-range
	// (inclusive); MaxLength is -1 when the policy has none.
	MinLength, MaxLength int64
}

// The condition operators. Operator names are matched case-insensitively
// (s3-tests case_insensitive_condition_fields, "StArTs-WiTh").
const (
	opEq          = "eq"
	opStartsWith  = "starts-with"
	opLengthRange = "content-length-range"
)

// PostCondition is one condition of a policy.
type PostCondition struct {
	Op string // opEq, opStartsWith or opLengthRange
	// Field is the lower-cased form field the condition tests (condition
	// names are case-insensitive, LocalStack test_post_object_policy_
	// conditions_validation_eq). It is "" when the name lacked its "$":
	// such a condition never holds (LocalStack, same test).
	Field string
	Value string
	// Text is the condition as S3 prints it when it fails: a JSON array
	// with ", " separators, simple conditions as ["eq", "$name", "value"]
	// (LocalStack recordings; boto3#4514).
	Text string
	// never is set for a condition that cannot hold, such as a
	// content-length-range with a bound that is not a number (S3 answers
	// "Policy Condition failed" for ["content-length-range", "test", "10"]).
	never bool
	// min and max are a content-length-range's bounds.
	min, max int64
}

// invalidPolicy is S3's answer to a policy it cannot read:
// 400 InvalidPolicyDocument "Invalid Policy: …".
func invalidPolicy(format string, a ...any) error {
	return s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: "+format, a...)
}

// ParsePostPolicy decodes a form's base64 policy field and parses it.
// Every error is an InvalidPolicyDocument *s3err.Error.
func ParsePostPolicy(b64 string) (*PostPolicy, error) {
	doc, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		// Unrecorded; treated as unreadable JSON.
		return nil, invalidPolicy("Invalid JSON.")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil || top == nil {
		// tpyo#53: "Invalid Policy: Invalid JSON."
		return nil, invalidPolicy("Invalid JSON.")
	}
	p := &PostPolicy{MaxLength: -1}
	// Top-level names are case-sensitive: "EXPIRATION" or "CONDITIONS" leave
	// the policy without one (s3-tests *_is_case_sensitive expect 400). The
	// "missing" texts are Tessera's: no S3 capture.
	raw, ok := top["expiration"]
	if !ok {
		return nil, invalidPolicy("Policy missing expiration.")
	}
	var exp string
	if json.Unmarshal(raw, &exp) != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: '%s'", raw)
	}
	if p.Expiration, ok = parseExpiration(exp); !ok {
		// carrierwave_direct#2, raw S3 text.
		return nil, invalidPolicy("Invalid 'expiration' value: '%s'", exp)
	}
	raw, ok = top["conditions"]
	if !ok {
		return nil, invalidPolicy("Policy missing conditions.")
	}
	var conds []json.RawMessage
	if json.Unmarshal(raw, &conds) != nil {
		return nil, invalidPolicy("Invalid 'conditions' value.")
	}
	for _, c := range conds {
		pc, err := parseCondition(c)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, pc)
		if pc.Op == opLengthRange && !pc.never {
			// Several ranges all apply: keep the tightest.
			p.MinLength = max(p.MinLength, pc.min)
			if p.MaxLength < 0 || pc.max < p.MaxLength {
				p.MaxLength = pc.max
			}
		}
	}
	return p, nil
}

// parseExpiration reads an ISO 8601 UTC time, with or without fractional
// seconds (AWS's examples use ".000Z"; botocore sends "%Y-%m-%dT%H:%M:%SZ").
// An offset other than Z is refused, as S3 did (carrierwave_direct#2).
func parseExpiration(s string) (time.Time, bool) {
	if !strings.HasSuffix(s, "Z") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// parseCondition parses one element of "conditions": a simple condition
// {"name": "value"} or an array [op, "$name", value].
func parseCondition(raw json.RawMessage) (PostCondition, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return PostCondition{}, invalidPolicy("Invalid JSON.")
		}
		if len(m) != 1 {
			// LocalStack test_post_object_policy_conditions_validation_eq.
			return PostCondition{}, invalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
		}
		for name, v := range m {
			var s string
			if json.Unmarshal(v, &s) != nil {
				// modbox#10, raw S3 text.
				return PostCondition{}, invalidPolicy("Invalid Simple-Condition: value must be a string.")
			}
			return PostCondition{Op: opEq, Field: strings.ToLower(name), Value: s,
				Text: "[" + jsonString(opEq) + ", " + jsonString("$"+name) + ", " + jsonString(s) + "]"}, nil
		}
	}
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil || len(elems) == 0 {
		// Unrecorded text.
		return PostCondition{}, invalidPolicy("Invalid Condition: a condition must be an object or an array.")
	}
	parts := make([]string, len(elems))
	for i, e := range elems {
		var b bytes.Buffer
		if json.Compact(&b, e) != nil {
			return PostCondition{}, invalidPolicy("Invalid JSON.")
		}
		parts[i] = b.String()
	}
	pc := PostCondition{Text: "[" + strings.Join(parts, ", ") + "]"}
	var op string
	if json.Unmarshal(elems[0], &op) != nil {
		return PostCondition{}, invalidPolicy("Invalid Condition: the operator must be a string.")
	}
	pc.Op = strings.ToLower(op)
	if len(elems) != 3 {
		// s3-tests missing_content_length_argument expects 400; text unrecorded.
		return PostCondition{}, invalidPolicy("Invalid Condition: wrong number of arguments in %s.", pc.Text)
	}
	switch pc.Op {
	case opEq, opStartsWith:
		var name string
		if json.Unmarshal(elems[1], &name) != nil || json.Unmarshal(elems[2], &pc.Value) != nil {
			return PostCondition{}, invalidPolicy("Invalid Condition: the arguments of %s must be strings.", pc.Text)
		}
		if n, ok := strings.CutPrefix(name, "$"); ok {
			pc.Field = strings.ToLower(n)
		}
	case opLengthRange:
		pc.Field = opLengthRange
		lo, ok1 := lengthBound(elems[1])
		hi, ok2 := lengthBound(elems[2])
		pc.never = !ok1 || !ok2
		pc.min, pc.max = lo, hi
	default:
		// Unrecorded text.
		return PostCondition{}, invalidPolicy("Invalid Condition: unknown operator %s.", jsonString(op))
	}
	return pc, nil
}

// lengthBound reads a content-length-range bound: an integer, or a string
// holding one (S3 accepted ["content-length-range", "5", "10"], LocalStack
// test_post_object_policy_validation_size).
func lengthBound(raw json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// jsonString is s as a JSON string, without Go's HTML escaping.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// exemptPostFields need no condition (AWS "POST Policy": "Each form field
// that you specify in a form (except x-amz-signature, file, policy, and
// field names that have an x-ignore- prefix) must appear in the list of
// conditions"; the SigV2 page adds AWSAccessKeyId and signature).
func exemptPostField(name string, sigV int) bool {
	switch name {
	case "x-amz-signature", "file", "policy":
		return true
	case "awsaccesskeyid", "signature":
		return sigV == 2
	}
	return strings.HasPrefix(name, "x-ignore-")
}

// Check tests the form against every condition, in policy order, then
// that every field is covered by one. sigV is 2 or 4 (which fields are
// exempt). A failure is 403 AccessDenied "Invalid according to Policy: …"
// (LocalStack recordings; s3_direct_upload#29 for a condition on an
// absent field, which fails even with starts-with "").
func (p *PostPolicy) Check(f PostForm, sigV int) error {
	covered := map[string]bool{}
	for i := range p.Conditions {
		c := &p.Conditions[i]
		covered[c.Field] = true
		if !c.holds(f) {
			return s3err.Newf(s3err.AccessDenied, "Invalid according to Policy: Policy Condition failed: %s", c.Text)
		}
	}
	var extra []string
	seen := map[string]bool{}
	for _, name := range f.Order {
		if seen[name] || covered[name] || exemptPostField(name, sigV) {
			continue
		}
		seen[name] = true
		extra = append(extra, name)
	}
	if len(extra) > 0 {
		// moxie#165, s3-beam#42, vue-dropzone#471: one name each, lower-cased;
		// several are ", "-joined (unrecorded).
		return s3err.Newf(s3err.AccessDenied, "Invalid according to Policy: Extra input fields: %s", strings.Join(extra, ", "))
	}
	return nil
}

// holds reports whether the form meets the condition.
func (c *PostCondition) holds(f PostForm) bool {
	if c.never || c.Field == "" {
		return false
	}
	if c.Op == opLengthRange {
		return true // the size is checked while the file streams
	}
	v, ok := f.Fields[c.Field]
	if c.Field == "bucket" {
		v, ok = f.Bucket, true
	}
	if !ok {
		return false
	}
	if c.Op == opEq {
		return v == c.Value
	}
	if c.Field == "content-type" {
		// "Content-Types values for a starts-with condition that include
		// commas are interpreted as lists. Each value in the list must meet
		// the condition" (AWS POST Policy).
		for part := range strings.SplitSeq(v, ",") {
			if !strings.HasPrefix(strings.TrimSpace(part), c.Value) {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(v, c.Value)
}
