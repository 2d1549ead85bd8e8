package buildinfo

import (
	"runtime"
	"testing"
)

func TestGet(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })

	Version = "1.2.3"
	info := Get()
	if info.Version != "1.2.3" {
		t.Errorf("Version = %q, want the linked 1.2.3", info.Version)
	}
	if info.GoVersion != runtime.Version() {
		t.Errorf("GoVersion = %q, want %q", info.GoVersion, runtime.Version())
	}
	if info.Revision == "" {
		t.Error("Revision empty, want a revision or \"unknown\"")
	}

	Version = ""
	if v := Get().Version; v != "dev" {
		t.Errorf("unlinked test binary: Version = %q, want dev", v)
	}
}
