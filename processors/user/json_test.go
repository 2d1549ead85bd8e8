package user_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/user"
)

// TestAppendJSONMatchesMarshal: the hand-written encoding is Marshal's,
// byte for byte, for random Stats with odd strings and times.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	odd := []string{"", "plain", "r-1", `quote " and \ backslash`, "<html> & co", "tab\t\n\x00", "naïve ☕", "bad \xff", "\u2028", "\x7f"}
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	zones := []*time.Location{time.UTC, time.UTC, time.FixedZone("x", 3600), time.Local}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(19, 20))
	str := func() string { return odd[r.IntN(len(odd))] }
	num := func() int64 { return r.Int64N(3) * r.Int64N(1<<40) * (1 - 2*r.Int64N(2)) }
	encoded := 0
	for i := range 1000 {
		s := &user.Stats{UserID: str(), Orders: num(), SpentCents: num(), FavouriteRestaurant: str(),
			LastOrderAt: times[r.IntN(len(times))].In(zones[r.IntN(len(zones))]), First: exactly.Pos{Partition: r.Int32N(5), Offset: num()}}
		if i%4 != 0 {
			s.Restaurants = map[string]int64{}
			s.Applied = exactly.Applied{}
			for range r.IntN(40) {
				s.Restaurants[string(rune('a'+r.IntN(26)))+string(rune('A'+r.IntN(26)))] = num()
				s.Applied[r.Int32N(12)] = num()
			}
			if r.IntN(4) == 0 {
				s.Restaurants[str()] = num()
			}
		}
		if testutil.SameAsMarshal(t, s) {
			encoded++
		}
	}
	if encoded < 300 {
		t.Errorf("only %d values encoded without an error", encoded)
	}
}

// TestEveryField: the hand-written codec of the table's statistics covers every field
// of its struct.
func TestEveryField(t *testing.T) {
	testutil.CheckEveryField[user.Stats](t)
}
