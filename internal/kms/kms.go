// Package kms is Tessera's key management service: the KMS keys that
// SSE-KMS protects object data keys with, their key policies, and the one
// question the engine asks (Use: may this caller use this key, and what is
// its key-encryption key?).
//
// Key material is never stored. A key's 32-byte key-encryption key (KEK) is
// derived from the server's root key: sse.DeriveKEK(rootKey, "kms key "+id)
// for version 0, and with the version in the name for the versions that
// rotation adds (sse.KEKRing).
// The root key therefore protects every KMS key; losing it loses every
// SSE-KMS object, and whoever holds it and the data can read them all.
package kms

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/sse"
)

// ManagedAlias is the alias of an account's AWS managed key for S3.
const ManagedAlias = "aws/s3"

// managedDescription is the description AWS gives the aws/s3 key
// (LocalStack test_s3_bucket_encryption_sse_kms_aws_managed_key, recorded
// against AWS 2025-01-21: DescribeKey of the managed key).
const managedDescription = "Default key that protects my S3 objects when no other key is defined"

// MaxDescription is KMS's limit on a key description (CreateKey API reference).
const MaxDescription = 8192

// The actions Use is asked about.
const (
	ActionGenerateDataKey = "kms:GenerateDataKey"
	ActionDecrypt         = "kms:Decrypt"
)

// Key is a KMS key. Its key material is derived, never stored.
type Key struct {
	ID          string    `json:"id"` // a random UUID v4
	AccountID   string    `json:"account_id"`
	Alias       string    `json:"alias,omitempty"` // ManagedAlias for the managed key, else ""
	Description string    `json:"description"`
	Enabled     bool      `json:"enabled"`
	Created     time.Time `json:"created"`
	// Policy is the key policy document as written, nil when there is none.
	Policy json.RawMessage `json:"policy,omitempty"`
	// Version is the key's newest version (generation of key material),
	// the one new data keys are sealed under; 0 until the first rotation
	// (see rotate.go). RotatedAt is when it was made.
	Version   uint32     `json:"version,omitempty"`
	RotatedAt *time.Time `json:"rotated_at,omitempty"`
	// ResealedVersion is the newest version whose re-seal of existing data
	// keys has finished (Resealed records rewritten by it): data keys
	// sealed under older versions remain only if ResealedVersion < Version.
	ResealedVersion uint32 `json:"resealed_version,omitempty"`
	Resealed        int    `json:"resealed,omitempty"`
}

// ResealPending reports whether data keys may still be sealed under a
// version older than the newest (a rotation whose re-seal has not
// finished).
func (k Key) ResealPending() bool { return k.ResealedVersion < k.Version }

// Managed reports whether the key is an account's AWS managed aws/s3 key.
func (k Key) Managed() bool { return k.Alias == ManagedAlias }

// Docs is the part of meta.Store the service keeps its records in (the
// same seam as iam.Docs).
type Docs = iam.Docs

const (
	kindKey = "kms.key"
	// kindManaged maps an account ID to the ID of its aws/s3 key. Creating
	// it is how gateways agree on one managed key per account.
	kindManaged = "kms.managed"
)

// errLost aborts the UpdateDoc of a managed key another gateway created.
var errLost = errors.New("kms: another gateway created the managed key")

// Errors of the management calls; the admin API maps them to statuses.
var (
	ErrNotFound = errors.New("kms: key not found")
	// ErrManaged: AWS managed keys cannot be disabled or given a policy
	// (AWS KMS developer guide, "AWS managed keys": you cannot change
	// their properties or key policies).
	ErrManaged = errors.New("kms: aws/s3 is an AWS managed key; it cannot be disabled or given a key policy")
	// ErrInvalid: a malformed argument (account, description, policy).
	ErrInvalid = errors.New("kms: invalid argument")
)

// Service holds every KMS key in memory, which follows the store's change
// feed (feed.go): every change is written to the store first, then
// announced to every gateway before the call returns. Changes to a key are
// atomic read-modify-writes in the store (UpdateDoc), and which key is an
// account's aws/s3 key is decided there too, so gateways never overwrite
// each other's changes or create two managed keys.
type Service struct {
	docs    Docs
	rootKey []byte
	region  string
	now     func() time.Time
	log     *slog.Logger
	feed    *meta.Follower

	mu       sync.RWMutex
	keys     map[string]Key         // by ID
	policies map[string]*iam.Policy // parsed key policies, by key ID
	managed  map[string]string      // account ID → ID of its aws/s3 key (kindManaged)
	// gen counts changes made to memory; a read-through caches what it
	// read only if gen has not moved since it started (feed.go).
	gen uint64

	// createMu makes this gateway's requests racing for an account's
	// managed key create one candidate, not one each (kindManaged decides
	// between gateways).
	createMu sync.Mutex

	// resealer re-seals data keys after a rotation (rotate.go); rotateMu
	// runs one rotation at a time.
	resealer Resealer
	rotateMu sync.Mutex
}

