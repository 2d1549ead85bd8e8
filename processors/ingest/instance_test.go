package ingest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderstream/orderstream/processors/ingest"
)

func TestInstanceID(t *testing.T) {
	dir := t.TempDir()
	first, err := ingest.InstanceID(dir)
	if err != nil || !strings.HasPrefix(first, "ingest-") {
		t.Fatalf("InstanceID() = %q, %v", first, err)
	}
	again, err := ingest.InstanceID(dir)
	if err != nil || again != first {
		t.Errorf("InstanceID() again = %q, %v; want %q: a restart must keep its id", again, err, first)
	}
	other, err := ingest.InstanceID(t.TempDir())
	if err != nil || other == first {
		t.Errorf("InstanceID(other dir) = %q, %v; want another id", other, err)
	}
	m1, _ := ingest.InstanceID("")
	m2, _ := ingest.InstanceID("")
	if m1 == m2 || m1 == "" {
		t.Errorf("in-memory ids %q, %q: want fresh ones", m1, m2)
	}
	// An empty file (written by hand, say) is replaced.
	path := filepath.Join(dir, ingest.InstanceFile)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if id, err := ingest.InstanceID(dir); err != nil || id == "" {
		t.Errorf("InstanceID() over an empty file = %q, %v", id, err)
	}
}
