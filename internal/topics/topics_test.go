package topics

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
)

func nop(goka.Context, any) {}

func TestFromGraphs(t *testing.T) {
	restaurant := goka.DefineGroup("restaurant",
		goka.Input("placed-by-restaurant", new(codec.String), nop),
		goka.Output("global-deltas", new(codec.String)),
		goka.Loop(new(codec.String), nop),
		goka.Persist(new(codec.String)),
	)
	global := goka.DefineGroup("global",
		goka.Inputs(goka.Streams{"global-deltas", "corrections"}, new(codec.String), nop),
		goka.Join("registry-table", new(codec.String)),
		goka.Lookup("restaurant-table", new(codec.String)),
		goka.Persist(new(codec.String)),
	)
	// Reads a table topic as a stream: it is still a table.
	audit := goka.DefineGroup("audit",
		goka.Input("restaurant-table", new(codec.String), nop),
		goka.Output("placed-by-restaurant", new(codec.String)),
	)
	want := []Spec{
		{Name: "corrections"},
		{Name: "global-deltas"},
		{Name: "global-table", Table: true},
		{Name: "placed-by-restaurant"},
		{Name: "registry-table", Table: true},
		{Name: "restaurant-loop"},
		{Name: "restaurant-table", Table: true},
	}
	for _, tc := range []struct {
		name   string
		graphs []*goka.GroupGraph
		want   []Spec
	}{
		{"none", nil, []Spec{}},
		{"nil graph", []*goka.GroupGraph{nil}, []Spec{}},
		{"one", []*goka.GroupGraph{restaurant}, []Spec{
			{Name: "global-deltas"},
			{Name: "placed-by-restaurant"},
			{Name: "restaurant-loop"},
			{Name: "restaurant-table", Table: true},
		}},
		{"all", []*goka.GroupGraph{restaurant, global, audit}, want},
		{"order does not matter", []*goka.GroupGraph{audit, global, restaurant}, want},
		{"duplicates", []*goka.GroupGraph{restaurant, global, audit, restaurant}, want},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromGraphs(tc.graphs...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("FromGraphs() =\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	stream, table := Spec{Name: "s"}, Spec{Name: "t", Table: true}
	for _, tc := range []struct {
		name string
		spec Spec
		info Info
		want []error
	}{
		{"stream fits", stream, Info{Partitions: 3, Policy: "delete"}, nil},
		{"table fits", table, Info{Partitions: 3, Policy: "compact"}, nil},
		{"replication is not checked", table, Info{Partitions: 3, Replication: 5, Policy: "compact"}, nil},
		{"table not compacted", table, Info{Partitions: 3, Policy: "delete"}, []error{
			&MismatchError{Topic: "t", Setting: "cleanup.policy", Got: "delete", Want: "compact"},
		}},
		{"table also expiring", table, Info{Partitions: 3, Policy: "compact, delete"}, []error{
			&MismatchError{Topic: "t", Setting: "cleanup.policy", Got: "compact, delete", Want: "compact"},
		}},
		{"stream compacted", stream, Info{Partitions: 3, Policy: "delete,compact"}, []error{
			&MismatchError{Topic: "s", Setting: "cleanup.policy", Got: "delete,compact", Want: "delete"},
		}},
		{"partitions", stream, Info{Partitions: 5, Policy: "delete"}, []error{
			&MismatchError{Topic: "s", Setting: "partitions", Got: "5", Want: "3"},
		}},
		{"both", table, Info{Partitions: 1, Policy: "delete"}, []error{
			&MismatchError{Topic: "t", Setting: "partitions", Got: "1", Want: "3"},
			&MismatchError{Topic: "t", Setting: "cleanup.policy", Got: "delete", Want: "compact"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := check(tc.spec, tc.info, 3); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("check() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMismatchError(t *testing.T) {
	err := &MismatchError{Topic: "user-table", Setting: "cleanup.policy", Got: "delete", Want: "compact"}
	if got, want := err.Error(), "topic user-table: cleanup.policy is delete, want compact"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestPrint(t *testing.T) {
	for _, tc := range []struct {
		name  string
		infos []Info
		want  string
	}{
		{"empty", nil, "TOPIC  PARTITIONS  REPLICATION  POLICY  STATUS\n"},
		{"mixed", []Info{
			{Name: "orders", Partitions: 3, Replication: 1, Policy: "delete", Created: true},
			{Name: "restaurant-table", Partitions: 12, Replication: 3, Policy: "compact"},
		}, "" +
			"TOPIC             PARTITIONS  REPLICATION  POLICY   STATUS\n" +
			"orders            3           1            delete   created\n" +
			"restaurant-table  12          3            compact  exists\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := Print(&b, tc.infos); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("Print() wrote\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}