// New subscribes to the change feed and loads every key. rootKey is the
// server's root key (32 bytes); region is the server's region, the one in
// every key ARN.
func New(ctx context.Context, docs Docs, rootKey []byte, region string, opts ...Option) (*Service, error) {
	if len(rootKey) != sse.KeySize {
		return nil, fmt.Errorf("kms: root key must be %d bytes", sse.KeySize)
	}
	s := &Service{
		docs: docs, rootKey: rootKey, region: region, now: time.Now, log: slog.Default(),
		keys: map[string]Key{}, policies: map[string]*iam.Policy{}, managed: map[string]string{},
	}
	s.feed = &meta.Follower{Name: "kms", TTL: meta.DefaultFeedTTL, Log: s.log, Resync: s.resync,
		Apply: map[string]func(context.Context, string){kindKey: s.applyKey, kindManaged: s.applyManaged}}
	for _, o := range opts {
		o(s)
	}
	// Subscribed before loading, so that no change falls between the two.
	docs.Subscribe(s.feed.Notify)
	if err := s.Resync(ctx); err != nil {
		return nil, err
	}
	if err := s.indexManaged(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// cache puts a key and its parsed policy into memory; the caller holds mu.
func (s *Service) cache(k Key, p *iam.Policy) {
	if p != nil {
		s.policies[k.ID] = p
	} else {
		delete(s.policies, k.ID)
	}
	s.keys[k.ID] = k
}

// create stores a new key. It is neither cached nor announced here: a
// managed key's candidate is not a key until it wins (managedKey).
func (s *Service) create(ctx context.Context, k Key) error {
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	if err := s.docs.PutDoc(ctx, kindKey, k.ID, b); err != nil {
		return fmt.Errorf("kms: write key %s: %w", k.ID, err)
	}
	return nil
}

// remember caches a key this gateway wrote (the feed would too, but a
// gateway keeps working without one). Its policy was validated before it
// was written; should it not parse, the key is dropped instead, and the
// next use reads it through and reports why.
func (s *Service) remember(k Key) {
	p, err := s.policyOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	if err != nil {
		delete(s.keys, k.ID)
		delete(s.policies, k.ID)
		return
	}
	s.cache(k, p)
}

// policyOf parses a key's policy (nil when it has none).
func (s *Service) policyOf(k Key) (*iam.Policy, error) {
	if k.Policy == nil {
		return nil, nil
	}
	return iam.ParseKeyPolicy(k.Policy, s.ARN(k))
}

// ARN is the key's ARN: arn:aws:kms:<region>:<account>:key/<id>.
func (s *Service) ARN(k Key) string { return keyARN(s.region, k.AccountID, k.ID) }

func keyARN(region, account, id string) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/" + id
}

func aliasARN(region, account, name string) string {
	return "arn:aws:kms:" + region + ":" + account + ":alias/" + name
}

// ring is the key-encryption key of a key at every version. It checks
// nothing: Use is the door for requests.
func (s *Service) ring(k Key) sse.KEKRing {
	return sse.NewKEKRing(s.rootKey, "kms key "+k.ID, k.Version)
}

// Create makes a customer managed key for an account (12 digits).
func (s *Service) Create(ctx context.Context, account, description string) (Key, error) {
	if !isAccountID(account) {
		return Key{}, fmt.Errorf("%w: account ID must be 12 digits", ErrInvalid)
	}
	if len(description) > MaxDescription {
		return Key{}, fmt.Errorf("%w: description must be at most %d characters", ErrInvalid, MaxDescription)
	}
	k := Key{ID: newUUID(), AccountID: account, Description: description, Enabled: true, Created: s.now().UTC().Truncate(time.Second)}
	if err := s.create(ctx, k); err != nil {
		return Key{}, err
	}
	s.remember(k)
	s.publish(ctx, kindKey, k.ID)
	return k, nil
}

// List returns an account's keys ("" = every key), by account, then
// creation time, then ID.
func (s *Service) List(account string) []Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Key
	for _, k := range s.keys {
		if k.Managed() && s.managed[k.AccountID] != k.ID {
			continue // a candidate that lost (managedKey), not a key
		}
		if account == "" || k.AccountID == account {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		return a.ID < b.ID
	})
	return out
}

