package blob

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestReserve: below the reserve Create refuses and a Writer stops within
// reserveCheckBytes of the free space dropping below it, leaving no temp
// file; a file system that cannot tell its free space, or no reserve,
// refuses nothing.
func TestReserve(t *testing.T) {
	const reserve = 4 << 20
	free := func(n uint64) vfs.DiskUsage { return vfs.DiskUsage{AvailBytes: n, TotalBytes: 1 << 30} }
	tests := []struct {
		name      string
		reserve   int64
		atCreate  vfs.DiskUsage // what the file system reports at Create
		midWrite  vfs.DiskUsage // and after the first MiB is written
		createErr bool
		writeErr  bool
	}{
		{name: "room", reserve: reserve, atCreate: free(1 << 30), midWrite: free(1 << 30)},
		{name: "below the reserve at create", reserve: reserve, atCreate: free(reserve - 1), createErr: true},
		{name: "below the reserve mid-write", reserve: reserve, atCreate: free(reserve + 1<<20), midWrite: free(reserve - 1), writeErr: true},
		{name: "free space unknown", reserve: reserve},
		{name: "no reserve", atCreate: free(0), midWrite: free(0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := vfs.NewMem()
			s, err := OpenFS(mem, "/d", "gw")
			if err != nil {
				t.Fatal(err)
			}
			s.SetReserve(tc.reserve)
			mem.TestingSetDiskUsage(tc.atCreate)
			w, err := s.Create()
			if tc.createErr {
				if !errors.Is(err, ErrNoSpace) || !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Create: %v, want ErrNoSpace (ENOSPC)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			chunk := bytes.Repeat([]byte("x"), 256<<10)
			for i := 0; i < 4; i++ { // the first MiB
				if _, err := w.Write(chunk); err != nil {
					t.Fatalf("write %d: %v", i, err)
				}
			}
			mem.TestingSetDiskUsage(tc.midWrite)
			var werr error
			for i := 0; i < 8 && werr == nil; i++ {
				_, werr = w.Write(chunk)
			}
			if tc.writeErr != (werr != nil) || werr != nil && !errors.Is(werr, ErrNoSpace) {
				t.Fatalf("writing on: %v, want ErrNoSpace %v", werr, tc.writeErr)
			}
			if werr != nil {
				w.Abort()
				if names, _ := mem.List("/d/tmp/gw"); len(names) != 0 {
					t.Fatalf("temp files left: %v", names)
				}
				return
			}
			if _, err := w.Commit(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
