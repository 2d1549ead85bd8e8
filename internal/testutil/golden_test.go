package testutil

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// inPackageDir makes a new directory with an empty testdata/ the working
// directory, as go test does with the directory of the package under test,
// and returns the path of testdata/.
func inPackageDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testdata := filepath.Join(dir, "testdata")
	if err := os.Mkdir(testdata, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return testdata
}

// setUpdate sets -update for the rest of the test.
func setUpdate(t *testing.T, v bool) {
	t.Helper()
	old := *update
	*update = v
	t.Cleanup(func() { *update = old })
}

// TestUpdateFlag: a test binary that imports testutil has -update, and it
// is the flag Golden reads.
func TestUpdateFlag(t *testing.T) {
	f := flag.Lookup("update")
	if f == nil {
		t.Fatal("no -update flag")
	}
	if f.DefValue != "false" || f.Usage != "rewrite golden files" {
		t.Errorf("-update: default %q, usage %q", f.DefValue, f.Usage)
	}
	setUpdate(t, false)
	if err := f.Value.Set("true"); err != nil {
		t.Fatal(err)
	}
	if !*update {
		t.Error("-update=true did not set update")
	}
}

const indented = "{\n  \"a\": 1\n}\n"

func TestGolden(t *testing.T) {
	tests := []struct {
		name      string
		file      *string // nil: no golden file
		data      string
		update    bool
		want      string // returned
		wantFile  string // on disk after
		wantError string // prefix of the one error
		wantFatal string // substring
	}{
		{name: "same", file: ptr(indented), data: `{"a":1}`, want: indented, wantFile: indented},
		{name: "same after indenting", file: ptr(indented), data: "{ \"a\" :\n1 }", want: indented, wantFile: indented},
		{name: "changed", file: ptr(indented), data: `{"a":2}`, want: indented, wantFile: indented,
			wantError: "wire format of x changed (go test -run Golden -update rewrites testdata/x.golden.json if intended)\n got: {\n  \"a\": 2\n}\n"},
		{name: "no trailing newline", file: ptr(strings.TrimSuffix(indented, "\n")), data: `{"a":1}`,
			want: strings.TrimSuffix(indented, "\n"), wantFile: strings.TrimSuffix(indented, "\n"), wantError: "wire format of x changed"},
		{name: "missing", data: `{"a":1}`, wantFatal: "(run go test -run Golden -update to create it)"},
		{name: "not JSON", file: ptr(indented), data: `{"a":`, wantFile: indented, wantFatal: `indent {"a":: `},
		{name: "update rewrites", file: ptr(indented), data: `{"a":2}`, update: true,
			want: "{\n  \"a\": 2\n}\n", wantFile: "{\n  \"a\": 2\n}\n"},
		{name: "update creates", data: `[1,2]`, update: true, want: "[\n  1,\n  2\n]\n", wantFile: "[\n  1,\n  2\n]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testdata := inPackageDir(t)
			path := filepath.Join(testdata, "x.golden.json")
			if tc.file != nil {
				if err := os.WriteFile(path, []byte(*tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			setUpdate(t, tc.update)
			var got []byte
			f := runFake(t, func(tb testing.TB) { got = Golden(tb, "x", []byte(tc.data)) })

			if !strings.Contains(f.fatal, tc.wantFatal) || (f.fatal == "") != (tc.wantFatal == "") {
				t.Errorf("fatal = %q, want %q", f.fatal, tc.wantFatal)
			}
			checkErrors(t, f.errors, tc.wantError)
			if tc.wantFatal == "" && string(got) != tc.want {
				t.Errorf("Golden() = %q, want %q", got, tc.want)
			}
			file, err := os.ReadFile(path)
			if tc.wantFile == "" {
				if !errors.Is(err, os.ErrNotExist) {
					t.Errorf("golden file: %q, %v; want none", file, err)
				}
			} else if err != nil || string(file) != tc.wantFile {
				t.Errorf("golden file = %q, %v; want %q", file, err, tc.wantFile)
			}
		})
	}
}

// checkErrors requires no errors if prefix is empty, else one error that
// starts with it.
func checkErrors(t *testing.T, errs []string, prefix string) {
	t.Helper()
	if prefix == "" {
		if len(errs) != 0 {
			t.Errorf("errors = %q, want none", errs)
		}
		return
	}
	if len(errs) != 1 || !strings.HasPrefix(errs[0], prefix) {
		t.Errorf("errors = %q, want one starting %q", errs, prefix)
	}
}

func ptr[T any](v T) *T { return &v }

// point has a field its JSON leaves out, so a golden file can match while
// what it decodes to does not.
type point struct {
	X      int `json:"x"`
	Hidden int `json:"-"`
}

// failingDecode encodes as jsoncodec does and cannot decode.
type failingDecode struct{ jsoncodec.Codec[point] }

func (failingDecode) Decode([]byte) (any, error) { return nil, errors.New("no decoding") }

func TestGoldenCodec(t *testing.T) {
	const file = "{\n  \"x\": 1\n}\n"
	tests := []struct {
		name       string
		codec      goka.Codec
		value      any
		wantErrors []string // prefixes, in order
		wantFatal  string   // prefix
	}{
		{name: "round trip", codec: jsoncodec.Codec[point]{}, value: &point{X: 1}},
		{name: "wire format changed", codec: jsoncodec.Codec[point]{}, value: &point{X: 2},
			// The file is still decoded and compared.
			wantErrors: []string{"wire format of p changed", "decode golden = &{X:1 Hidden:0}, want &{X:2 Hidden:0}"}},
		{name: "decodes to something else", codec: jsoncodec.Codec[point]{}, value: &point{X: 1, Hidden: 5},
			wantErrors: []string{"decode golden = &{X:1 Hidden:0}, want &{X:1 Hidden:5}"}},
		{name: "decodes to a value, not the pointer", codec: jsoncodec.Codec[point]{}, value: point{X: 1},
			wantErrors: []string{"decode golden = &{X:1 Hidden:0}, want {X:1 Hidden:0}"}},
		{name: "cannot encode", codec: jsoncodec.Codec[point]{}, value: "x",
			wantFatal: "encode p: encode: got string, want testutil.point"},
		{name: "cannot decode", codec: failingDecode{}, value: &point{X: 1}, wantFatal: "decode golden: no decoding"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testdata := inPackageDir(t)
			if err := os.WriteFile(filepath.Join(testdata, "p.golden.json"), []byte(file), 0o644); err != nil {
				t.Fatal(err)
			}
			setUpdate(t, false)
			f := runFake(t, func(tb testing.TB) { GoldenCodec(tb, "p", tc.codec, tc.value) })
			if !strings.HasPrefix(f.fatal, tc.wantFatal) || (f.fatal == "") != (tc.wantFatal == "") {
				t.Errorf("fatal = %q, want %q", f.fatal, tc.wantFatal)
			}
			if len(f.errors) != len(tc.wantErrors) || !reflect.DeepEqual(prefixes(f.errors, tc.wantErrors), tc.wantErrors) {
				t.Errorf("errors = %q, want prefixes %q", f.errors, tc.wantErrors)
			}
		})
	}
}

// prefixes cuts each of errs to the length of the matching want.
func prefixes(errs, want []string) []string {
	out := slices.Clone(errs)
	for i := range min(len(out), len(want)) {
		out[i] = out[i][:min(len(out[i]), len(want[i]))]
	}
	return out
}
