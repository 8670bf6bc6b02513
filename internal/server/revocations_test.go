package server

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

// Revocations on both backends: what is revoked stays revoked until it
// expires, and the sweep removes exactly the expired ones.
func TestRevocations(t *testing.T) {
	for _, backend := range []struct {
		name string
		open func(t *testing.T) meta.Store
	}{
		{"pebble", func(t *testing.T) meta.Store {
			s, err := pebblestore.Open(filepath.Join(t.TempDir(), "meta"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"postgres", func(t *testing.T) meta.Store {
			s, err := postgres.Open(context.Background(), pgtest.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(backend.name, func(t *testing.T) {
			store := backend.open(t)
			t.Cleanup(func() { store.Close() })
			now := time.Unix(1_800_000_000, 0)
			r := revocations{store: store, now: func() time.Time { return now }}
			ctx := context.Background()
			for _, rv := range []struct {
				id      string
				expires time.Time
			}{
				{"expired-long-ago", now.Add(-12 * time.Hour)},
				{"expires-now", now},
				{"expires-in-a-second", now.Add(time.Second)},
				{"expires-in-12h", now.Add(12 * time.Hour)},
			} {
				if err := r.Revoke(ctx, rv.id, rv.expires); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Revoke(ctx, "expires-in-12h", now.Add(12*time.Hour)); err != nil {
				t.Fatalf("revoking twice: %v", err)
			}
			if err := store.PutDoc(ctx, kindRevokedSession, "unreadable", []byte("soon")); err != nil {
				t.Fatal(err)
			}
			n, err := r.sweep(ctx)
			if err != nil || n != 3 {
				t.Fatalf("sweep removed %d, %v; want 3 (two expired, one unreadable)", n, err)
			}
			for _, tc := range []struct {
				id   string
				want bool
			}{
				{"expired-long-ago", false},
				{"expires-now", false},
				{"unreadable", false},
				{"expires-in-a-second", true},
				{"expires-in-12h", true},
				{"never-revoked", false},
			} {
				if got, err := r.Revoked(ctx, tc.id); err != nil || got != tc.want {
					t.Errorf("Revoked(%s) = %v, %v; want %v", tc.id, got, err, tc.want)
				}
			}
		})
	}
}

// BenchmarkRevoked is what logout revocation adds to every session
// request: one read of the revocation set, on each backend.
func BenchmarkRevoked(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func(b *testing.B) meta.Store
	}{
		{"pebble", func(b *testing.B) meta.Store {
			s, err := pebblestore.Open(filepath.Join(b.TempDir(), "meta"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) meta.Store {
			s, err := postgres.Open(context.Background(), pgtest.DSN(b))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	} {
		b.Run(backend.name, func(b *testing.B) {
			store := backend.open(b)
			b.Cleanup(func() { store.Close() })
			r := revocations{store: store, now: time.Now}
			ctx := context.Background()
			// A set of a busy day's logouts, none of them the session checked.
			for i := range 1000 {
				if err := r.Revoke(ctx, fmt.Sprintf("revoked-%04d", i), time.Now().Add(time.Hour)); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				if revoked, err := r.Revoked(ctx, "a-live-session"); err != nil || revoked {
					b.Fatal(revoked, err)
				}
			}
		})
	}
}
