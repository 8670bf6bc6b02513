package iam

import (
	"net"
	"strings"
)

// IsPublic reports whether a bucket policy is public as S3 defines it for
// Block Public Access and GetBucketPolicyStatus (S3 user guide, "The meaning
// of public"): some Allow statement grants to a principal that is not fixed
// ("*", a wildcard, or everyone but a NotPrincipal list) and is not
// restricted by a condition that pins the caller to fixed values. Deny
// statements never make a policy public.
func (p *Policy) IsPublic() bool {
	if p == nil {
		return false
	}
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Allow && !st.fixedPrincipal() && !st.restricted() {
			return true
		}
	}
	return false
}

// fixedPrincipal: every principal is named without wildcards.
func (st *Statement) fixedPrincipal() bool {
	if st.NotPrincipal != nil || len(st.Principals) == 0 {
		return false
	}
	for _, pr := range st.Principals {
		if strings.ContainsAny(pr, "*?") {
			return false
		}
	}
	return true
}

// restrictingKeys are the condition keys whose fixed values make a
// statement non-public (S3 user guide, "The meaning of public").
var restrictingKeys = map[string]bool{
	"aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:sourceowner": true, "aws:sourceaccount": true, "aws:userid": true,
	"aws:principalorgid": true, "aws:principalaccount": true,
	"s3:x-amz-server-side-encryption-aws-kms-key-id": true,
	// A bucket policy that delegates to access points pins the caller to
	// an access point or its account (S3 user guide, "The meaning of
	// public", and "Delegating access control to access points", whose
	// Principal "*" example must pass a bucket's BlockPublicPolicy).
	"s3:dataaccesspointarn": true, "s3:dataaccesspointaccount": true,
}

// minIPv4Prefix and minIPv6Prefix are the shortest aws:SourceIp prefix S3 treats as a
// restriction. AWS says only that 0.0.0.0/0 and "very broad" ranges are
// public without saying where broad ends; /8 (IPv4) and /32 (IPv6) are
// Tessera's choice.
const (
	minIPv4Prefix = 8
	minIPv6Prefix = 32
)

// restricted: some condition pins a restricting key to fixed values.
func (st *Statement) restricted() bool {
	for _, c := range st.Conditions {
		op := strings.ToLower(c.Operator)
		if strings.Contains(op, "not") || strings.Contains(op, "ifexists") || strings.HasPrefix(op, "null") {
			continue
		}
		switch {
		case c.Key == "aws:sourceip" && op == "ipaddress":
			if narrowCIDRs(c.Values) {
				return true
			}
		case restrictingKeys[c.Key] && fixedValues(c.Values):
			// aws:userid "AROLEID:*" (every session of a role) is public:
			// its wildcard makes it not fixed.
			return true
		}
	}
	return false
}

func fixedValues(vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	for _, v := range vals {
		if v == "" || strings.ContainsAny(v, "*?") {
			return false
		}
	}
	return true
}

func narrowCIDRs(vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	for _, v := range vals {
		_, n, err := net.ParseCIDR(cidr(v))
		if err != nil {
			return false
		}
		ones, bits := n.Mask.Size()
		if (bits == 32 && ones < minIPv4Prefix) || (bits == 128 && ones < minIPv6Prefix) {
			return false
		}
	}
	return true
}
