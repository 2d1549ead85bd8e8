package user_test

import (
	"fmt"
	"testing"

	"github.com/orderstream/orderstream/processors/user"
)

func BenchmarkUserApply(b *testing.B) {
	// A regular who has ordered from eight restaurants.
	s := &user.Stats{UserID: "user-001337"}
	for i := range 8 {
		s.Apply(placed(pos(0, int64(i)), s.UserID, fmt.Sprintf("restaurant-%04d", i), 990, i))
	}
	p := placed(pos(0, 8), s.UserID, "restaurant-0003", 3450, 9)
	b.ReportAllocs()
	for b.Loop() {
		p.Seq.Offset++
		if !s.Apply(p) {
			b.Fatal("not applied")
		}
	}
}

func BenchmarkCodecEncodeStats(b *testing.B) {
	s := &user.Stats{UserID: "user-001337"}
	for i := range 8 {
		s.Apply(placed(pos(0, int64(i)), s.UserID, fmt.Sprintf("restaurant-%04d", i), 990, i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (user.StatsCodec{}).Encode(s); err != nil {
			b.Fatal(err)
		}
	}
}
