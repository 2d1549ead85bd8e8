// Package buildinfo says which build of orderstream is running: the version
// set at link time, the VCS revision and the Go version the toolchain
// recorded in the binary.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Version is the release version, set at link time:
//
//	go build -ldflags "-X github.com/orderstream/orderstream/internal/buildinfo.Version=1.2.3" ./cmd/orderstream
//
// Without it, the module version go install recorded, or "dev".
var Version = ""

// Revision is the VCS revision, set at link time where the build has no
// VCS data (a Docker build without .git); otherwise the toolchain's.
var Revision = ""

// Info is one build's identity.
type Info struct {
	Version   string
	Revision  string // VCS revision, "+dirty" appended for a modified tree; "unknown" without VCS data
	GoVersion string
}

// Get reads the build's identity.
func Get() Info {
	info := Info{Version: Version, Revision: "unknown", GoVersion: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		info.GoVersion = bi.GoVersion
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = strings.TrimPrefix(bi.Main.Version, "v")
		}
		var rev string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" && Revision == "" {
			info.Revision = rev
			if dirty {
				info.Revision += "+dirty"
			}
		}
	}
	if Revision != "" {
		info.Revision = Revision
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}
