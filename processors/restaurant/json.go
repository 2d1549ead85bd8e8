package restaurant

import (
	"time"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// AppendJSON appends the JSON encoding of s to b: the bytes jsoncodec's
// Marshal writes (the golden files and TestAppendJSONMatchesMarshal hold
// it to them), without reflection. The restaurant encodes its whole value
// twice per order. Strings and times outside the common shape (plain
// printable ASCII; UTC times of years 0–9999) are encoded by Marshal.
func (s *Stats) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		n := 640 + 48*(len(s.TopItems)+len(s.ItemQty)+len(s.PerMinute.Buckets)) + 16*(len(s.Applied)+len(s.StatusApplied))
		for _, id := range s.OpenOrders {
			n += 3 + len(id)
		}
		b = make([]byte, 0, n)
	}
	w := writer{b: b}
	w.raw(`{"restaurant_id":`)
	w.str(s.RestaurantID)
	w.int(`,"orders":`, s.Orders)
	w.int(`,"revenue_cents":`, s.RevenueCents)
	w.int(`,"items":`, s.Items)
	w.int(`,"avg_order_cents":`, s.AvgOrderCents)
	w.raw(`,"first_order_at":`)
	w.time(s.FirstOrderAt)
	w.raw(`,"last_order_at":`)
	w.time(s.LastOrderAt)
	w.raw(`,"top_items":`)
	if s.TopItems == nil {
		w.raw("null")
	} else {
		w.raw("[")
		for i, it := range s.TopItems {
			if i > 0 {
				w.raw(",")
			}
			w.raw(`{"sku":`)
			w.str(it.SKU)
			w.int(`,"qty":`, it.Qty)
			w.raw("}")
		}
		w.raw("]")
	}
	w.raw(`,"item_qty":`)
	w.qty(s.ItemQty)
	w.raw(`,"first":`)
	w.b = s.First.AppendJSON(w.b)
	w.raw(`,"applied":`)
	w.b = s.Applied.AppendJSON(w.b)
	if pm := &s.PerMinute; pm.Buckets != nil || pm.StreamTime != (time.Time{}) || pm.Late != 0 { // omitzero
		w.raw(`,"per_minute":{`)
		sep := ""
		if len(pm.Buckets) > 0 { // omitempty
			w.raw(`"buckets":[`)
			for i, bk := range pm.Buckets {
				if i > 0 {
					w.raw(",")
				}
				w.raw(`{"start":`)
				w.time(bk.Start)
				w.int(`,"count":`, bk.Count)
				w.raw("}")
			}
			w.raw("]")
			sep = ","
		}
		if !pm.StreamTime.IsZero() { // omitzero
			w.raw(sep + `"stream_time":`)
			w.time(pm.StreamTime)
			sep = ","
		}
		if pm.Late != 0 { // omitempty
			w.int(sep+`"late":`, pm.Late)
		}
		w.raw("}")
	}
	w.int(`,"accepted":`, s.Accepted)
	w.int(`,"rejected":`, s.Rejected)
	w.int(`,"cancelled":`, s.Cancelled)
	w.int(`,"ready":`, s.Ready)
	w.int(`,"delivered":`, s.Delivered)
	w.int(`,"open":`, s.Open)
	w.int(`,"prep_ms_total":`, s.PrepMsTotal)
	w.int(`,"delivery_ms_total":`, s.DeliveryMsTotal)
	w.int(`,"avg_prep_ms":`, s.AvgPrepMs)
	w.int(`,"avg_delivery_ms":`, s.AvgDeliveryMs)
	if len(s.OpenOrders) > 0 { // omitempty
		w.raw(`,"open_orders":[`)
		for i, id := range s.OpenOrders {
			if i > 0 {
				w.raw(",")
			}
			w.str(id)
		}
		w.raw("]")
	}
	if len(s.StatusApplied) > 0 { // omitempty
		w.raw(`,"status_applied":`)
		w.b = s.StatusApplied.AppendJSON(w.b)
	}
	w.raw("}")
	if w.err != nil {
		return nil, w.err
	}
	return w.b, nil
}

// writer appends JSON, keeping the first error.
type writer struct {
	b   []byte
	err error
}

func (w *writer) raw(s string) { w.b = append(w.b, s...) }

func (w *writer) int(key string, n int64) {
	w.b = append(w.b, key...)
	w.b = jsoncodec.AppendInt(w.b, n)
}

func (w *writer) str(s string) {
	if w.err == nil {
		w.b, w.err = jsoncodec.AppendString(w.b, s)
	}
}

func (w *writer) time(t time.Time) {
	if w.err == nil {
		w.b, w.err = jsoncodec.AppendTime(w.b, t)
	}
}

func (w *writer) qty(m map[string]int64) {
	if w.err == nil {
		w.b, w.err = jsoncodec.AppendIntMap(w.b, m)
	}
}