// Get returns a key by ID or key ARN (of this region), from memory: it
// serves management calls, which come after the change feed delivered the
// key (requests go through Use, which reads keys through).
func (s *Service) Get(ref string) (Key, error) {
	id := ref
	if a, ok := parseARN(ref); ok {
		if a.region != s.region || a.kind != "key" {
			return Key{}, ErrNotFound
		}
		id = a.name
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[id]
	if !ok || (ref != id && keyARN(s.region, k.AccountID, k.ID) != ref) {
		return Key{}, ErrNotFound
	}
	return k, nil
}

// SetEnabled enables or disables a key (not a managed key).
func (s *Service) SetEnabled(ctx context.Context, ref string, enabled bool) error {
	_, err := s.update(ctx, ref, func(k *Key) error {
		if k.Managed() {
			return ErrManaged
		}
		k.Enabled = enabled
		return nil
	})
	return err
}

// PutPolicy sets a key's policy after validating it with
// iam.ParseKeyPolicy (a malformed one is an *iam.PolicyError wrapped with
// ErrInvalid). Managed keys keep AWS's policy.
func (s *Service) PutPolicy(ctx context.Context, ref string, doc []byte) error {
	_, err := s.update(ctx, ref, func(k *Key) error {
		if k.Managed() {
			return ErrManaged
		}
		if _, err := iam.ParseKeyPolicy(doc, s.ARN(*k)); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		k.Policy = append(json.RawMessage(nil), doc...)
		return nil
	})
	return err
}

// GetPolicy returns a key's policy document, nil when it has none (then
// only the key's own account may use it).
func (s *Service) GetPolicy(ref string) ([]byte, error) {
	k, err := s.Get(ref)
	if err != nil {
		return nil, err
	}
	return k.Policy, nil
}

// managedKey returns the account's aws/s3 key, creating it on first use
// as S3 does (AWS KMS developer guide: AWS services create their AWS
// managed key the first time it is needed).
//
// Gateways racing to create it each store a candidate key, then try to
// create the account's kindManaged index document naming it; UpdateDoc
// lets exactly one succeed. The others delete their candidate and use the
// winner. The candidate is stored before the index, so the index never
// names a missing key; a candidate left behind by a crash is named by no
// index, and List does not show it.
func (s *Service) managedKey(ctx context.Context, account string) (Key, error) {
	if k, ok, err := s.managedOf(ctx, account); ok || err != nil {
		return k, err
	}
	s.createMu.Lock()
	defer s.createMu.Unlock()
	if k, ok, err := s.managedOf(ctx, account); ok || err != nil {
		return k, err
	}
	k := Key{ID: newUUID(), AccountID: account, Alias: ManagedAlias, Description: managedDescription, Enabled: true, Created: s.now().UTC().Truncate(time.Second)}
	if err := s.create(ctx, k); err != nil {
		return Key{}, err
	}
	err := s.docs.UpdateDoc(ctx, kindManaged, account, func(_ []byte, found bool) ([]byte, error) {
		if found {
			return nil, errLost
		}
		return []byte(k.ID), nil
	})
	if errors.Is(err, errLost) {
		s.discard(ctx, k.ID)
		w, ok, err := s.managedOf(ctx, account)
		if err == nil && !ok {
			err = fmt.Errorf("kms: the managed key of %s vanished", account)
		}
		return w, err
	}
	if err != nil {
		// The index may or may not name the candidate now (the store's
		// answer was lost), so the candidate stays: if unnamed, it is
		// hidden, like a crash's leftover.
		return Key{}, fmt.Errorf("kms: record the managed key of %s: %w", account, err)
	}
	s.remember(k)
	s.mu.Lock()
	s.gen++
	s.managed[account] = k.ID
	s.mu.Unlock()
	s.publish(ctx, kindKey, k.ID)
	s.publish(ctx, kindManaged, account)
	return k, nil
}

// discard deletes a managed key candidate that lost. It was never
// announced, but a peer's resync may have loaded it, hence the
// announcement of its deletion. Failing leaves a hidden leftover.
func (s *Service) discard(ctx context.Context, id string) {
	if err := s.docs.DeleteDoc(ctx, kindKey, id); err != nil {
		s.log.Warn("kms: deleting a managed key candidate that lost", "key", id, "err", err)
		return
	}
	s.publish(ctx, kindKey, id)
}

// newUUID is a random (version 4) UUID from crypto/rand.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("kms: crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// isUUID: 8-4-4-4-12 lower-case hex, the form of KMS key IDs.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func isAccountID(s string) bool { return len(s) == 12 && strings.Trim(s, "0123456789") == "" }

// arn is a parsed KMS ARN: arn:aws:kms:<region>:<account>:<kind>/<name>.
type arn struct {
	region, account, kind, name string
}

func parseARN(s string) (arn, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "kms" || parts[3] == "" || !isAccountID(parts[4]) {
		return arn{}, false
	}
	kind, name, ok := strings.Cut(parts[5], "/")
	if !ok || name == "" || (kind != "key" && kind != "alias") {
		return arn{}, false
	}
	return arn{region: parts[3], account: parts[4], kind: kind, name: name}, true
}
