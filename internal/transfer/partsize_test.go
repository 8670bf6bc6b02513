package transfer

import (
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/smithy-go"
)

func TestPartSize(t *testing.T) {
	const MiB, GiB, TiB = int64(1 << 20), int64(1 << 30), int64(1 << 40)
	tests := []struct {
		name      string
		size, ovr int64
		wantSize  int64
		wantParts int
		wantErr   bool
	}{
		{"empty file is one empty part", 0, 0, DefaultPartSize, 1, false},
		{"one byte", 1, 0, DefaultPartSize, 1, false},
		{"exactly one default part", DefaultPartSize, 0, DefaultPartSize, 1, false},
		{"200 MiB in default parts", 200 * MiB, 0, DefaultPartSize, 25, false},
		{"largest size in default parts", 10000 * DefaultPartSize, 0, DefaultPartSize, 10000, false},
		{"one byte over grows to the next MiB", 10000*DefaultPartSize + 1, 0, 9 * MiB, 8889, false},
		{"1 TiB", TiB, 0, 105 * MiB, 9987, false},
		{"5 TiB, S3's largest object", 5 * TiB, 0, 525 * MiB, 9987, false},
		{"override 5 MiB", 200 * MiB, 5 * MiB, 5 * MiB, 40, false},
		{"override with a partial last part", 201*MiB + 7, 5 * MiB, 5 * MiB, 41, false},
		{"override below S3's 5 MiB minimum", 200 * MiB, 5*MiB - 1, 0, 0, true},
		{"override above S3's 5 GiB maximum", 200 * MiB, 5*GiB + 1, 0, 0, true},
		{"override that needs more than 10,000 parts", 10000*5*MiB + 1, 5 * MiB, 0, 0, true},
		{"object over 5 TiB", 5*TiB + 1, 0, 0, 0, true},
		{"negative size", -1, 0, 0, 0, true},
	}
	for _, tt := range tests {
		ps, n, err := PartSize(tt.size, tt.ovr)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if ps != tt.wantSize || n != tt.wantParts {
			t.Errorf("%s: PartSize(%d, %d) = %d, %d; want %d, %d", tt.name, tt.size, tt.ovr, ps, n, tt.wantSize, tt.wantParts)
		}
		if err == nil && (n > MaxParts || (n > 1 && ps < MinPartSize)) {
			t.Errorf("%s: %d parts of %d break S3's limits", tt.name, n, ps)
		}
	}
}

func TestPartRange(t *testing.T) {
	tests := []struct {
		i                int
		partSize, size   int64
		wantOff, wantLen int64
	}{
		{1, 10, 25, 0, 10},
		{2, 10, 25, 10, 10},
		{3, 10, 25, 20, 5},
		{1, 10, 0, 0, 0},
		{2, 10, 20, 10, 10},
	}
	for _, tt := range tests {
		off, n := partRange(tt.i, tt.partSize, tt.size)
		if off != tt.wantOff || n != tt.wantLen {
			t.Errorf("partRange(%d, %d, %d) = %d, %d; want %d, %d", tt.i, tt.partSize, tt.size, off, n, tt.wantOff, tt.wantLen)
		}
	}
}

// What each failure means to a script. A full disk is shown with the error
// the kernel gives (an end-to-end test cannot fill a disk it shares).
func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"disk full on write", fmt.Errorf("transfer: write x: %w", &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), ExitNoSpace},
		{"quota", &fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, ExitNoSpace},
		{"local permission", &fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, ExitAccessDenied},
		{"no local file", &fs.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}, ExitNotFound},
		{"source changed", fmt.Errorf("x: %w", ErrSourceChanged), ExitSourceChanged},
		{"verification", fmt.Errorf("x: %w", ErrVerify), ExitFailed},
		{"S3 AccessDenied", &smithy.GenericAPIError{Code: "AccessDenied"}, ExitAccessDenied},
		{"S3 NoSuchBucket", &smithy.GenericAPIError{Code: "NoSuchBucket"}, ExitNotFound},
		{"S3 InternalError", &smithy.GenericAPIError{Code: "InternalError"}, ExitFailed},
		{"DeleteObjects key refused", &deleteError{code: "AccessDenied"}, ExitAccessDenied},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode = %d, want %d", tt.name, got, tt.want)
		}
	}
	if msg := Explain(&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}); !strings.Contains(msg, "disk is full") {
		t.Errorf("Explain(ENOSPC) = %q, want it to say the disk is full", msg)
	}
}
