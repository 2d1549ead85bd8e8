package order

// Status is where an order is in its lifecycle. Its values travel on the
// "order-status" topic and label metrics, so they are part of the contract.
//
//	placed ──▶ accepted ──▶ ready ──▶ delivered
//	  │  │        │
//	  │  └▶ rejected
//	  └──────┴──▶ cancelled   (by the user, before ready)
type Status string

// The statuses of an order.
const (
	StatusPlaced    Status = "placed"
	StatusAccepted  Status = "accepted"
	StatusRejected  Status = "rejected"
	StatusReady     Status = "ready"
	StatusDelivered Status = "delivered"
	StatusCancelled Status = "cancelled"
)

// Statuses lists every Status in lifecycle order.
var Statuses = []Status{StatusPlaced, StatusAccepted, StatusRejected, StatusReady, StatusDelivered, StatusCancelled}

// next is the state machine: the statuses each status may move to. A
// status absent as a key is final.
var next = map[Status][]Status{
	StatusPlaced:   {StatusAccepted, StatusRejected, StatusCancelled},
	StatusAccepted: {StatusReady, StatusCancelled},
	StatusReady:    {StatusDelivered},
}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Final reports whether no status follows s: the order is finished.
func (s Status) Final() bool { return s.Valid() && len(next[s]) == 0 }

// Cancellable reports whether an order in status s may still be cancelled.
func (s Status) Cancellable() bool { return CanMove(s, StatusCancelled) }

// CanMove reports whether an order in status from may move to status to.
// Nothing moves to placed: an order starts there.
func CanMove(from, to Status) bool {
	for _, s := range next[from] {
		if s == to {
			return true
		}
	}
	return false
}
