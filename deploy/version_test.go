package deploy

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The build arguments TestBinaryIsStatic's build is given, as docker build
// --build-arg would.
const (
	testVersion  = "0.0.0-deploytest"
	testRevision = "0123456789abcdef"
)

// TestImageVersion checks that the image's version reaches the binary
// (VERSION and REVISION build args through -ldflags -X) and its OCI labels.
func TestImageVersion(t *testing.T) {
	ins := readDockerfile(t)
	stage := 0
	var args [2][]string // ARG names per stage (0: build, 1: runtime)
	var labels string
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			stage++
		case "ARG":
			if stage >= 1 {
				args[stage-1] = append(args[stage-1], in.args)
			}
		case "LABEL":
			if stage == 2 {
				labels += in.args + " "
			}
		}
	}
	for i, a := range args {
		for _, want := range []string{"VERSION", "REVISION"} {
			if !slices.Contains(a, want) {
				t.Errorf("stage %d: no ARG %s (have %q)", i+1, want, a)
			}
		}
	}
	for _, want := range []string{
		`org.opencontainers.image.version="${VERSION}"`,
		`org.opencontainers.image.revision="${REVISION}"`,
		`org.opencontainers.image.title=`,
		`org.opencontainers.image.source=`,
	} {
		if !strings.Contains(labels, want) {
			t.Errorf("runtime stage LABEL has no %s (have %s)", want, labels)
		}
	}

	out, err := exec.Command(buildBinary(t), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("orderstream version: %v\n%s", err, out)
	}
	for _, want := range []string{"orderstream " + testVersion + "\n", "revision " + testRevision} {
		if !strings.Contains(string(out), want) {
			t.Errorf("orderstream version printed %q, want %q", out, want)
		}
	}
}
