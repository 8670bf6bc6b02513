package iam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
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

// Docs is the part of meta.Store the service keeps its records in.
type Docs interface {
	PutDoc(ctx context.Context, kind, id string, doc []byte) error
	GetDoc(ctx context.Context, kind, id string) ([]byte, error)
	ListDocs(ctx context.Context, kind string) ([]meta.Doc, error)
	DeleteDoc(ctx context.Context, kind, id string) error
}

const (
	kindAccount = "iam.account"
	kindKey     = "iam.key"
	kindUsage   = "iam.usage"
)

// Errors the admin API maps to HTTP statuses.
var (
	ErrNotFound = errors.New("iam: not found")
	ErrExists   = errors.New("iam: already exists")
	ErrRoot     = errors.New("iam: the root account and its configured key cannot be changed")
)

// Service manages accounts and keys and answers key lookups for request
// authentication. Lookups are served from memory; every change is written
// through to the store first. (One process owns the cache: a scale-out
// backend would need invalidation, noted for that issue.)
type Service struct {
	docs    Docs
	root    Account
	rootKey Key

	mu       sync.RWMutex
	keys     map[string]Key     // by access key ID
	accounts map[string]Account // by account ID

	usageMu sync.Mutex
	pending map[string]Usage // counted since the last flush
}

var _ sigv4.CredentialStore = (*Service)(nil)

// NewService loads accounts and keys. root is the root account; rootKey its
// configured key, which lives in the configuration, not the store.
func NewService(ctx context.Context, docs Docs, root Account, rootKey Key) (*Service, error) {
	s := &Service{docs: docs, root: root, rootKey: rootKey, keys: map[string]Key{}, accounts: map[string]Account{}, pending: map[string]Usage{}}
	rootKey.AccountID = root.ID
	s.rootKey = rootKey
	if _, err := docs.GetDoc(ctx, kindAccount, root.ID); errors.Is(err, meta.ErrNotFound) {
		if root.Created.IsZero() {
			root.Created = time.Now().UTC().Truncate(time.Second)
		}
		if err := s.putJSON(ctx, kindAccount, root.ID, root); err != nil {
			return nil, err
		}
	}
	accts, err := docs.ListDocs(ctx, kindAccount)
	if err != nil {
		return nil, err
	}
	for _, d := range accts {
		var a Account
		if err := json.Unmarshal(d.Data, &a); err != nil {
			return nil, fmt.Errorf("iam: account %s: %w", d.ID, err)
		}
		s.accounts[a.ID] = a
	}
	keys, err := docs.ListDocs(ctx, kindKey)
	if err != nil {
		return nil, err
	}
	for _, d := range keys {
		var k Key
		if err := json.Unmarshal(d.Data, &k); err != nil {
			return nil, fmt.Errorf("iam: key %s: %w", d.ID, err)
		}
		s.keys[k.AccessKeyID] = k
	}
	s.keys[rootKey.AccessKeyID] = s.rootKey
	return s, nil
}

func (s *Service) putJSON(ctx context.Context, kind, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.docs.PutDoc(ctx, kind, id, b)
}

