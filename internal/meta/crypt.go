package meta

// CryptFunc inspects one blob's encryption record (Segment.Crypt or
// Part.Crypt, never nil) together with the Encryption of the object or
// upload that holds it, and returns the record to store in its place with
// changed true, or changed false to leave it. An error stops the walk.
//
// Store.RewriteCrypt calls it while holding the record's object (or
// upload) locked, with the record as it is at that moment, and commits the
// records it changes for that object (or upload) in one atomic step that
// touches nothing else: no blob, no other field, no garbage. So an object
// replaced or deleted during the walk is seen in its new state or not at
// all, never brought back; a record written after the walk passed is not
// visited. Objects and uploads whose Encryption is nil are not visited
// (their blobs have no records). fn runs under a lock: it must be quick
// and must not call the store.
//
// The walk is not one snapshot and has no cursor to resume: a caller
// makes it idempotent by having fn leave records that need no change
// (changed false), so running it again after a failure finishes the work.
type CryptFunc func(enc *Encryption, crypt []byte) (newCrypt []byte, changed bool, err error)
