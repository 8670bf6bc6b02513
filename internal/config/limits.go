package config

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits bound what one server takes on at once and how long it waits for
// a slow client. A zero field means its default (DefaultLimits), so a
// Config built in code (tests) gets the same limits as the binary.
type Limits struct {
	// MaxRequests is the number of S3 requests served at once; beyond it
	// a request is answered 503 SlowDown before its body is read.
	MaxRequests int
	// MaxUploadBytes is the request-body bytes being received at once,
	// counted by the length each request declares when it starts.
	MaxUploadBytes int64
	// MaxHeaderBytes is the size of a request's header fields beyond which
	// it is answered 400 RequestHeaderSectionTooLarge (S3: 8 KiB).
	MaxHeaderBytes int
	// ReadHeaderTimeout is how long a client may take to send its headers.
	ReadHeaderTimeout time.Duration
	// ReadIdleTimeout ends a request whose client sends no body byte for
	// this long (400 RequestTimeout); a slow but moving upload goes on.
	ReadIdleTimeout time.Duration
	// WriteIdleTimeout ends a response whose client reads nothing for this long.
	WriteIdleTimeout time.Duration
}

// DefaultLimits suit a small server.
func DefaultLimits() Limits {
	return Limits{
		MaxRequests:       1024,
		MaxUploadBytes:    1 << 30,
		MaxHeaderBytes:    8 << 10,
		ReadHeaderTimeout: 30 * time.Second,
		ReadIdleTimeout:   60 * time.Second,
		WriteIdleTimeout:  60 * time.Second,
	}
}

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.MaxRequests == 0 {
		l.MaxRequests = d.MaxRequests
	}
	if l.MaxUploadBytes == 0 {
		l.MaxUploadBytes = d.MaxUploadBytes
	}
	if l.MaxHeaderBytes == 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.ReadHeaderTimeout == 0 {
		l.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if l.ReadIdleTimeout == 0 {
		l.ReadIdleTimeout = d.ReadIdleTimeout
	}
	if l.WriteIdleTimeout == 0 {
		l.WriteIdleTimeout = d.WriteIdleTimeout
	}
	return l
}

// validate reports the first limit that cannot work.
func (l Limits) validate() error {
	switch {
	case l.MaxRequests < 0:
		return errors.New("config: --max-requests must be positive")
	case l.MaxUploadBytes < 0:
		return errors.New("config: --max-upload-bytes must be positive")
	case l.MaxHeaderBytes < 0:
		return errors.New("config: --max-header-bytes must be positive")
	case l.ReadHeaderTimeout < 0 || l.ReadIdleTimeout < 0 || l.WriteIdleTimeout < 0:
		return errors.New("config: timeouts must be positive")
	}
	return nil
}

var limitOptions = []option{
	{"max-requests", "TESSERA_MAX_REQUESTS", "S3 requests served at once; beyond it clients get 503 SlowDown (SDKs retry it with backoff). Health, metrics and admin paths are not counted", false},
	{"max-upload-bytes", "TESSERA_MAX_UPLOAD_BYTES", "request-body bytes being received at once across all uploads, counted by the length each request declares (a body larger than this runs alone); beyond it uploads get 503 SlowDown. Accepts KiB, MiB, GiB suffixes", false},
	{"max-header-bytes", "TESSERA_MAX_HEADER_BYTES", "size of a request's header fields beyond which it gets 400 RequestHeaderSectionTooLarge (S3's limit is 8192)", false},
	{"read-header-timeout", "TESSERA_READ_HEADER_TIMEOUT", "how long a client may take to send a request's headers", false},
	{"read-idle-timeout", "TESSERA_READ_IDLE_TIMEOUT", "a client that sends no body byte for this long gets 400 RequestTimeout and nothing is stored (an idle timeout, not a total one: a slow upload that keeps moving goes on)", false},
	{"write-idle-timeout", "TESSERA_WRITE_IDLE_TIMEOUT", "a client that reads no response byte for this long has its connection closed", false},
}

// limitFlags binds the Limits flags; finish parses what flag cannot.
func limitFlags(fs *flag.FlagSet, l *Limits, env func(name, def string) string) (finish func() error, err error) {
	d := DefaultLimits()
	durations := []struct {
		name, env string
		dst       *time.Duration
		def       time.Duration
	}{
		{"read-header-timeout", "TESSERA_READ_HEADER_TIMEOUT", &l.ReadHeaderTimeout, d.ReadHeaderTimeout},
		{"read-idle-timeout", "TESSERA_READ_IDLE_TIMEOUT", &l.ReadIdleTimeout, d.ReadIdleTimeout},
		{"write-idle-timeout", "TESSERA_WRITE_IDLE_TIMEOUT", &l.WriteIdleTimeout, d.WriteIdleTimeout},
	}
	for _, o := range durations {
		def, err := time.ParseDuration(env(o.env, o.def.String()))
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", o.env, err)
		}
		fs.DurationVar(o.dst, o.name, def, "")
	}
	ints := []struct {
		name, env string
		dst       *int
		def       int
	}{
		{"max-requests", "TESSERA_MAX_REQUESTS", &l.MaxRequests, d.MaxRequests},
		{"max-header-bytes", "TESSERA_MAX_HEADER_BYTES", &l.MaxHeaderBytes, d.MaxHeaderBytes},
	}
	for _, o := range ints {
		def, err := strconv.Atoi(env(o.env, strconv.Itoa(o.def)))
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", o.env, err)
		}
		fs.IntVar(o.dst, o.name, def, "")
	}
	var upload string
	fs.StringVar(&upload, "max-upload-bytes", env("TESSERA_MAX_UPLOAD_BYTES", "1GiB"), "")
	return func() error {
		n, err := ParseSize(upload)
		if err != nil {
			return fmt.Errorf("config: --max-upload-bytes: %w", err)
		}
		l.MaxUploadBytes = n
		for _, v := range []int64{int64(l.MaxRequests), int64(l.MaxHeaderBytes), l.MaxUploadBytes,
			int64(l.ReadHeaderTimeout), int64(l.ReadIdleTimeout), int64(l.WriteIdleTimeout)} {
			if v <= 0 {
				return errors.New("config: every limit and timeout must be positive")
			}
		}
		return nil
	}, nil
}

// ParseSize reads a byte count: digits with an optional KiB, MiB, GiB or
// TiB suffix (or none, for bytes).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("config: size %q: want a number of bytes, optionally with KiB, MiB, GiB or TiB", s)
	}
	return n * mult, nil
}
