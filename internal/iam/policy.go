// Package iam holds Tessera's permission model: accounts and their keys,
// and S3 bucket policies (parsing and evaluation). Policies are evaluated
// the way AWS does for a single bucket policy: an explicit Deny wins, then an
// Allow grants, otherwise the answer is "not applicable" and the caller
// falls back to ownership.
package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strings"
)

// Policy is a parsed bucket policy.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one policy statement, normalised: every list field holds
// its values whether the JSON had a string or an array.
type Statement struct {
	Sid          string
	Allow        bool
	Principals   []string // account IDs, ARNs or "*"; nil when NotPrincipal is used
	NotPrincipal []string
	Actions      []string // lower-cased, e.g. "s3:getobject", "s3:*"
	NotActions   []string
	Resources    []string
	NotResources []string
	Conditions   []Condition
}

// Condition is one operator/key/values triple of a Condition block.
type Condition struct {
	Operator string // as written, e.g. "StringLike"
	Key      string // lower-cased, e.g. "s3:prefix"
	Values   []string
}

// PolicyError is a malformed policy; the message is meant for the client.
type PolicyError struct{ Msg string }

func (e *PolicyError) Error() string { return "iam: " + e.Msg }

func malformed(format string, a ...any) error { return &PolicyError{fmt.Sprintf(format, a...)} }

// operators are the condition operators Tessera evaluates.
var operators = map[string]bool{
	"stringequals": true, "stringnotequals": true, "stringequalsignorecase": true,
	"stringnotequalsignorecase": true, "stringlike": true, "stringnotlike": true,
	"ipaddress": true, "notipaddress": true, "bool": true,
}

// MaxPolicySize is S3's limit on a bucket policy document.
const MaxPolicySize = 20 << 10

// ParsePolicy parses and validates a bucket policy for the bucket.
func ParsePolicy(data []byte, bucket string) (*Policy, error) {
	if len(data) > MaxPolicySize {
		return nil, malformed("Policies must be less than 20 KB")
	}
	return parseDocument(data, bucketRules(bucket))
}

// ParseAccessPointPolicy parses and validates an access point policy for
// the access point with the ARN apARN: a bucket policy's grammar, whose
// resources are the access point (apARN) or its objects (apARN/object/key),
// wildcards allowed, as S3 Control requires.
func ParseAccessPointPolicy(data []byte, apARN string) (*Policy, error) {
	if len(data) > MaxPolicySize {
		return nil, malformed("Policies must be less than 20 KB")
	}
	return parseDocument(data, statementRules{actionPrefix: "s3:", resourceOK: func(r string) bool {
		return r == apARN || strings.HasPrefix(r, apARN+"/object/") || wildcardMatch(r, apARN, false)
	}})
}

// MaxKeyPolicySize is KMS's limit on a key policy document (32 KB).
const MaxKeyPolicySize = 32 << 10

// ParseKeyPolicy parses and validates a KMS key policy for the key with
// the ARN keyARN: the same grammar as a bucket policy, but every action is
// a kms: action (or "*") and every resource is "*" or matches the key's
// ARN, as in KMS, where a key policy only ever governs its own key.
func ParseKeyPolicy(data []byte, keyARN string) (*Policy, error) {
	if len(data) > MaxKeyPolicySize {
		return nil, malformed("Key policies must be less than 32 KB")
	}
	return parseDocument(data, statementRules{
		actionPrefix: "kms:",
		resourceOK:   func(r string) bool { return r == "*" || wildcardMatch(r, keyARN, false) },
	})
}

// statementRules is what differs between the kinds of policy: which
// service's actions a statement may name, and which resources.
type statementRules struct {
	actionPrefix string // lower case, e.g. "s3:"
	resourceOK   func(arn string) bool
}

func bucketRules(bucket string) statementRules {
	return statementRules{actionPrefix: "s3:", resourceOK: func(r string) bool { return resourceInBucket(r, bucket) }}
}

