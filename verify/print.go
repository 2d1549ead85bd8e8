package verify

import (
	"fmt"
	"io"
)

// Print writes r for a person: the counts, the ambiguous order ids, then
// up to max differences per topic and how many more there are.
func (r *Report) Print(w io.Writer, max int) error {
	pw := &printer{w: w}
	o := r.Orders
	pw.printf("orders: %d records, %d valid (%d distinct order ids, %d duplicates), %d invalid\n",
		o.Records, o.Valid, o.Distinct, o.Duplicates, o.Invalid)
	pw.printf("dead letters: %d; restaurants: %d; users: %d\n", r.DeadLetters, r.Restaurants, r.Users)
	pw.printf("status changes: %d; orders retired from the audit: %d; inboxes: %d\n", r.Changes, r.Retired, r.Inboxes)
	if n := len(r.Ambiguous); n > 0 {
		pw.printf("ambiguous: %d order ids written with different contents on different partitions; counted as the lifecycle saw them first:\n", n)
		for i, a := range r.Ambiguous {
			if i == max {
				pw.printf("  ... and %d more\n", n-max)
				break
			}
			pw.printf("  %s: copies at %v, counted %v\n", a.OrderID, a.Copies, a.Counted)
		}
	}
	if n := len(r.Conflicts); n > 0 {
		pw.printf("conflicts: %d records reused an order id for another order; dropped, the first copy counted:\n", n)
		for i, c := range r.Conflicts {
			if i == max {
				pw.printf("  ... and %d more\n", n-max)
				break
			}
			pw.printf("  %s: copy at %v has %s (counted %v)\n", c.OrderID, c.Copy, c.Detail, c.Counted)
		}
	}
	if r.OK() {
		pw.printf("OK: every table equals the recomputation from orders and status-requests\n")
		return pw.err
	}
	pw.printf("DIFFERENCES: %d\n", len(r.Differences))
	shown := map[string]int{}
	hidden := map[string]int{}
	var order []string
	for _, d := range r.Differences {
		if shown[d.Topic]+hidden[d.Topic] == 0 {
			order = append(order, d.Topic)
		}
		if shown[d.Topic] == max {
			hidden[d.Topic]++
			continue
		}
		shown[d.Topic]++
		pw.printf("  %s[%s]: %s\n", d.Topic, d.Key, d.Detail)
	}
	for _, t := range order {
		if n := hidden[t]; n > 0 {
			pw.printf("  %s: ... and %d more\n", t, n)
		}
	}
	return pw.err
}

// printer keeps the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
