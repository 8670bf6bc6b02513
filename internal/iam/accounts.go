package iam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

// Account is a Tessera account: the unit of ownership and permission.
type Account struct {
	ID          string    `json:"id"`           // 12 digits
	CanonicalID string    `json:"canonical_id"` // 64 hex characters
	Name        string    `json:"name"`         // display name, unique
	Created     time.Time `json:"created"`
}

// Owner is the account as S3 shows it in Owner and Initiator elements.
func (a Account) Owner() meta.Owner { return meta.Owner{ID: a.CanonicalID, DisplayName: a.Name} }

// Key is an access key pair of an account.
type Key struct {
	AccessKeyID     string    `json:"access_key_id"`
	SecretAccessKey string    `json:"secret_access_key,omitempty"`
	AccountID       string    `json:"account_id"`
	Disabled        bool      `json:"disabled"`
	Created         time.Time `json:"created"`
}

// Usage counts what an account's requests cost: requests and bytes moved.
type Usage struct {
	Requests int64 `json:"requests"`
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

// Docs is the part of meta.Store the service keeps its records in, and
// the part of meta.Cluster it keeps its cache coherent with.
type Docs interface {
	PutDoc(ctx context.Context, kind, id string, doc []byte) error
	GetDoc(ctx context.Context, kind, id string) ([]byte, error)
	ListDocs(ctx context.Context, kind string) ([]meta.Doc, error)
	DeleteDoc(ctx context.Context, kind, id string) error
	UpdateDoc(ctx context.Context, kind, id string, fn func(doc []byte, found bool) ([]byte, error)) error
	Publish(ctx context.Context, c meta.Change, ttl time.Duration) error
	Subscribe(fn func(meta.Change))
}

const (
	kindAccount = "iam.account"
	kindKey     = "iam.key"
	kindUsage   = "iam.usage"
	// kindAccountName indexes accounts by name (the document is the
	// account ID): creating it is how a name is claimed across gateways.
	kindAccountName = "iam.account-name"
)

// Errors the admin API maps to HTTP statuses.
var (
	ErrNotFound = errors.New("iam: not found")
	ErrExists   = errors.New("iam: already exists")
	ErrRoot     = errors.New("iam: the root account and its configured key cannot be changed")
)

// errKeep aborts an UpdateDoc that has nothing to change.
var errKeep = errors.New("iam: document unchanged")

// Service manages accounts and keys and answers key lookups for request
// authentication. Lookups are served from memory, which follows the
// store's change feed (feed.go): every change is written to the store
// first, then announced to every gateway before the call returns.
// Uniqueness (account names) and counters (usage) are decided by the
// store's atomic UpdateDoc, never by memory.
type Service struct {
	docs    Docs
	root    Account
	rootKey Key
	log     *slog.Logger
	feed    *meta.Follower

	mu       sync.RWMutex
	keys     map[string]Key     // by access key ID
	accounts map[string]Account // by account ID
	// gen counts changes made to memory; a read-through caches what it
	// read only if gen has not moved since it started (feed.go).
	gen    uint64
	misses map[string]time.Time // access key ID → unknown until

	usageMu sync.Mutex
	pending map[string]Usage // counted since the last flush
}

var _ sigv4.CredentialStore = (*Service)(nil)

// NewService subscribes to the change feed and loads accounts and keys.
// root is the root account; rootKey its configured key, which lives in the
// configuration, not the store.
func NewService(ctx context.Context, docs Docs, root Account, rootKey Key, opts ...Option) (*Service, error) {
	rootKey.AccountID = root.ID
	s := &Service{
		docs: docs, root: root, rootKey: rootKey, log: slog.Default(),
		keys: map[string]Key{}, accounts: map[string]Account{}, misses: map[string]time.Time{}, pending: map[string]Usage{},
	}
	s.feed = &meta.Follower{Name: "iam", TTL: DefaultFeedTTL, Log: s.log, Resync: s.resync,
		Apply: map[string]func(context.Context, string){kindKey: s.applyKey, kindAccount: s.applyAccount}}
	for _, o := range opts {
		o(s)
	}
	// Subscribed before loading, so that no change falls between the two.
	docs.Subscribe(s.feed.Notify)
	if _, err := docs.GetDoc(ctx, kindAccount, root.ID); errors.Is(err, meta.ErrNotFound) {
		if root.Created.IsZero() {
			root.Created = time.Now().UTC().Truncate(time.Second)
		}
		// Gateways starting together may all get here; one write wins.
		if err := s.createJSON(ctx, kindAccount, root.ID, root); err != nil && !errors.Is(err, ErrExists) {
			return nil, err
		}
	}
	if err := s.Resync(ctx); err != nil {
		return nil, err
	}
	if err := s.indexNames(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// indexNames claims the name of every account created before names were
// indexed, so that CreateAccount's claim also guards those names.
func (s *Service) indexNames(ctx context.Context) error {
	claimed, err := s.docs.ListDocs(ctx, kindAccountName)
	if err != nil {
		return fmt.Errorf("iam: list account names: %w", err)
	}
	have := make(map[string]bool, len(claimed))
	for _, d := range claimed {
		have[d.ID] = true
	}
	for _, a := range s.Accounts() {
		if have[a.Name] {
			continue
		}
		err := s.docs.UpdateDoc(ctx, kindAccountName, a.Name, func(_ []byte, found bool) ([]byte, error) {
			if found { // another gateway indexed it meanwhile
				return nil, errKeep
			}
			return []byte(a.ID), nil
		})
		if err != nil && !errors.Is(err, errKeep) {
			return fmt.Errorf("iam: index account name %q: %w", a.Name, err)
		}
	}
	return nil
}

// Lookup implements sigv4.CredentialStore: enabled keys of existing
// accounts. A key or account missing from memory is read from the store
// (it may have been created through another gateway an instant ago); a key
// the store does not know either is remembered as unknown for missTTL.
func (s *Service) Lookup(ctx context.Context, accessKeyID string) (sigv4.Credential, error) {
	now := time.Now()
	if s.missed(accessKeyID, now) {
		return sigv4.Credential{}, sigv4.ErrUnknownKey
	}
	s.mu.RLock()
	k, haveKey := s.keys[accessKeyID]
	gen := s.gen
	s.mu.RUnlock()
	if !haveKey {
		var err error
		if k, err = s.readKey(ctx, accessKeyID, gen); errors.Is(err, meta.ErrNotFound) {
			s.rememberMiss(accessKeyID, gen, now)
			return sigv4.Credential{}, sigv4.ErrUnknownKey
		} else if err != nil {
			return sigv4.Credential{}, fmt.Errorf("iam: look up key %s: %w", accessKeyID, err)
		}
	}
	if k.Disabled {
		return sigv4.Credential{}, sigv4.ErrUnknownKey
	}
	if _, err := s.account(ctx, k.AccountID); errors.Is(err, ErrNotFound) {
		s.rememberMiss(accessKeyID, gen, now)
		return sigv4.Credential{}, sigv4.ErrUnknownKey
	} else if err != nil {
		return sigv4.Credential{}, fmt.Errorf("iam: look up account of key %s: %w", accessKeyID, err)
	}
	return sigv4.Credential{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, AccountID: k.AccountID}, nil
}

// Root returns the root account.
func (s *Service) Root() Account { return s.root }

// Account returns an account by ID.
func (s *Service) Account(id string) (Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.accounts[id]
	if !ok {
		return Account{}, ErrNotFound
	}
	return a, nil
}

// Accounts lists every account, root first, then by name.
func (s *Service) Accounts() []Account {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].ID == s.root.ID) != (out[j].ID == s.root.ID) {
			return out[i].ID == s.root.ID
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// CreateAccount creates an account with a fresh key pair. The name is
// claimed in the store (kindAccountName) before the account is written, so
// two gateways creating one name concurrently cannot both succeed.
func (s *Service) CreateAccount(ctx context.Context, name string, now time.Time) (Account, Key, error) {
	if name == "" || len(name) > 64 {
		return Account{}, Key{}, fmt.Errorf("iam: account name must be 1 to 64 characters")
	}
	if strings.ContainsRune(name, 0) { // it is a document ID in the name index
		return Account{}, Key{}, fmt.Errorf("iam: account name must not contain NUL")
	}
	s.mu.RLock()
	for _, a := range s.accounts { // the common refusal, without a store round trip
		if a.Name == name {
			s.mu.RUnlock()
			return Account{}, Key{}, fmt.Errorf("%w: account %q", ErrExists, name)
		}
	}
	a := Account{Name: name, Created: now.UTC(), CanonicalID: randomHex(32)}
	for a.ID == "" || s.accounts[a.ID].ID != "" {
		a.ID = randomDigits(12)
	}
	s.mu.RUnlock()
	if err := s.claimName(ctx, name, a.ID); err != nil {
		return Account{}, Key{}, err
	}
	if err := s.createJSON(ctx, kindAccount, a.ID, a); err != nil {
		s.releaseName(ctx, name, a.ID)
		return Account{}, Key{}, err
	}
	s.mu.Lock()
	s.gen++
	s.accounts[a.ID] = a
	clear(s.misses) // as applyAccount does
	s.mu.Unlock()
	s.publish(ctx, kindAccount, a.ID)
	k, err := s.CreateKey(ctx, a.ID, now)
	return a, k, err
}

// claimName records name as account id's, ErrExists if it is taken.
func (s *Service) claimName(ctx context.Context, name, id string) error {
	err := s.docs.UpdateDoc(ctx, kindAccountName, name, func(_ []byte, found bool) ([]byte, error) {
		if found {
			return nil, fmt.Errorf("%w: account %q", ErrExists, name)
		}
		return []byte(id), nil
	})
	if err != nil && !errors.Is(err, ErrExists) {
		return fmt.Errorf("iam: claim account name %q: %w", name, err)
	}
	return err
}

// releaseName frees name if account id holds it. A failure leaves the
// name claimed by no account; it is logged, as the caller is already
// failing or has already removed the account.
func (s *Service) releaseName(ctx context.Context, name, id string) {
	err := s.docs.UpdateDoc(ctx, kindAccountName, name, func(doc []byte, found bool) ([]byte, error) {
		if !found || string(doc) != id {
			return nil, errKeep
		}
		return nil, nil
	})
	if err != nil && !errors.Is(err, errKeep) {
		s.log.Warn("iam: releasing an account name", "name", name, "account", id, "err", err)
	}
}

// createJSON stores a new document, ErrExists if the ID is taken (a random
// ID collided: the caller may simply retry).
func (s *Service) createJSON(ctx context.Context, kind, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	err = s.docs.UpdateDoc(ctx, kind, id, func(_ []byte, found bool) ([]byte, error) {
		if found {
			return nil, fmt.Errorf("%w: %s %s", ErrExists, kind, id)
		}
		return b, nil
	})
	if err != nil && !errors.Is(err, ErrExists) {
		return fmt.Errorf("iam: create %s %s: %w", kind, id, err)
	}
	return err
}

// RemoveAccount deletes an account and its keys (not the root account).
// The caller makes sure it owns no buckets.
func (s *Service) RemoveAccount(ctx context.Context, id string) error {
	if id == s.root.ID {
		return ErrRoot
	}
	a, err := s.Account(id)
	if err != nil {
		return err
	}
	// The store's list, not memory's: a key just created through another
	// gateway may not have reached this one yet.
	docs, err := s.docs.ListDocs(ctx, kindKey)
	if err != nil {
		return fmt.Errorf("iam: list keys: %w", err)
	}
	for _, d := range docs {
		var k Key
		if err := json.Unmarshal(d.Data, &k); err != nil {
			return fmt.Errorf("iam: key %s: %w", d.ID, err)
		}
		if k.AccountID != id {
			continue
		}
		if err := s.DeleteKey(ctx, k.AccessKeyID); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if err := s.docs.DeleteDoc(ctx, kindAccount, id); err != nil {
		return fmt.Errorf("iam: delete account %s: %w", id, err)
	}
	s.releaseName(ctx, a.Name, id)
	s.mu.Lock()
	s.gen++
	delete(s.accounts, id)
	s.mu.Unlock()
	s.publish(ctx, kindAccount, id)
	return nil
}

// CreateKey adds a key pair to an account; the secret is returned only here.
func (s *Service) CreateKey(ctx context.Context, accountID string, now time.Time) (Key, error) {
	if _, err := s.account(ctx, accountID); err != nil {
		return Key{}, err
	}
	k := Key{
		AccessKeyID:     "TK" + randomUpper(18),
		SecretAccessKey: randomSecret(40),
		AccountID:       accountID,
		Created:         now.UTC(),
	}
	if err := s.createJSON(ctx, kindKey, k.AccessKeyID, k); err != nil {
		return Key{}, err
	}
	s.mu.Lock()
	s.gen++
	s.keys[k.AccessKeyID] = k
	delete(s.misses, k.AccessKeyID)
	s.mu.Unlock()
	s.publish(ctx, kindKey, k.AccessKeyID)
	return k, nil
}

// Keys lists an account's keys without their secrets.
func (s *Service) Keys(accountID string) []Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Key
	for _, k := range s.keys {
		if k.AccountID == accountID {
			k.SecretAccessKey = ""
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AccessKeyID < out[j].AccessKeyID })
	return out
}

// SetKeyDisabled disables or re-enables a key. The stored key is changed
// in one atomic step, so a concurrent deletion through another gateway is
// not undone by writing back a stale copy.
func (s *Service) SetKeyDisabled(ctx context.Context, accessKeyID string, disabled bool) error {
	if accessKeyID == s.rootKey.AccessKeyID {
		return ErrRoot
	}
	var k Key
	err := s.docs.UpdateDoc(ctx, kindKey, accessKeyID, func(doc []byte, found bool) ([]byte, error) {
		if !found {
			return nil, ErrNotFound
		}
		var cur Key // fresh each call: a store may retry fn
		if err := json.Unmarshal(doc, &cur); err != nil {
			return nil, fmt.Errorf("iam: key %s: %w", accessKeyID, err)
		}
		cur.Disabled = disabled
		k = cur
		return json.Marshal(cur)
	})
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("iam: set key %s disabled=%t: %w", accessKeyID, disabled, err)
	}
	s.mu.Lock()
	s.gen++
	s.keys[k.AccessKeyID] = k
	s.mu.Unlock()
	s.publish(ctx, kindKey, accessKeyID)
	return nil
}

// DeleteKey deletes a key.
func (s *Service) DeleteKey(ctx context.Context, accessKeyID string) error {
	if accessKeyID == s.rootKey.AccessKeyID {
		return ErrRoot
	}
	err := s.docs.UpdateDoc(ctx, kindKey, accessKeyID, func(_ []byte, found bool) ([]byte, error) {
		if !found {
			return nil, ErrNotFound
		}
		return nil, nil
	})
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("iam: delete key %s: %w", accessKeyID, err)
	}
	s.mu.Lock()
	s.gen++
	delete(s.keys, accessKeyID)
	s.mu.Unlock()
	s.publish(ctx, kindKey, accessKeyID)
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func randomFrom(n int, alphabet string) string {
	out := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range out {
		v, _ := rand.Int(rand.Reader, max)
		out[i] = alphabet[v.Int64()]
	}
	return string(out)
}

func randomDigits(n int) string { return randomFrom(n, "0123456789") }
func randomUpper(n int) string  { return randomFrom(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") }
func randomSecret(n int) string {
	return randomFrom(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}

// AccountByCanonical returns the account with a canonical user ID.
func (s *Service) AccountByCanonical(canonicalID string) (Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, a := range s.accounts {
		if a.CanonicalID == canonicalID {
			return a, nil
		}
	}
	return Account{}, ErrNotFound
}
