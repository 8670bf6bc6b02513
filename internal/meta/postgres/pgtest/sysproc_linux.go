package pgtest

import "syscall"

// sysProcAttr runs a PostgreSQL program as cred (nil: as this process) and
// has the kernel stop it if this process dies without Main's cleanup (a
// test binary killed by -timeout): an orphaned server would run forever.
// Go sets the parent-death signal after the credentials, whose change
// would otherwise clear it.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
}
