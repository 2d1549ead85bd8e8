package ingest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// InstanceFile is where, under a data directory, an instance keeps its
// instance id.
const InstanceFile = "ingest/instance-id"

// InstanceID returns the id of the ingest instance whose local state lives
// in dataDir, creating it on first use: the same id across restarts on the
// same directory, and a different one for every directory, so that the
// transactions of an instance are told from another's in the broker's
// logs and transaction listings. Without a directory (in-memory state),
// every call returns a new id.
func InstanceID(dataDir string) (string, error) {
	if dataDir == "" {
		return newID()
	}
	path := filepath.Join(dataDir, InstanceFile)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if id := strings.TrimSpace(string(data)); id != "" {
			return id, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read ingest instance id: %w", err)
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("write ingest instance id: %w", err)
	}
	// Written aside and renamed, so that a crash leaves no empty file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write ingest instance id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write ingest instance id: %w", err)
	}
	return id, nil
}

func newID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new ingest instance id: %w", err)
	}
	return string(Group) + "-" + hex.EncodeToString(b), nil
}
