package blob

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrReadOnly is returned by Create on a store opened with OpenReadOnly.
var ErrReadOnly = errors.New("blob: store opened read-only")

// OpenReadOnly opens an existing store in dir without changing anything:
// no directory is made and no temp directory emptied, as Open does. Create
// fails with ErrReadOnly; Remove still works (a checker repairing the
// store removes orphans through it). It is for tools that inspect a data
// directory, possibly while gateways use it.
func OpenReadOnly(dir string) (*Store, error) {
	blobs := filepath.Join(dir, "blobs")
	fi, err := os.Stat(blobs)
	if err != nil {
		return nil, fmt.Errorf("blob: open read-only: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("blob: open read-only: %s is not a directory", blobs)
	}
	return &Store{fs: vfs.Default, blobs: blobs, tmp: filepath.Join(dir, "tmp"), readOnly: true}, nil
}

// TempFile is a file in tmp/: an in-flight write, or what a gateway that
// stopped or crashed left.
type TempFile struct {
	// Gateway is the gateway whose temp directory holds the file; "" for a
	// loose file directly in tmp/ (versions before per-gateway temp
	// directories).
	Gateway string
	// Path is relative to the store's directory (tmp/<gateway>/<name>).
	Path    string
	Size    int64
	ModTime time.Time
}

// TempFiles calls fn with every file in tmp/ and in its gateway
// directories (not deeper, and not directories whose names are no gateway
// ID), stopping at fn's first error. It changes nothing. Files created or
// removed meanwhile may or may not be seen; a missing tmp/ has no files.
func (s *Store) TempFiles(fn func(TempFile) error) error {
	names, err := s.fs.List(s.tmp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: temp files: %w", err)
	}
	for _, name := range names {
		fi, err := s.fs.Stat(filepath.Join(s.tmp, name))
		if errors.Is(err, fs.ErrNotExist) { // removed meanwhile
			continue
		}
		if err != nil {
			return fmt.Errorf("blob: temp files: %w", err)
		}
		if !fi.IsDir() {
			if err := fn(tempFile("", filepath.Join("tmp", name), fi)); err != nil {
				return err
			}
			continue
		}
		if !ValidGatewayID(name) {
			continue
		}
		if err := s.gatewayTempFiles(name, fn); err != nil {
			return err
		}
	}
	return nil
}

// gatewayTempFiles calls fn with the files in tmp/<gateway>/.
func (s *Store) gatewayTempFiles(gateway string, fn func(TempFile) error) error {
	dir := filepath.Join(s.tmp, gateway)
	files, err := s.fs.List(dir)
	if errors.Is(err, fs.ErrNotExist) { // swept meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: temp files: %w", err)
	}
	for _, f := range files {
		fi, err := s.fs.Stat(filepath.Join(dir, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("blob: temp files: %w", err)
		}
		if fi.IsDir() {
			continue
		}
		if err := fn(tempFile(gateway, filepath.Join("tmp", gateway, f), fi)); err != nil {
			return err
		}
	}
	return nil
}

func tempFile(gateway, path string, fi fs.FileInfo) TempFile {
	return TempFile{Gateway: gateway, Path: path, Size: fi.Size(), ModTime: fi.ModTime()}
}