// Lookup implements sigv4.CredentialStore: enabled keys of existing accounts.
func (s *Service) Lookup(_ context.Context, accessKeyID string) (sigv4.Credential, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[accessKeyID]
	if !ok || k.Disabled {
		return sigv4.Credential{}, sigv4.ErrUnknownKey
	}
	if _, ok := s.accounts[k.AccountID]; !ok {
		return sigv4.Credential{}, sigv4.ErrUnknownKey
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

// CreateAccount creates an account with a fresh key pair.
func (s *Service) CreateAccount(ctx context.Context, name string, now time.Time) (Account, Key, error) {
	if name == "" || len(name) > 64 {
		return Account{}, Key{}, fmt.Errorf("iam: account name must be 1 to 64 characters")
	}
	s.mu.Lock()
	for _, a := range s.accounts {
		if a.Name == name {
			s.mu.Unlock()
			return Account{}, Key{}, fmt.Errorf("%w: account %q", ErrExists, name)
		}
	}
	a := Account{Name: name, Created: now.UTC(), CanonicalID: randomHex(32)}
	for a.ID == "" || s.accounts[a.ID].ID != "" {
		a.ID = randomDigits(12)
	}
	s.accounts[a.ID] = a
	s.mu.Unlock()
	if err := s.putJSON(ctx, kindAccount, a.ID, a); err != nil {
		s.mu.Lock()
		delete(s.accounts, a.ID)
		s.mu.Unlock()
		return Account{}, Key{}, err
	}
	k, err := s.CreateKey(ctx, a.ID, now)
	return a, k, err
}

// RemoveAccount deletes an account and its keys (not the root account).
// The caller makes sure it owns no buckets.
func (s *Service) RemoveAccount(ctx context.Context, id string) error {
	if id == s.root.ID {
		return ErrRoot
	}
	if _, err := s.Account(id); err != nil {
		return err
	}
	for _, k := range s.Keys(id) {
		if err := s.DeleteKey(ctx, k.AccessKeyID); err != nil {
			return err
		}
	}
	if err := s.docs.DeleteDoc(ctx, kindAccount, id); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.accounts, id)
	s.mu.Unlock()
	return nil
}

// CreateKey adds a key pair to an account; the secret is returned only here.
func (s *Service) CreateKey(ctx context.Context, accountID string, now time.Time) (Key, error) {
	if _, err := s.Account(accountID); err != nil {
		return Key{}, err
	}
	k := Key{
		AccessKeyID:     "TK" + randomUpper(18),
		SecretAccessKey: randomSecret(40),
		AccountID:       accountID,
		Created:         now.UTC(),
	}
	if err := s.putJSON(ctx, kindKey, k.AccessKeyID, k); err != nil {
		return Key{}, err
	}
	s.mu.Lock()
	s.keys[k.AccessKeyID] = k
	s.mu.Unlock()
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

// SetKeyDisabled disables or re-enables a key.
func (s *Service) SetKeyDisabled(ctx context.Context, accessKeyID string, disabled bool) error {
	if accessKeyID == s.rootKey.AccessKeyID {
		return ErrRoot
	}
	s.mu.RLock()
	k, ok := s.keys[accessKeyID]
	s.mu.RUnlock()
	if !ok {
		return ErrNotFound
	}
	k.Disabled = disabled
	if err := s.putJSON(ctx, kindKey, k.AccessKeyID, k); err != nil {
		return err
	}
	s.mu.Lock()
	s.keys[k.AccessKeyID] = k
	s.mu.Unlock()
	return nil
}

// DeleteKey deletes a key.
func (s *Service) DeleteKey(ctx context.Context, accessKeyID string) error {
	if accessKeyID == s.rootKey.AccessKeyID {
		return ErrRoot
	}
	s.mu.RLock()
	_, ok := s.keys[accessKeyID]
	s.mu.RUnlock()
	if !ok {
		return ErrNotFound
	}
	if err := s.docs.DeleteDoc(ctx, kindKey, accessKeyID); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.keys, accessKeyID)
	s.mu.Unlock()
	return nil
}

// CountUsage records one request of an account (the requester, or the
// bucket owner when the owner pays). It only touches memory; Flush persists.
func (s *Service) CountUsage(accountID string, bytesIn, bytesOut int64) {
	if accountID == "" {
		return
	}
	s.usageMu.Lock()
	u := s.pending[accountID]
	u.Requests++
	u.BytesIn += bytesIn
	u.BytesOut += bytesOut
	s.pending[accountID] = u
	s.usageMu.Unlock()
}

// Flush adds the usage counted since the last flush to the stored totals.
// Usage is accounting, not data: a crash may lose the last interval.
func (s *Service) Flush(ctx context.Context) error {
	s.usageMu.Lock()
	pending := s.pending
	s.pending = map[string]Usage{}
	s.usageMu.Unlock()
	for id, d := range pending {
		u, err := s.storedUsage(ctx, id)
		if err != nil {
			return err
		}
		u.Requests += d.Requests
		u.BytesIn += d.BytesIn
		u.BytesOut += d.BytesOut
		if err := s.putJSON(ctx, kindUsage, id, u); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) storedUsage(ctx context.Context, id string) (Usage, error) {
	var u Usage
	b, err := s.docs.GetDoc(ctx, kindUsage, id)
	if errors.Is(err, meta.ErrNotFound) {
		return u, nil
	}
	if err != nil {
		return u, err
	}
	return u, json.Unmarshal(b, &u)
}

// Usage returns an account's totals, including what is not flushed yet.
func (s *Service) Usage(ctx context.Context, accountID string) (Usage, error) {
	u, err := s.storedUsage(ctx, accountID)
	if err != nil {
		return u, err
	}
	s.usageMu.Lock()
	d := s.pending[accountID]
	s.usageMu.Unlock()
	u.Requests += d.Requests
	u.BytesIn += d.BytesIn
	u.BytesOut += d.BytesOut
	return u, nil
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
