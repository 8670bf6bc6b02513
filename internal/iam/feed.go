package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// Scale-out: every gateway holds accounts and keys in memory, and each
// follows the store's change feed through a meta.Follower. Publish returns
// once every live gateway applied the change, so a key disabled through
// one gateway is refused by all of them when the call that disabled it
// returns. Lookups that miss memory read through to the store, so a key
// whose notification is still in flight works at once.

// DefaultFeedTTL is the gateway TTL Publish is given unless FeedTTL says
// otherwise.
const DefaultFeedTTL = meta.DefaultFeedTTL

// missTTL is how long an unknown access key is remembered as unknown, and
// maxMisses how many are: a flood of requests with one bogus key then costs
// one store read a second, not one per request.
const (
	missTTL   = time.Second
	maxMisses = 10000
)

// Option configures a Service.
type Option func(*Service)

// FeedTTL sets the gateway TTL given to Publish (the server's heartbeat
// TTL); 0 keeps DefaultFeedTTL.
func FeedTTL(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.feed.TTL = d
		}
	}
}

// Logger sets where failures that do not fail a call (a change written but
// not announced, a notification that could not be applied) are logged;
// nil keeps slog.Default().
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

// applyKey re-reads one access key. If the read fails the key is dropped
// from memory rather than kept as it was: the next Lookup reads it through,
// so memory never grants what the store may have revoked.
func (s *Service) applyKey(ctx context.Context, id string) {
	if id == s.rootKey.AccessKeyID {
		return // lives in the configuration, not the store
	}
	var k Key
	err := s.readJSON(ctx, kindKey, id, &k)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		s.log.Warn("iam: re-reading a changed key; dropped from memory", "access_key", id, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	delete(s.misses, id)
	if err != nil {
		delete(s.keys, id)
		return
	}
	s.keys[id] = k
}

// applyAccount re-reads one account, dropping it on failure as applyKey
// does. Any remembered miss may have been for a key of this account, so
// they are all forgotten.
func (s *Service) applyAccount(ctx context.Context, id string) {
	var a Account
	err := s.readJSON(ctx, kindAccount, id, &a)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		s.log.Warn("iam: re-reading a changed account; dropped from memory", "account", id, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	clear(s.misses)
	if err != nil {
		delete(s.accounts, id)
		return
	}
	s.accounts[id] = a
}

// Resync re-reads every account and key and replaces what memory holds:
// at start, and when the feed says notifications may have been lost.
func (s *Service) Resync(ctx context.Context) error { return s.feed.ResyncNow(ctx) }

// resync is Resync under the follower's lock: a notification arriving
// meanwhile is applied after it, not overwritten by its older snapshot.
func (s *Service) resync(ctx context.Context) error {
	accounts := map[string]Account{}
	docs, err := s.docs.ListDocs(ctx, kindAccount)
	if err != nil {
		return fmt.Errorf("iam: list accounts: %w", err)
	}
	for _, d := range docs {
		var a Account
		if err := json.Unmarshal(d.Data, &a); err != nil {
			return fmt.Errorf("iam: account %s: %w", d.ID, err)
		}
		accounts[a.ID] = a
	}
	keys := map[string]Key{}
	if docs, err = s.docs.ListDocs(ctx, kindKey); err != nil {
		return fmt.Errorf("iam: list keys: %w", err)
	}
	for _, d := range docs {
		var k Key
		if err := json.Unmarshal(d.Data, &k); err != nil {
			return fmt.Errorf("iam: key %s: %w", d.ID, err)
		}
		keys[k.AccessKeyID] = k
	}
	keys[s.rootKey.AccessKeyID] = s.rootKey
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.accounts, s.keys = accounts, keys
	clear(s.misses)
	return nil
}

// readJSON reads one document into v (meta.ErrNotFound if absent).
func (s *Service) readJSON(ctx context.Context, kind, id string, v any) error {
	b, err := s.docs.GetDoc(ctx, kind, id)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("iam: %s %s: %w", kind, id, err)
	}
	return nil
}

// readKey reads an access key missing from memory and caches it — unless
// a change was applied meanwhile (gen moved), which may be newer than what
// was read: the answer stands for this call, memory waits for the feed.
func (s *Service) readKey(ctx context.Context, id string, gen uint64) (Key, error) {
	var k Key
	if err := s.readJSON(ctx, kindKey, id, &k); err != nil {
		return Key{}, err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.keys[id] = k
	}
	s.mu.Unlock()
	return k, nil
}

// readAccount is readKey for accounts.
func (s *Service) readAccount(ctx context.Context, id string, gen uint64) (Account, error) {
	var a Account
	if err := s.readJSON(ctx, kindAccount, id, &a); err != nil {
		return Account{}, err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.accounts[id] = a
	}
	s.mu.Unlock()
	return a, nil
}

// account returns an account from memory or, failing that, the store
// (ErrNotFound if neither has it).
func (s *Service) account(ctx context.Context, id string) (Account, error) {
	s.mu.RLock()
	a, ok := s.accounts[id]
	gen := s.gen
	s.mu.RUnlock()
	if ok {
		return a, nil
	}
	a, err := s.readAccount(ctx, id, gen)
	if errors.Is(err, meta.ErrNotFound) {
		return Account{}, ErrNotFound
	}
	return a, err
}

// missed reports whether id was recently found unknown.
func (s *Service) missed(id string, now time.Time) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	until, ok := s.misses[id]
	return ok && now.Before(until)
}

// rememberMiss records id as unknown for missTTL, unless a change was
// applied since the read that missed (it may have created the key). The
// map is bounded: when full, expired entries go, and if that is not
// enough, all of them.
func (s *Service) rememberMiss(id string, gen uint64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return
	}
	if len(s.misses) >= maxMisses {
		for k, until := range s.misses {
			if !now.Before(until) {
				delete(s.misses, k)
			}
		}
		if len(s.misses) >= maxMisses {
			clear(s.misses)
		}
	}
	s.misses[id] = now.Add(missTTL)
}
