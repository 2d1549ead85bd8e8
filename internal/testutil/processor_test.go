package testutil

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// counter is a one-table group: key → number of messages on "in". It emits
// the count so far to "out", and fails on the message "fail".
func counter() *goka.GroupGraph {
	return goka.DefineGroup("counter",
		goka.Input("in", new(codec.String), func(ctx goka.Context, msg any) {
			if msg == "fail" {
				ctx.Fail(errors.New("boom"))
			}
			n, _ := ctx.Value().(int64)
			ctx.SetValue(n + 1)
			ctx.Emit("out", ctx.Key(), &point{X: int(n + 1)})
		}),
		goka.Persist(new(codec.Int64)),
		goka.Output("out", jsoncodec.Codec[point]{}),
	)
}

func TestStartProcessor(t *testing.T) {
	tt := tester.New(t)
	// Spare capacity: StartProcessor must not append into it.
	opts := make([]goka.ProcessorOption, 0, 4)
	StartProcessor(t, tt, counter(), opts...)
	if opts[:1][0] != nil {
		t.Error("StartProcessor wrote into the caller's options")
	}
	tt.Consume("in", "k", "a")
	tt.Consume("in", "k", "b")
	if got := tt.TableValue("counter-table", "k"); got != int64(2) {
		t.Errorf("counter-table[k] = %v, want 2", got)
	}
	// The cleanup finds Run returned nil.
}

func TestStartProcessorInvalidGraph(t *testing.T) {
	tt := tester.New(t)
	f := runFake(t, func(tb testing.TB) { StartProcessor(tb, tt, goka.DefineGroup("bad")) })
	if !strings.HasPrefix(f.fatal, "new processor bad: ") {
		t.Errorf("fatal = %q, want %q", f.fatal, "new processor bad: ")
	}
	if len(f.cleanups) != 0 || len(f.errors) != 0 {
		t.Errorf("%d cleanups, errors %q, want none", len(f.cleanups), f.errors)
	}
}

// TestStartProcessorRunFails: the error Run returns is reported at cleanup.
func TestStartProcessorRunFails(t *testing.T) {
	tt := tester.New(t)
	f := runFake(t, func(tb testing.TB) {
		StartProcessor(tb, tt, counter())
		tt.Consume("in", "k", "fail") // stops the processor
	})
	if len(f.errors) != 1 || !strings.HasPrefix(f.errors[0], "run counter: ") || !strings.Contains(f.errors[0], "boom") {
		t.Errorf("errors = %q, want one %q with boom", f.errors, "run counter: ")
	}
}

// counted starts counter in a new tester, gives it msgs (keys), and returns
// the tester and a tracker of "out" from before the first message.
func counted(t *testing.T, keys ...string) (*tester.Tester, *tester.QueueTracker) {
	t.Helper()
	tt := tester.New(t)
	StartProcessor(t, tt, counter())
	out := tt.NewQueueTracker("out")
	for _, k := range keys {
		tt.Consume("in", k, "m")
	}
	return tt, out
}

func TestCheckTable(t *testing.T) {
	tests := []struct {
		name       string
		want       map[string]int64
		wantErrors []string
	}{
		{"same", map[string]int64{"k": 2, "j": 1}, nil},
		{"other value", map[string]int64{"k": 3, "j": 1}, []string{"counter-table[k] =\n2\nwant\n3"}},
		{"key left out", map[string]int64{"k": 2}, []string{"counter-table keys = "}},
		{"key not in table", map[string]int64{"k": 2, "j": 1, "x": 1},
			[]string{"counter-table keys = ", "counter-table[x] =\n<nil>\nwant\n1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tt, _ := counted(t, "k", "j", "k")
			f := runFake(t, func(tb testing.TB) { CheckTable(tb, tt, "counter-table", tc.want) })
			slices.Sort(f.errors)
			if !reflect.DeepEqual(prefixes(f.errors, tc.wantErrors), tc.wantErrors) || len(f.errors) != len(tc.wantErrors) {
				t.Errorf("errors = %q, want prefixes %q", f.errors, tc.wantErrors)
			}
		})
	}
}

func TestDrain(t *testing.T) {
	_, out := counted(t, "k", "k")
	if got, want := Drain[point](t, out, "k"), []point{{X: 1}, {X: 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Drain() = %+v, want %+v", got, want)
	}
	if got := Drain[point](t, out, "k"); got != nil {
		t.Errorf("Drain() of a drained queue = %+v, want nil", got)
	}
}

func TestDrainOtherKey(t *testing.T) {
	_, out := counted(t, "k", "j")
	var got []point
	f := runFake(t, func(tb testing.TB) { got = Drain[point](tb, out, "k") })
	if want := []string{`message key = "j", want "k"`}; !reflect.DeepEqual(f.errors, want) || f.fatal != "" {
		t.Errorf("errors = %q, fatal %q; want %q", f.errors, f.fatal, want)
	}
	if want := []point{{X: 1}, {X: 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Drain() = %+v, want %+v", got, want)
	}
}

func TestDrainOtherType(t *testing.T) {
	_, out := counted(t, "k")
	f := runFake(t, func(tb testing.TB) { Drain[int](tb, out, "k") })
	if want := `message "k": value *testutil.point(&{X:1 Hidden:0}), want a non-nil *int`; f.fatal != want {
		t.Errorf("fatal = %q, want %q", f.fatal, want)
	}
}
