package metered

import (
	"context"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// opID indexes Store.ops; opNames holds the "op" label of each, the
// contract method's name (a test checks they match the contract).
type opID int

const (
	opCreateBucket opID = iota
	opGetBucket
	opListBuckets
	opDeleteBucket
	opUpdateBucket
	opPutObject
	opGetObject
	opDeleteObject
	opUpdateObject
	opListObjects
	opListVersions
	opCreateUpload
	opGetUpload
	opPutPart
	opListParts
	opUploadParts
	opCompleteUpload
	opGetCompletion
	opPruneCompletions
	opAbortUpload
	opListUploads
	opGarbage
	opDeleteGarbage
	opForEachBlobRef
	opRewriteCrypt
	opPutBucketConfig
	opGetBucketConfig
	opGetBucketConfigs
	opDeleteBucketConfig
	opPutDoc
	opGetDoc
	opListDocs
	opDeleteDoc
	opJoin
	opBeat
	opLeave
	opGateways
	opReap
	opCollectableGarbage
	opLead
	opResign
	opPublish
	opSubscribe
	opUpdateDoc
	opClose
	numOps
)

var opNames = [numOps]string{
	"CreateBucket", "GetBucket", "ListBuckets", "DeleteBucket", "UpdateBucket",
	"PutObject", "GetObject", "DeleteObject", "UpdateObject", "ListObjects", "ListVersions",
	"CreateUpload", "GetUpload", "PutPart", "ListParts", "UploadParts", "CompleteUpload", "GetCompletion",
	"PruneCompletions", "AbortUpload", "ListUploads",
	"Garbage", "DeleteGarbage", "ForEachBlobRef", "RewriteCrypt",
	"PutBucketConfig", "GetBucketConfig", "GetBucketConfigs", "DeleteBucketConfig",
	"PutDoc", "GetDoc", "ListDocs", "DeleteDoc",
	"Join", "Beat", "Leave", "Gateways", "Reap", "CollectableGarbage", "Lead", "Resign",
	"Publish", "Subscribe", "UpdateDoc", "Close",
}

// Each method delegates and records; the deferred done reads the named
// error result after the call returned.

func (s *Store) CreateBucket(ctx context.Context, b meta.Bucket) (err error) {
	defer s.done(opCreateBucket, time.Now(), &err)
	return s.next.CreateBucket(ctx, b)
}

func (s *Store) GetBucket(ctx context.Context, name string) (_ meta.Bucket, err error) {
	defer s.done(opGetBucket, time.Now(), &err)
	return s.next.GetBucket(ctx, name)
}

func (s *Store) ListBuckets(ctx context.Context) (_ []meta.Bucket, err error) {
	defer s.done(opListBuckets, time.Now(), &err)
	return s.next.ListBuckets(ctx)
}

func (s *Store) DeleteBucket(ctx context.Context, name string) (_ []string, err error) {
	defer s.done(opDeleteBucket, time.Now(), &err)
	return s.next.DeleteBucket(ctx, name)
}

func (s *Store) UpdateBucket(ctx context.Context, name string, fn func(*meta.Bucket) error) (err error) {
	defer s.done(opUpdateBucket, time.Now(), &err)
	return s.next.UpdateBucket(ctx, name, fn)
}

func (s *Store) PutObject(ctx context.Context, obj meta.Object, check meta.CheckFunc) (_ meta.Object, _ []string, err error) {
	defer s.done(opPutObject, time.Now(), &err)
	return s.next.PutObject(ctx, obj, check)
}

func (s *Store) GetObject(ctx context.Context, bucket, key, versionID string) (_ meta.Object, err error) {
	defer s.done(opGetObject, time.Now(), &err)
	return s.next.GetObject(ctx, bucket, key, versionID)
}

func (s *Store) DeleteObject(ctx context.Context, d meta.Deletion, check meta.CheckFunc) (_ meta.DeleteResult, _ []string, err error) {
	defer s.done(opDeleteObject, time.Now(), &err)
	return s.next.DeleteObject(ctx, d, check)
}

func (s *Store) UpdateObject(ctx context.Context, bucket, key, versionID string, fn func(*meta.Object) error) (_ meta.Object, err error) {
	defer s.done(opUpdateObject, time.Now(), &err)
	return s.next.UpdateObject(ctx, bucket, key, versionID, fn)
}

func (s *Store) ListObjects(ctx context.Context, bucket, prefix, from string, limit int) (_ []meta.Object, err error) {
	defer s.done(opListObjects, time.Now(), &err)
	return s.next.ListObjects(ctx, bucket, prefix, from, limit)
}

func (s *Store) ListVersions(ctx context.Context, bucket, prefix, afterKey, afterVersionID string, limit int) (_ []meta.Object, err error) {
	defer s.done(opListVersions, time.Now(), &err)
	return s.next.ListVersions(ctx, bucket, prefix, afterKey, afterVersionID, limit)
}

func (s *Store) CreateUpload(ctx context.Context, u meta.Upload) (err error) {
	defer s.done(opCreateUpload, time.Now(), &err)
	return s.next.CreateUpload(ctx, u)
}

func (s *Store) GetUpload(ctx context.Context, bucket, key, uploadID string) (_ meta.Upload, err error) {
	defer s.done(opGetUpload, time.Now(), &err)
	return s.next.GetUpload(ctx, bucket, key, uploadID)
}

func (s *Store) PutPart(ctx context.Context, bucket, key string, p meta.Part) (_ []string, err error) {
	defer s.done(opPutPart, time.Now(), &err)
	return s.next.PutPart(ctx, bucket, key, p)
}

func (s *Store) ListParts(ctx context.Context, uploadID string, after, limit int) (_ []meta.Part, err error) {
	defer s.done(opListParts, time.Now(), &err)
	return s.next.ListParts(ctx, uploadID, after, limit)
}

func (s *Store) UploadParts(ctx context.Context, bucket, key, uploadID string, after, limit int) (_ meta.Upload, _ []meta.Part, err error) {
	defer s.done(opUploadParts, time.Now(), &err)
	return s.next.UploadParts(ctx, bucket, key, uploadID, after, limit)
}

func (s *Store) CompleteUpload(ctx context.Context, bucket, key, uploadID string, build meta.BuildFunc, check meta.CheckFunc) (_ meta.Object, _ []string, err error) {
	defer s.done(opCompleteUpload, time.Now(), &err)
	return s.next.CompleteUpload(ctx, bucket, key, uploadID, build, check)
}

func (s *Store) GetCompletion(ctx context.Context, bucket, key, uploadID string) (_ meta.Completion, err error) {
	defer s.done(opGetCompletion, time.Now(), &err)
	return s.next.GetCompletion(ctx, bucket, key, uploadID)
}

func (s *Store) PruneCompletions(ctx context.Context, before time.Time) (_ int, err error) {
	defer s.done(opPruneCompletions, time.Now(), &err)
	return s.next.PruneCompletions(ctx, before)
}

func (s *Store) AbortUpload(ctx context.Context, bucket, key, uploadID string) (_ []string, err error) {
	defer s.done(opAbortUpload, time.Now(), &err)
	return s.next.AbortUpload(ctx, bucket, key, uploadID)
}

func (s *Store) ListUploads(ctx context.Context, bucket, prefix, afterKey, afterUploadID string, limit int) (_ []meta.Upload, err error) {
	defer s.done(opListUploads, time.Now(), &err)
	return s.next.ListUploads(ctx, bucket, prefix, afterKey, afterUploadID, limit)
}

func (s *Store) Garbage(ctx context.Context, limit int) (_ []string, err error) {
	defer s.done(opGarbage, time.Now(), &err)
	return s.next.Garbage(ctx, limit)
}

func (s *Store) DeleteGarbage(ctx context.Context, ids []string) (err error) {
	defer s.done(opDeleteGarbage, time.Now(), &err)
	return s.next.DeleteGarbage(ctx, ids)
}

func (s *Store) ForEachBlobRef(ctx context.Context, fn func(blobID string)) (err error) {
	defer s.done(opForEachBlobRef, time.Now(), &err)
	return s.next.ForEachBlobRef(ctx, fn)
}

func (s *Store) RewriteCrypt(ctx context.Context, fn meta.CryptFunc) (_ int, err error) {
	defer s.done(opRewriteCrypt, time.Now(), &err)
	return s.next.RewriteCrypt(ctx, fn)
}

func (s *Store) PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) (err error) {
	defer s.done(opPutBucketConfig, time.Now(), &err)
	return s.next.PutBucketConfig(ctx, bucket, name, doc)
}

