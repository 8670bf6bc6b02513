package kms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/meta"
)

// Scale-out, as in iam (see iam's feed.go): every gateway holds the keys in
// memory and follows the store's change feed. A change is written first,
// then published; every gateway's subscriber re-reads that document, and
// Publish returns once every live gateway has, so a key disabled through
// one gateway is refused by all when the call returns. A key a request
// names that memory lacks is read from the store.
//
// Unlike iam's Lookup, a read-through here remembers no misses: only
// authenticated requests get here, and each already reads the store
// (bucket, object) several times, so a bogus key ID adds one read to a
// request that makes several rather than multiplying the cost of one.

// Option configures a Service.
type Option func(*Service)

// FeedTTL sets the gateway TTL given to Publish (the server's heartbeat
// TTL); 0 keeps meta.DefaultFeedTTL.
func FeedTTL(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.feed.TTL = d
		}
	}
}

// Logger sets where failures that do not fail a call are logged; nil keeps
// slog.Default().
func Logger(l *slog.Logger) Option {
	return func(s *Service) {
		if l != nil {
			s.log, s.feed.Log = l, l
		}
	}
}

// publish announces a change the caller already wrote.
func (s *Service) publish(ctx context.Context, kind, id string) {
	s.feed.Publish(ctx, s.docs, kind, id)
}

// applyKey re-reads one key. If the read fails the key is dropped from
// memory rather than kept as it was: the next request naming it reads it
// through, so memory never allows what the store may have revoked.
func (s *Service) applyKey(ctx context.Context, id string) {
	k, p, err := s.read(ctx, id)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		s.log.Warn("kms: re-reading a changed key; dropped from memory", "key", id, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	if err != nil {
		delete(s.keys, id)
		delete(s.policies, id)
		return
	}
	s.cache(k, p)
}

// applyManaged re-reads which key is an account's aws/s3 key.
func (s *Service) applyManaged(ctx context.Context, account string) {
	id, err := s.docs.GetDoc(ctx, kindManaged, account)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		s.log.Warn("kms: re-reading a managed key; dropped from memory", "account", account, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	if err != nil {
		delete(s.managed, account)
		return
	}
	s.managed[account] = string(id)
}

// Resync re-reads every key and replaces what memory holds: at start, and
// when the feed says notifications may have been lost.
func (s *Service) Resync(ctx context.Context) error { return s.feed.ResyncNow(ctx) }

// resync is Resync under the follower's lock: a notification arriving
// meanwhile is applied after it, not overwritten by its older snapshot.
func (s *Service) resync(ctx context.Context) error {
	docs, err := s.docs.ListDocs(ctx, kindKey)
	if err != nil {
		return fmt.Errorf("kms: list keys: %w", err)
	}
	keys := make(map[string]Key, len(docs))
	policies := map[string]*iam.Policy{}
	for _, d := range docs {
		k, p, err := s.decode(d.ID, d.Data)
		if err != nil {
			return err
		}
		keys[k.ID] = k
		if p != nil {
			policies[k.ID] = p
		}
	}
	if docs, err = s.docs.ListDocs(ctx, kindManaged); err != nil {
		return fmt.Errorf("kms: list managed keys: %w", err)
	}
	managed := make(map[string]string, len(docs))
	for _, d := range docs {
		managed[d.ID] = string(d.Data)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.keys, s.policies, s.managed = keys, policies, managed
	return nil
}

// decode parses a stored key and its policy.
func (s *Service) decode(id string, doc []byte) (Key, *iam.Policy, error) {
	var k Key
	if err := json.Unmarshal(doc, &k); err != nil {
		return Key{}, nil, fmt.Errorf("kms: key %s: %w", id, err)
	}
	if k.Policy == nil {
		return k, nil, nil
	}
	p, err := iam.ParseKeyPolicy(k.Policy, s.ARN(k))
	if err != nil {
		return Key{}, nil, fmt.Errorf("kms: key %s: %w", id, err)
	}
	return k, p, nil
}

// read reads one key from the store (meta.ErrNotFound if absent).
func (s *Service) read(ctx context.Context, id string) (Key, *iam.Policy, error) {
	doc, err := s.docs.GetDoc(ctx, kindKey, id)
	if err != nil {
		return Key{}, nil, err
	}
	return s.decode(id, doc)
}

// cached returns a key and its policy from memory, and the generation of
// memory they were found in.
func (s *Service) cached(id string) (Key, *iam.Policy, bool, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[id]
	return k, s.policies[id], ok, s.gen
}

// lookup returns a key from memory or, failing that, the store
// (meta.ErrNotFound if neither has it). What it reads it caches — unless a
// change was applied meanwhile (gen moved), which may be newer than what
// was read: the answer stands for this call, memory waits for the feed.
func (s *Service) lookup(ctx context.Context, id string) (Key, *iam.Policy, error) {
	k, p, ok, gen := s.cached(id)
	if ok {
		return k, p, nil
	}
	k, p, err := s.read(ctx, id)
	if err != nil {
		return Key{}, nil, err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.cache(k, p)
	}
	s.mu.Unlock()
	return k, p, nil
}

// managedOf returns an account's aws/s3 key if it has one, from memory or
// else the store.
func (s *Service) managedOf(ctx context.Context, account string) (Key, bool, error) {
	s.mu.RLock()
	id, ok := s.managed[account]
	gen := s.gen
	s.mu.RUnlock()
	if !ok {
		doc, err := s.docs.GetDoc(ctx, kindManaged, account)
		if errors.Is(err, meta.ErrNotFound) {
			return Key{}, false, nil
		}
		if err != nil {
			return Key{}, false, fmt.Errorf("kms: read the managed key of %s: %w", account, err)
		}
		id = string(doc)
		s.mu.Lock()
		if s.gen == gen {
			s.managed[account] = id
		}
		s.mu.Unlock()
	}
	k, _, err := s.lookup(ctx, id)
	if err != nil {
		// The index is written only after its key, and keys are never
		// deleted: this is a store failure, not a missing key.
		return Key{}, false, fmt.Errorf("kms: read the managed key %s of %s: %w", id, account, err)
	}
	return k, true, nil
}

// indexManaged records the aws/s3 keys created before the index existed,
// so that managedKey finds them instead of creating another.
func (s *Service) indexManaged(ctx context.Context) error {
	s.mu.RLock()
	var legacy []Key
	for _, k := range s.keys {
		if _, indexed := s.managed[k.AccountID]; k.Managed() && !indexed {
			legacy = append(legacy, k)
		}
	}
	s.mu.RUnlock()
	for _, k := range legacy {
		winner := k.ID
		err := s.docs.UpdateDoc(ctx, kindManaged, k.AccountID, func(doc []byte, found bool) ([]byte, error) {
			if found {
				winner = string(doc)
				return nil, errLost
			}
			return []byte(k.ID), nil
		})
		if err != nil && !errors.Is(err, errLost) {
			return fmt.Errorf("kms: index the managed key of %s: %w", k.AccountID, err)
		}
		s.mu.Lock()
		s.gen++
		s.managed[k.AccountID] = winner
		s.mu.Unlock()
	}
	return nil
}