func parseDocument(data []byte, rules statementRules) (*Policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		ID        string          `json:"Id"`
		Statement json.RawMessage `json:"Statement"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, malformed("This policy contains invalid Json")
	}
	if raw.Version != "" && raw.Version != "2012-10-17" && raw.Version != "2008-10-17" {
		return nil, malformed("The policy must contain a valid version string")
	}
	var rawStmts []map[string]json.RawMessage
	if len(raw.Statement) > 0 && raw.Statement[0] == '{' {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return nil, malformed("This policy contains invalid Json")
		}
		rawStmts = append(rawStmts, one)
	} else if err := json.Unmarshal(raw.Statement, &rawStmts); err != nil {
		return nil, malformed("This policy contains invalid Json")
	}
	if len(rawStmts) == 0 {
		return nil, malformed("Could not parse the policy: Statement is empty!")
	}
	p := &Policy{Version: raw.Version, ID: raw.ID}
	for _, rs := range rawStmts {
		st, err := parseStatement(rs, rules)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(rs map[string]json.RawMessage, rules statementRules) (Statement, error) {
	var st Statement
	for k := range rs {
		switch k {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
		default:
			return st, malformed("Policy has an invalid element %q", k)
		}
	}
	if v, ok := rs["Sid"]; ok {
		if err := json.Unmarshal(v, &st.Sid); err != nil {
			return st, malformed("Sid must be a string")
		}
	}
	var effect string
	if err := json.Unmarshal(rs["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return st, malformed("Invalid effect: %s", strings.Trim(string(rs["Effect"]), `"`))
	}
	st.Allow = effect == "Allow"
	var err error
	if st.Principals, err = principals(rs["Principal"]); err != nil {
		return st, err
	}
	if st.NotPrincipal, err = principals(rs["NotPrincipal"]); err != nil {
		return st, err
	}
	if (st.Principals == nil) == (st.NotPrincipal == nil) {
		return st, malformed("Policy statement must contain exactly one of Principal or NotPrincipal")
	}
	if st.Actions, err = stringList(rs["Action"], "Action"); err != nil {
		return st, err
	}
	if st.NotActions, err = stringList(rs["NotAction"], "NotAction"); err != nil {
		return st, err
	}
	if (st.Actions == nil) == (st.NotActions == nil) {
		return st, malformed("Policy statement must contain exactly one of Action or NotAction")
	}
	for _, list := range [][]string{st.Actions, st.NotActions} {
		for i, a := range list {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), rules.actionPrefix) {
				return st, malformed("Policy has invalid action")
			}
			list[i] = strings.ToLower(a)
		}
	}
	if st.Resources, err = stringList(rs["Resource"], "Resource"); err != nil {
		return st, err
	}
	if st.NotResources, err = stringList(rs["NotResource"], "NotResource"); err != nil {
		return st, err
	}
	if (st.Resources == nil) == (st.NotResources == nil) {
		return st, malformed("Policy statement must contain exactly one of Resource or NotResource")
	}
	for _, list := range [][]string{st.Resources, st.NotResources} {
		for _, r := range list {
			if !rules.resourceOK(r) {
				return st, malformed("Policy has invalid resource")
			}
		}
	}
	if c, ok := rs["Condition"]; ok {
		if st.Conditions, err = conditions(c); err != nil {
			return st, err
		}
	}
	return st, nil
}

// resourceInBucket reports whether an ARN pattern names this bucket or
// objects in it, as S3 requires of a bucket policy's resources.
func resourceInBucket(arn, bucket string) bool {
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		return false
	}
	b, _, _ := strings.Cut(rest, "/")
	return wildcardMatch(b, bucket, false)
}

func principals(raw json.RawMessage) ([]string, error) {
	if raw == nil {
		return nil, nil
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			return nil, malformed("Invalid principal in policy")
		}
		return []string{"*"}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, malformed("Invalid principal in policy")
	}
	var out []string
	for k, v := range m {
		if k != "AWS" && k != "CanonicalUser" {
			return nil, malformed("Invalid principal in policy")
		}
		vals, err := stringList(v, "Principal")
		if err != nil {
			return nil, err
		}
		if k == "CanonicalUser" {
			for i, id := range vals {
				vals[i] = canonicalPrefix + id
			}
		}
		out = append(out, vals...)
	}
	if len(out) == 0 {
		return nil, malformed("Invalid principal in policy")
	}
	return out, nil
}

func stringList(raw json.RawMessage, field string) ([]string, error) {
	if raw == nil {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, malformed("%s must be a string or a non-empty list of strings", field)
	}
	return many, nil
}

