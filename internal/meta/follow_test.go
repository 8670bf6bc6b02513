package meta

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestFollowerNotify: each notification reaches the re-read of its kind,
// other services' kinds are ignored, and a change without kind or ID
// (notifications may have been lost) re-reads everything.
func TestFollowerNotify(t *testing.T) {
	for _, tc := range []struct {
		change Change
		want   string
	}{
		{Change{Kind: "key", ID: "k1"}, "key:k1"},
		{Change{Kind: "account", ID: "a1"}, "account:a1"},
		{Change{Kind: "kms.key", ID: "x"}, ""},
		{Change{}, "resync"},
		{Change{Kind: "key"}, "resync"},
	} {
		var got []string
		f := &Follower{Name: "test", Log: slog.Default(),
			Resync: func(context.Context) error { got = append(got, "resync"); return nil },
			Apply: map[string]func(context.Context, string){
				"key":     func(_ context.Context, id string) { got = append(got, "key:"+id) },
				"account": func(_ context.Context, id string) { got = append(got, "account:"+id) },
			}}
		f.Notify(tc.change)
		if strings.Join(got, ",") != tc.want {
			t.Errorf("Notify(%+v) did %q, want %q", tc.change, got, tc.want)
		}
	}
}

type failingFeed struct{ ttl time.Duration }

func (f *failingFeed) Publish(_ context.Context, _ Change, ttl time.Duration) error {
	f.ttl = ttl
	return errors.New("connection refused")
}

// TestFollowerPublishFailure: the change is already written, so a failed
// announcement is logged, not returned, and Publish is given the TTL.
func TestFollowerPublishFailure(t *testing.T) {
	var log bytes.Buffer
	f := &Follower{Name: "test", TTL: 3 * time.Second, Log: slog.New(slog.NewTextHandler(&log, nil))}
	feed := &failingFeed{}
	f.Publish(t.Context(), feed, "key", "k1")
	if feed.ttl != 3*time.Second {
		t.Errorf("Publish got TTL %v, want 3s", feed.ttl)
	}
	if !strings.Contains(log.String(), "test: change written but not announced") || !strings.Contains(log.String(), "connection refused") {
		t.Errorf("log = %q, want the failed announcement", log.String())
	}
}