func (s *Store) GetBucketConfig(ctx context.Context, bucket, name string) (_ []byte, err error) {
	defer s.done(opGetBucketConfig, time.Now(), &err)
	return s.next.GetBucketConfig(ctx, bucket, name)
}

func (s *Store) GetBucketConfigs(ctx context.Context, bucket string, names ...string) (_ meta.Bucket, _ map[string][]byte, err error) {
	defer s.done(opGetBucketConfigs, time.Now(), &err)
	return s.next.GetBucketConfigs(ctx, bucket, names...)
}

func (s *Store) DeleteBucketConfig(ctx context.Context, bucket, name string) (err error) {
	defer s.done(opDeleteBucketConfig, time.Now(), &err)
	return s.next.DeleteBucketConfig(ctx, bucket, name)
}

func (s *Store) PutDoc(ctx context.Context, kind, id string, doc []byte) (err error) {
	defer s.done(opPutDoc, time.Now(), &err)
	return s.next.PutDoc(ctx, kind, id, doc)
}

func (s *Store) GetDoc(ctx context.Context, kind, id string) (_ []byte, err error) {
	defer s.done(opGetDoc, time.Now(), &err)
	return s.next.GetDoc(ctx, kind, id)
}

func (s *Store) ListDocs(ctx context.Context, kind string) (_ []meta.Doc, err error) {
	defer s.done(opListDocs, time.Now(), &err)
	return s.next.ListDocs(ctx, kind)
}

