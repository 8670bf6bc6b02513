//go:build !linux

package pgtest

import "syscall"

// sysProcAttr runs a PostgreSQL program as cred (nil: as this process).
// Only Linux can tie the server's life to this process's.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	if cred == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: cred}
}
