package kms

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/sse"
)

// Use resolves a KMS key reference for a request made by caller (an account ID,
// "" for anonymous) on a bucket owned by owner (an account ID): ref is a key ID
// (UUID), a key ARN (arn:aws:kms:<region>:<account>:key/<id>), "alias/NAME", an
// alias ARN (arn:aws:kms:<region>:<account>:alias/NAME), or "" for owner's AWS
// managed key "alias/aws/s3" (created on first use, as S3 does). It checks the
// key exists, is enabled, and that caller may perform action ("kms:GenerateDataKey"
// or "kms:Decrypt"), and returns the key's ARN and its key-encryption key
// at every version (new data keys are sealed under ring.Current).
//
// A bare key ID or alias names a key in the requester's account: S3's API
// reference for SSEKMSKeyId and KMSMasterKeyID says "If you use a KMS key
// alias instead, then KMS resolves the key within the requester's account"
// and "If the KMS key doesn't exist in the same account that's issuing the
// command, you must use the full Key ARN not the Key ID". (LocalStack reads
// the recorded "Key '<ARN>' does not exist" as built from the bucket owner;
// in that recording the requester is the owner, so it fits both readings.)
//
// The permission check comes before the key state, so a caller who may not
// use a key learns nothing of it beyond what an ARN already says (AWS
// authorizes a request before acting on it; not recorded for a disabled
// key, so this order is chosen).
func (s *Service) Use(ctx context.Context, caller, owner, ref, action string) (arn string, ring sse.KEKRing, err error) {
	if caller == "" {
		// housing-data-coalition/oca#17 (raw AWS XML, 2024): an anonymous
		// (or SigV2) read of an SSE-KMS object is 400 InvalidArgument with
		// ArgumentName Authorization and ArgumentValue null. KMS serves no
		// anonymous principal, so S3 refuses before looking at the key; the
		// same answer for an anonymous SSE-KMS write is derived from the
		// message, which speaks of any request specifying SSE-KMS.
		return "", sse.KEKRing{}, s3err.InvalidArgumentf("Authorization", "null",
			"Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.")
	}
	k, p, err := s.resolve(ctx, caller, owner, ref)
	if err != nil {
		return "", sse.KEKRing{}, err
	}
	arn = s.ARN(k)
	if err := s.authorize(k, p, arn, caller, action); err != nil {
		return "", sse.KEKRing{}, err
	}
	if !k.Enabled {
		// LocalStack test_s3_sse_validate_kms_key_state, recorded against
		// AWS: 400 KMS.DisabledException "<key ARN> is disabled." on both
		// PutObject and GetObject.
		return "", sse.KEKRing{}, s3err.Newf(s3err.KMSDisabled, "%s is disabled.", arn)
	}
	return arn, s.ring(k), nil
}

// resolve finds the key a reference names, and its parsed policy (the two
// read together, so they agree). The messages are KMS's
// NotFoundException messages, which S3 passes through under the code
// KMS.NotFoundException with status 400 (LocalStack
// test_s3_sse_validate_kms_key, recorded against AWS; research10kms R2).
func (s *Service) resolve(ctx context.Context, caller, owner, ref string) (Key, *iam.Policy, error) {
	account := caller // a bare key ID or alias is the requester's
	switch {
	case ref == "":
		return noPolicy(s.managedKey(ctx, owner))
	case strings.HasPrefix(ref, "arn:"):
		a, ok := parseARN(ref)
		if !ok {
			// KMS's answer to a malformed ARN; S3's 2015 form of the
			// region message, which it shares (research10kms R2; "Invalid
			// arn" also seen from KMS directly in coreos/coreos-kubernetes#688).
			return Key{}, nil, notFound("Invalid arn")
		}
		if a.region != s.region {
			// R2 "put-obj-different-region-kms-key": "Invalid arn <region>",
			// the region of the ARN; S3 answers it without asking KMS.
			return Key{}, nil, notFound("Invalid arn " + a.region)
		}
		if a.kind == "alias" {
			return noPolicy(s.byAlias(ctx, a.account, a.name, caller, owner))
		}
		return s.byID(ctx, a.account, a.name)
	case strings.HasPrefix(ref, "alias/"):
		return noPolicy(s.byAlias(ctx, account, strings.TrimPrefix(ref, "alias/"), caller, owner))
	case isUUID(ref):
		return s.byID(ctx, account, ref)
	default:
		// R2 "put-obj-wrong-kms-key": "Invalid keyId fake-key-id" in the
		// 2023 recording; the 2026-02-21 re-recording quotes the ID
		// ("Invalid keyId 'fake-key-id'", per the mantle research note S1),
		// the current form followed here.
		return Key{}, nil, notFound("Invalid keyId '" + ref + "'")
	}
}

