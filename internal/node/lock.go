package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir takes an exclusive advisory lock on DATA_DIR/LOCK so that two
// processes never share a WAL. The lock dies with the process (also on
// SIGKILL), so a crash never leaves a stale lock behind.
func lockDataDir(dir string) (*os.File, error) { return lockDir(dir, "data dir") }

// lockDir takes the LOCK file of dir, a directory of the kind what names.
func lockDir(dir, what string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s %s is in use by another openwit process", what, dir)
		}
		return nil, fmt.Errorf("lock %s: %w", what, err)
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}
