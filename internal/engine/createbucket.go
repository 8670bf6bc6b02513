package engine

import (
	"context"
	"errors"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// legacyRegion is the region whose CreateBucket keeps S3's original
// behaviour: no LocationConstraint needed, and re-creating a bucket you
// own succeeds.
const legacyRegion = "us-east-1"

// checkLocation compares a CreateBucket LocationConstraint with the
// server's region, as a regional S3 endpoint does: every region but
// us-east-1 needs its own name as the constraint, and a constraint naming
// another region is refused (this server cannot create a bucket
// elsewhere). Texts: research12 §8.1 — the unspecified one recorded by
// LocalStack test_different_location_constraint, the named one widely
// quoted from AWS.
func (e *Engine) checkLocation(location string) error {
	const tail = " location constraint is incompatible for the region specific endpoint this request was sent to."
	switch {
	case location == e.region:
		return nil
	case location == "" && e.region == legacyRegion:
		return nil
	case location == "":
		return s3err.Newf(s3err.IllegalLocationConstraint, "The unspecified%s", tail)
	}
	return s3err.Newf(s3err.IllegalLocationConstraint, "The %s%s", location, tail)
}

// takenOr answers a CreateBucket for a name that may already be taken:
// someone else's bucket is BucketAlreadyExists; your own is
// BucketAlreadyOwnedByYou, except that in us-east-1 a valid re-create
// succeeds (S3's legacy rule, documented with the BucketAlreadyOwnedByYou
// error in every SDK). S3 reports a taken name before a bad location
// constraint (LocalStack test_create_bucket_with_existing_name [REC]: a
// re-create with another region's constraint is 409). When the name is
// free, orElse is the answer; tried says the create itself was tried and failed
// because the name exists, so a bucket deleted meanwhile still answers
// BucketAlreadyExists rather than success.
func (e *Engine) takenOr(ctx context.Context, owner Owner, name string, tried bool, orElse error) error {
	cur, err := e.meta.GetBucket(ctx, name)
	switch {
	case errors.Is(err, meta.ErrNotFound) && !tried:
		return orElse
	case err != nil && !errors.Is(err, meta.ErrNotFound):
		return err
	case err == nil && cur.Owner.ID == owner.ID:
		if tried && e.region == legacyRegion {
			return nil
		}
		return s3err.New(s3err.BucketAlreadyOwnedByYou).With("BucketName", name)
	}
	return s3err.New(s3err.BucketAlreadyExists).With("BucketName", name)
}
