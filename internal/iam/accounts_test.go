package iam

import (
	"errors"
	"testing"
	"time"

	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

func TestAccountsAndKeys(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	root := Account{ID: "000000000000", CanonicalID: "root-canonical", Name: "root"}
	rootKey := Key{AccessKeyID: "ROOTKEY", SecretAccessKey: "rootsecret"}
	open := func() (*Service, func()) {
		st, err := pebblestore.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewService(ctx, st, root, rootKey)
		if err != nil {
			t.Fatal(err)
		}
		return s, func() { st.Close() }
	}
	s, closeStore := open()
	if c, err := s.Lookup(ctx, "ROOTKEY"); err != nil || c.AccountID != root.ID {
		t.Fatalf("root lookup: %+v %v", c, err)
	}
	alice, key, err := s.CreateAccount(ctx, "alice", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(alice.ID) != 12 || len(alice.CanonicalID) != 64 || key.AccountID != alice.ID || len(key.SecretAccessKey) != 40 {
		t.Fatalf("account %+v key %+v", alice, key)
	}
	if _, _, err := s.CreateAccount(ctx, "alice", now); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	key2, err := s.CreateKey(ctx, alice.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetKeyDisabled(ctx, key.AccessKeyID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, key.AccessKeyID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Fatalf("disabled key accepted: %v", err)
	}
	s.CountUsage(alice.ID, 10, 20)
	s.CountUsage(alice.ID, 1, 2)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s.CountUsage(alice.ID, 100, 0)
	closeStore()

	// Everything but the unflushed usage survives a restart.
	s, closeStore = open()
	defer closeStore()
	if _, err := s.Lookup(ctx, key.AccessKeyID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Fatalf("disabled key enabled by restart: %v", err)
	}
	if c, err := s.Lookup(ctx, key2.AccessKeyID); err != nil || c.SecretAccessKey != key2.SecretAccessKey || c.AccountID != alice.ID {
		t.Fatalf("second key: %+v %v", c, err)
	}
	if u, err := s.Usage(ctx, alice.ID); err != nil || u != (Usage{Requests: 2, BytesIn: 11, BytesOut: 22}) {
		t.Fatalf("usage %+v %v", u, err)
	}
	if got := s.Keys(alice.ID); len(got) != 2 || got[0].SecretAccessKey != "" {
		t.Fatalf("keys %+v", got)
	}
	if accts := s.Accounts(); len(accts) != 2 || accts[0].ID != root.ID {
		t.Fatalf("accounts %+v", accts)
	}
	if err := s.RemoveAccount(ctx, root.ID); !errors.Is(err, ErrRoot) {
		t.Fatalf("removing root: %v", err)
	}
	if err := s.DeleteKey(ctx, "ROOTKEY"); !errors.Is(err, ErrRoot) {
		t.Fatalf("deleting root key: %v", err)
	}
	if err := s.RemoveAccount(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, key2.AccessKeyID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Fatalf("removed account's key accepted: %v", err)
	}
}
