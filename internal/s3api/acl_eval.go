package s3api

import (
	"strings"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/iam"
)

// What each ACL permission allows, as IAM actions (S3 user guide, "Mapping
// of ACL permissions and access policy permissions"). FULL_CONTROL allows
// what all the others do.
var (
	bucketACLActions = map[string]string{
		"s3:ListBucket": permRead, "s3:ListBucketVersions": permRead, "s3:ListBucketMultipartUploads": permRead,
		"s3:PutObject":    permWrite,
		"s3:GetBucketAcl": permReadACP,
		"s3:PutBucketAcl": permWriteACP,
	}
	objectACLActions = map[string]string{
		"s3:GetObject": permRead, "s3:GetObjectVersion": permRead,
		"s3:GetObjectAcl": permReadACP, "s3:GetObjectVersionAcl": permReadACP,
		"s3:PutObjectAcl": permWriteACP, "s3:PutObjectVersionAcl": permWriteACP,
	}
)

// aclAccess reads a bucket's ACL settings (Object Ownership, public access
// block, bucket ACL, object ACLs) the first time an authorization decision
// needs them, so a request the owner or the policy decides reads none.
// A settings document that cannot be read grants nothing.
type aclAccess struct {
	h      *Handler
	q      *request
	bucket string
	owner  engine.Owner

	loaded, ok   bool // ok: every document was read
	enabled      bool // ACLs count: Object Ownership is not BucketOwnerEnforced
	pab          publicAccessBlock
	bucketGrants []grant
	objects      map[string][]grant // by key and version
}

func (a *aclAccess) load() {
	if a.loaded {
		return
	}
	a.loaded = true
	ownership, err := a.h.ownership(a.q, a.bucket)
	if err != nil {
		return
	}
	pab, _, err := a.h.publicAccess(a.q, a.bucket)
	if err != nil {
		return
	}
	doc, err := a.h.cfg.Engine.BucketConfig(a.q.ctx(), a.bucket, aclDoc)
	if err != nil {
		return
	}
	a.enabled, a.pab, a.bucketGrants = ownership != ownerEnforced, pab, decodeACL(doc, a.owner)
	a.ok = true
}

// restricted reports whether RestrictPublicBuckets voids the policy's
// Allows for a caller outside the owner's account: the policy is public
// and the block says so.
func (a *aclAccess) restricted(p *iam.Policy) bool {
	if a == nil {
		return true
	}
	a.load()
	return (a.pab.RestrictPublicBuckets || !a.ok) && p.IsPublic()
}

// grants reports whether an ACL grants the caller the action on resource
// (the bucket, or an object version: versionID, "" for the latest).
func (a *aclAccess) grants(action, resource, versionID string) bool {
	if a == nil {
		return false
	}
	a.load()
	if !a.enabled {
		return false
	}
	if perm, ok := bucketACLActions[action]; ok && a.holds(a.bucketGrants, perm) {
		return true
	}
	perm, ok := objectACLActions[action]
	if !ok {
		return false
	}
	key, isObject := strings.CutPrefix(resource, resourceARN(a.bucket, "")+"/")
	return isObject && a.holds(a.objectGrants(key, versionID), perm)
}

func (a *aclAccess) objectGrants(key, versionID string) []grant {
	id := key + "\x00" + versionID
	if gs, ok := a.objects[id]; ok {
		return gs
	}
	var gs []grant
	if obj, err := a.h.cfg.Engine.ObjectVersion(a.q.ctx(), a.bucket, key, versionID, false); err == nil {
		gs = decodeACL([]byte(obj.ACL), obj.Owner)
	}
	if a.objects == nil {
		a.objects = map[string][]grant{}
	}
	a.objects[id] = gs
	return gs
}

// holds reports whether a grant list gives the caller perm: a grant to the
// caller's canonical user, to AllUsers, or (signed requests) to
// AuthenticatedUsers; IgnorePublicAcls, the bucket's or that of the
// access point the request came through, leaves out the last two.
func (a *aclAccess) holds(gs []grant, perm string) bool {
	anon := a.q.auth.Anonymous
	ignorePublic := a.pab.IgnorePublicAcls || a.q.ap != nil && a.q.ap.Block.IgnorePublicAcls
	for _, g := range gs {
		if g.Permission != perm && g.Permission != permFullControl {
			continue
		}
		if g.public() && ignorePublic {
			continue
		}
		switch {
		case g.ID != "" && !anon && g.ID == a.q.account.CanonicalID,
			g.URI == groupAllUsers,
			g.URI == groupAuthenticated && !anon:
			return true
		}
	}
	return false
}
