package deploy

import (
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	raw, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	var ins []instruction
	var cur strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		ins = append(ins, instruction{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")})
		cur.Reset()
	}
	return ins
}

// buildCommand returns the shell command of the RUN instruction that runs
// go build, without its --mount options.
func buildCommand(t *testing.T, ins []instruction) string {
	t.Helper()
	var cmds []string
	for _, in := range ins {
		if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
			continue
		}
		args := in.args
		for strings.HasPrefix(args, "--") {
			_, args, _ = strings.Cut(args, " ")
		}
		cmds = append(cmds, args)
	}
	if len(cmds) != 1 {
		t.Fatalf("%s: %d RUN instructions run go build, want 1", dockerfile, len(cmds))
	}
	return cmds[0]
}

func TestDockerfile(t *testing.T) {
	ins := readDockerfile(t)
	build := buildCommand(t, ins)
	const want = `CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/orderstream/orderstream/internal/buildinfo.Version=${VERSION} -X github.com/orderstream/orderstream/internal/buildinfo.Revision=${REVISION}" -o /out/orderstream ./cmd/orderstream`
	if build != want {
		t.Errorf("build command\n  %s\nwant\n  %s", build, want)
	}

	var froms []string
	var goVersion string
	final := map[string][]string{} // instructions of the last stage
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			froms = append(froms, in.args)
			clear(final)
		case "ARG":
			if v, ok := strings.CutPrefix(in.args, "GO_VERSION="); ok {
				goVersion = v
			}
		}
		final[in.cmd] = append(final[in.cmd], in.args)
	}
	if len(froms) != 2 || froms[0] != "golang:${GO_VERSION}-bookworm AS build" || froms[1] != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("stages %q, want golang:${GO_VERSION}-bookworm AS build, then gcr.io/distroless/static-debian12:nonroot", froms)
	}
	if mod := goDirective(t); !strings.HasPrefix(mod, goVersion+".") && mod != goVersion {
		t.Errorf("ARG GO_VERSION=%s, but go.mod says go %s", goVersion, mod)
	}
	for cmd, want := range map[string]string{
		"USER":       "65532:65532",
		"ENTRYPOINT": `["/orderstream"]`,
		"VOLUME":     `["/data"]`,
		"EXPOSE":     "8080 9100",
		"COPY":       "--from=build /out/orderstream /orderstream",
	} {
		if !slices.Contains(final[cmd], want) {
			t.Errorf("runtime stage: no %s %s (have %q)", cmd, want, final[cmd])
		}
	}
}

var goDirectiveRE = regexp.MustCompile(`(?m)^go (\d+\.\d+(?:\.\d+)?)\s*$`)

func goDirective(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := goDirectiveRE.FindSubmatch(raw)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// TestBinaryIsStatic runs the Dockerfile's build command and checks that
// its output runs on distroless/static: no ELF interpreter, no shared
// libraries.
func TestBinaryIsStatic(t *testing.T) {
	bin := buildBinary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %v program header: dynamically linked", bin, p.Type)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v", bin, libs)
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  string
	buildDir  string
)

// buildBinary builds ./cmd/orderstream once per test run with the
// Dockerfile's command. It skips in -short mode: a full build takes a while.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	cmd := buildCommand(t, readDockerfile(t))
	buildOnce.Do(func() {
		// go build reads the module, not this process: read it here too, so
		// that go test's cache is invalidated by a source edit.
		readSources(t, "..")
		dir, err := os.MkdirTemp("", "orderstream-deploy-")
		if err != nil {
			buildErr = err.Error()
			return
		}
		buildDir = dir
		binPath = filepath.Join(dir, "orderstream")
		sh := exec.Command("sh", "-c", strings.ReplaceAll(cmd, "/out/orderstream", binPath))
		sh.Dir = ".."
		sh.Env = append(os.Environ(), "VERSION="+testVersion, "REVISION="+testRevision)
		if out, err := sh.CombinedOutput(); err != nil {
			buildErr = err.Error() + "\n" + string(out)
		}
	})
	if buildErr != "" {
		t.Fatalf("%s: %s", cmd, buildErr)
	}
	return binPath
}

func readSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if name := d.Name(); strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
			_, err = os.ReadFile(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