// noPolicy adapts the managed-key lookups, whose keys have no key policy
// (decide never consults one for them), to resolve's results.
func noPolicy(k Key, err error) (Key, *iam.Policy, error) { return k, nil, err }

// byID finds key id of account. R2 "put-obj-wrong-kms-key-real-uuid" and
// "-arn": a missing key is "Key '<key ARN>' does not exist", the ARN built
// from the bucket's region and the account the ID was resolved in. A key
// missing from memory is read from the store: it may have been created
// through another gateway an instant ago.
func (s *Service) byID(ctx context.Context, account, id string) (Key, *iam.Policy, error) {
	k, p, err := s.lookup(ctx, id)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return Key{}, nil, fmt.Errorf("kms: look up key %s: %w", id, err)
	}
	if err != nil || k.AccountID != account {
		return Key{}, nil, notFound("Key '" + keyARN(s.region, account, id) + "' does not exist")
	}
	return k, p, nil
}

// byAlias finds an alias of account. The only aliases Tessera has are the
// managed "aws/s3" keys; one is created on first use when the account is
// the requester's or the bucket owner's, never for a third account named
// in an alias ARN. A missing alias is KMS's "Alias <alias ARN> is not
// found." (NotFoundException text seen in cloudposse/docs#152 and
// sigstore/cosign#1474; S3 passes KMS's NotFound messages through, R2).
func (s *Service) byAlias(ctx context.Context, account, name, caller, owner string) (Key, error) {
	if name == ManagedAlias {
		if account == caller || account == owner {
			return s.managedKey(ctx, account)
		}
		if k, ok, err := s.managedOf(ctx, account); ok || err != nil {
			return k, err
		}
	}
	return Key{}, notFound("Alias " + aliasARN(s.region, account, name) + " is not found.")
}

func notFound(msg string) *s3err.Error { return s3err.Newf(s3err.KMSNotFound, "%s", msg) }

// authorize applies the key's permissions, like KMS's default key policy
// plus the key policy: the key's own account may use it unless the policy
// explicitly denies; another account needs an Allow for its principal and
// the action; an explicit Deny always wins. (Anonymous callers never get
// here: Use refuses them first.) An AWS managed key's policy lets only
// its own account use it (AWS KMS developer guide, "AWS managed keys":
// their key policies allow use by principals in the account, through the
// service).
//
// The refusal is 403 AccessDenied with KMS's wording, which S3 passes
// through: "User: <principal> is not authorized to perform: kms:X on
// resource: <key ARN> because no identity-based policy allows the kms:X
// action" (aws/copilot-cli#5500, an S3 upload; research10kms S5). Tessera
// has no identity policies, only key policies, so it names the
// resource-based policy, as KMS itself does (research10kms S5), and uses
// IAM's documented "with an explicit deny in a resource-based policy" form
// for a Deny (IAM user guide, "Access denied error messages").
func (s *Service) authorize(k Key, p *iam.Policy, arn, caller, action string) error {
	allowed, explicit := decide(k, p, arn, caller, action)
	if allowed {
		return nil
	}
	user := "arn:aws:iam::" + caller + ":root"
	why := "because no resource-based policy allows the " + action + " action"
	if explicit {
		why = "with an explicit deny in a resource-based policy"
	}
	return s3err.Newf(s3err.AccessDenied, "User: %s is not authorized to perform: %s on resource: %s %s", user, action, arn, why)
}

// decide answers whether caller may perform action on k, whose parsed
// policy is p, and whether a refusal comes from an explicit Deny.
func decide(k Key, p *iam.Policy, arn, caller, action string) (allowed, explicitDeny bool) {
	if k.Managed() {
		return caller == k.AccountID, false
	}
	switch p.Evaluate(iam.Request{AccountID: caller, Action: action, Resource: arn}) {
	case iam.Deny:
		return false, true
	case iam.Allow:
		return true, false
	}
	return caller == k.AccountID, false
}