func (s *Store) DeleteDoc(ctx context.Context, kind, id string) (err error) {
	defer s.done(opDeleteDoc, time.Now(), &err)
	return s.next.DeleteDoc(ctx, kind, id)
}

func (s *Store) Join(ctx context.Context, g meta.Gateway, ttl time.Duration) (err error) {
	defer s.done(opJoin, time.Now(), &err)
	return s.next.Join(ctx, g, ttl)
}

func (s *Store) Beat(ctx context.Context, id string, leases []string) (err error) {
	defer s.done(opBeat, time.Now(), &err)
	return s.next.Beat(ctx, id, leases)
}

func (s *Store) Leave(ctx context.Context, id string) (err error) {
	defer s.done(opLeave, time.Now(), &err)
	return s.next.Leave(ctx, id)
}

func (s *Store) Gateways(ctx context.Context) (_ []meta.Gateway, err error) {
	defer s.done(opGateways, time.Now(), &err)
	return s.next.Gateways(ctx)
}

func (s *Store) Reap(ctx context.Context, ttl time.Duration) (_ []meta.Gateway, err error) {
	defer s.done(opReap, time.Now(), &err)
	return s.next.Reap(ctx, ttl)
}

func (s *Store) CollectableGarbage(ctx context.Context, minAge, ttl time.Duration, limit int) (_ []string, err error) {
	defer s.done(opCollectableGarbage, time.Now(), &err)
	return s.next.CollectableGarbage(ctx, minAge, ttl, limit)
}

func (s *Store) Lead(ctx context.Context, id string) (_ bool, err error) {
	defer s.done(opLead, time.Now(), &err)
	return s.next.Lead(ctx, id)
}

func (s *Store) Resign(ctx context.Context, id string) (err error) {
	defer s.done(opResign, time.Now(), &err)
	return s.next.Resign(ctx, id)
}

func (s *Store) Publish(ctx context.Context, c meta.Change, ttl time.Duration) (err error) {
	defer s.done(opPublish, time.Now(), &err)
	return s.next.Publish(ctx, c, ttl)
}

// Subscribe cannot fail; it is counted as ok.
func (s *Store) Subscribe(fn func(meta.Change)) {
	var err error
	defer s.done(opSubscribe, time.Now(), &err)
	s.next.Subscribe(fn)
}

func (s *Store) UpdateDoc(ctx context.Context, kind, id string, fn func(doc []byte, found bool) ([]byte, error)) (err error) {
	defer s.done(opUpdateDoc, time.Now(), &err)
	return s.next.UpdateDoc(ctx, kind, id, fn)
}

func (s *Store) Close() (err error) {
	defer s.done(opClose, time.Now(), &err)
	return s.next.Close()
}
