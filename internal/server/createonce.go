package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// createOnce makes path hold data unless some process made it first, and
// returns what path holds: data when this call created it, the winner's
// bytes otherwise (so bytes.Equal(winner, data) tells the caller it won).
// It is how the files a server generates on its first start (credentials,
// root key, store ID) are made when several gateways start at once on one
// shared data directory: every one of them ends up using the same file.
//
// data goes to a temp file in path's directory, fsynced and closed, and is
// then hard-linked to path. A link, unlike a rename, never replaces a
// file: it is one atomic metadata operation that fails with EEXIST if path
// exists, on local file systems and on NFS, CephFS, Lustre, GPFS and
// JuiceFS alike. So path appears whole or not at all, and a reader that
// opens it after the link (open-after-close, the consistency shared file
// systems give across machines) sees all of it. An NFS client that
// retransmits a LINK the server already applied gets EEXIST too and then
// reads its own bytes back: the right answer. Where the file system cannot
// hard-link at all, createOnce falls back to renaming the temp file into
// place if path is still absent, which keeps the file whole but lets two
// simultaneous first starts each believe they won.
func createOnce(path string, data []byte, perm fs.FileMode) (winner []byte, err error) {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), data, perm)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp) // after a link, path keeps the bytes

	err = os.Link(tmp, path)
	switch {
	case errors.Is(err, fs.ErrExist):
		return readWinner(path)
	case err != nil:
		if _, serr := os.Lstat(path); serr == nil {
			return readWinner(path)
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, fmt.Errorf("server: creating %s: %w", path, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return data, nil
}

// readWinner reads the file another process created first.
func readWinner(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server: reading %s: %w", path, err)
	}
	return b, nil
}

// writeTemp writes data to a new temp file in dir, with mode perm, fsynced
// and closed, and returns its name.
func writeTemp(dir, base string, data []byte, perm fs.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+"-*.tmp") // mode 0600 until chmod
	if err != nil {
		return "", fmt.Errorf("server: creating %s: %w", filepath.Join(dir, base), err)
	}
	name := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("server: creating %s: %w", filepath.Join(dir, base), err)
	}
	return name, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("server: sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("server: sync %s: %w", dir, err)
	}
	return nil
}