func conditions(raw json.RawMessage) ([]Condition, error) {
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, malformed("Invalid Condition block")
	}
	var out []Condition
	for op, kv := range m {
		if !operators[strings.ToLower(op)] {
			return nil, malformed("Invalid Condition type : %s", op)
		}
		for k, v := range kv {
			vals, err := stringList(v, "Condition value")
			if err != nil {
				var b bool
				if json.Unmarshal(v, &b) != nil {
					return nil, err
				}
				vals = []string{fmt.Sprint(b)}
			}
			c := Condition{Operator: op, Key: strings.ToLower(k), Values: vals}
			if strings.HasSuffix(strings.ToLower(op), "ipaddress") {
				for _, v := range vals {
					if _, _, err := net.ParseCIDR(cidr(v)); err != nil {
						return nil, malformed("Invalid IP address or CIDR: %s", v)
					}
				}
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// cidr turns a bare IP into a single-address CIDR.
func cidr(v string) string {
	if strings.Contains(v, "/") {
		return v
	}
	if strings.Contains(v, ":") {
		return v + "/128"
	}
	return v + "/32"
}

// canonicalPrefix marks a CanonicalUser principal in Statement.Principals.
const canonicalPrefix = "canonical:"

// Request is what a policy is evaluated against.
type Request struct {
	// AccountID is the caller's account; "" for an anonymous request.
	AccountID string
	// CanonicalID is the caller's canonical user ID ("" when anonymous).
	CanonicalID string
	// Action is the S3 action, e.g. "s3:ListMultipartUploadParts".
	Action string
	// Resource is the ARN acted on: arn:aws:s3:::bucket or arn:aws:s3:::bucket/key.
	Resource string
	// Context holds condition keys (lower-case), e.g. "s3:prefix", "aws:sourceip", "aws:securetransport".
	Context map[string][]string
}

// Decision is the outcome of evaluating a policy.
type Decision int

// Decisions.
const (
	NotApplicable Decision = iota
	Allow
	Deny
)

// Evaluate applies the policy: any matching Deny → Deny, else any matching
// Allow → Allow, else NotApplicable.
func (p *Policy) Evaluate(r Request) Decision {
	if p == nil {
		return NotApplicable
	}
	d := NotApplicable
	for i := range p.Statements {
		st := &p.Statements[i]
		if !st.matches(r) {
			continue
		}
		if !st.Allow {
			return Deny
		}
		d = Allow
	}
	return d
}

func (st *Statement) matches(r Request) bool {
	if st.Principals != nil && !principalMatches(st.Principals, r) {
		return false
	}
	if st.NotPrincipal != nil && principalMatches(st.NotPrincipal, r) {
		return false
	}
	action := strings.ToLower(r.Action)
	if st.Actions != nil && !anyMatch(st.Actions, action, true) {
		return false
	}
	if st.NotActions != nil && anyMatch(st.NotActions, action, true) {
		return false
	}
	if st.Resources != nil && !anyMatch(st.Resources, r.Resource, false) {
		return false
	}
	if st.NotResources != nil && anyMatch(st.NotResources, r.Resource, false) {
		return false
	}
	for _, c := range st.Conditions {
		if !c.holds(r.Context[c.Key]) {
			return false
		}
	}
	return true
}

// principalMatches: "*" matches everyone (anonymous too); an account ID,
// arn:aws:iam::<id>:root or arn:aws:iam::<id>:* matches that account; a
// CanonicalUser principal matches that canonical ID.
func principalMatches(list []string, r Request) bool {
	account := r.AccountID
	for _, p := range list {
		if p == "*" {
			return true
		}
		if account == "" {
			continue
		}
		if id, ok := strings.CutPrefix(p, canonicalPrefix); ok {
			if id == r.CanonicalID {
				return true
			}
			continue
		}
		if p == account {
			return true
		}
		if rest, ok := strings.CutPrefix(p, "arn:aws:iam::"); ok {
			id, _, _ := strings.Cut(rest, ":")
			if id == account {
				return true
			}
		}
	}
	return false
}

func anyMatch(patterns []string, s string, foldCase bool) bool {
	for _, p := range patterns {
		if wildcardMatch(p, s, foldCase) {
			return true
		}
	}
	return false
}

// wildcardMatch matches IAM patterns: "*" any run of characters, "?" any
// one. Not path.Match: it treats '/' specially and knows [..] classes; IAM
// does not. Greedy with backtracking to the last star: O(len(p)*len(s)),
// never exponential, whatever a policy author writes.
func wildcardMatch(pattern, s string, foldCase bool) bool {
	if foldCase {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]):
			pi++
			si++
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// holds evaluates one condition against the request's values for its key.
func (c Condition) holds(vals []string) bool {
	op := strings.ToLower(c.Operator)
	negated := strings.Contains(op, "not")
	if len(vals) == 0 {
		// A missing key satisfies only the negated operators.
		return negated
	}
	any := func(f func(v, want string) bool) bool {
		for _, v := range vals {
			for _, w := range c.Values {
				if f(v, w) {
					return true
				}
			}
		}
		return false
	}
	switch op {
	case "stringequals":
		return any(func(v, w string) bool { return v == w })
	case "stringnotequals":
		return !any(func(v, w string) bool { return v == w })
	case "stringequalsignorecase":
		return any(strings.EqualFold)
	case "stringnotequalsignorecase":
		return !any(strings.EqualFold)
	case "stringlike":
		return any(func(v, w string) bool { return wildcardMatch(w, v, false) })
	case "stringnotlike":
		return !any(func(v, w string) bool { return wildcardMatch(w, v, false) })
	case "ipaddress", "notipaddress":
		in := any(func(v, w string) bool {
			ip := net.ParseIP(v)
			_, n, err := net.ParseCIDR(cidr(w))
			return ip != nil && err == nil && n.Contains(ip)
		})
		return in != negated
	case "bool":
		return any(strings.EqualFold)
	}
	return false
}
