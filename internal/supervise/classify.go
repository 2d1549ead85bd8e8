package supervise

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/IBM/sarama"
	leveldberrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Reasons a component stopped, the reason label of
// orderstream_component_restarts_total and the "reason" of /readyz.
const (
	// Faults that pass: the component is rebuilt and run again.
	ReasonTimeout     = "timeout"            // i/o timeout, deadline exceeded
	ReasonConnection  = "connection"         // refused, reset, EOF, out of brokers
	ReasonUnavailable = "broker_unavailable" // broker or coordinator not available
	ReasonNotLeader   = "not_leader"         // leadership moved
	ReasonRebalance   = "rebalance"          // rebalance or group membership failed
	ReasonStopped     = "stopped"            // returned without an error, unasked
	ReasonOther       = "error"              // anything not listed: assumed to pass
	// Faults that cannot pass: the command stops.
	ReasonAuth   = "auth"   // bad credentials, SASL or TLS handshake, ACLs
	ReasonTopic  = "topic"  // a topic missing or misconfigured
	ReasonStore  = "store"  // a corrupt local store
	ReasonConfig = "config" // a configuration error
)

// rule is one row of the classification table.
type rule struct {
	reason    string
	permanent bool
	is        []error  // matched with errors.Is
	text      []string // matched, lower case, in the error's message
}

// rules is how Classify tells faults that pass from those that do not,
// first match wins. Permanent faults come first: a message naming both
// (an authentication failure reported as a broken connection) stops the
// command rather than retrying a login that cannot succeed.
//
// The messages are matched as well as the error values because goka and
// sarama wrap many errors with %v, which drops the chain.
//
//	reason              passes  examples
//	auth                no      SASL authentication failed, TLS/x509 failure, not authorized
//	topic               no      topic missing, wrong cleanup policy, partition count mismatch
//	store               no      corrupt LevelDB
//	config              no      sarama ConfigurationError, invalid configuration
//	timeout             yes     i/o timeout, context deadline exceeded
//	not_leader          yes     not the leader for the partition
//	rebalance           yes     rebalance in progress or failed, unknown member, illegal generation
//	broker_unavailable  yes     broker/leader/coordinator not available
//	connection          yes     connection refused/reset, EOF, broken pipe, out of brokers
//	error               yes     anything else (assumed to pass; restarts are visible)
var rules = []rule{
	{reason: ReasonAuth, permanent: true,
		is: []error{sarama.ErrSASLAuthenticationFailed, sarama.ErrTopicAuthorizationFailed,
			sarama.ErrGroupAuthorizationFailed, sarama.ErrClusterAuthorizationFailed,
			sarama.ErrTransactionalIDAuthorizationFailed, sarama.ErrIllegalSASLState,
			sarama.ErrUnsupportedSASLMechanism,
			kerr.SaslAuthenticationFailed, kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed,
			kerr.ClusterAuthorizationFailed, kerr.TransactionalIDAuthorizationFailed},
		text: []string{"sasl authentication failed", "sasl_authentication_failed", "authorization failed",
			"authorization_failed", "x509:", "tls: ", "unsupported sasl mechanism"}},
	{reason: ReasonTopic, permanent: true,
		is:   []error{ErrTopic},
		text: []string{"cleanup.policy", "cleanup policy", "partition count mismatch", "configured with nocreate"}},
	{reason: ReasonStore, permanent: true,
		text: []string{"leveldb: corrupt", "leveldb/table: corruption"}},
	{reason: ReasonConfig, permanent: true,
		is:   []error{ErrConfig},
		text: []string{"invalid configuration", "configurationerror"}},
	{reason: ReasonTimeout,
		is:   []error{context.DeadlineExceeded, os.ErrDeadlineExceeded, kerr.RequestTimedOut},
		text: []string{"i/o timeout", "timed out", "timeout", "deadline exceeded"}},
	{reason: ReasonNotLeader,
		is:   []error{sarama.ErrNotLeaderForPartition, kerr.NotLeaderForPartition, kerr.NotController},
		text: []string{"not the leader", "not_leader", "notleader"}},
	{reason: ReasonRebalance,
		is: []error{sarama.ErrRebalanceInProgress, sarama.ErrUnknownMemberId, sarama.ErrIllegalGeneration,
			kerr.RebalanceInProgress, kerr.UnknownMemberID, kerr.IllegalGeneration},
		text: []string{"rebalanc", "unknown member", "illegal generation"}},
	{reason: ReasonUnavailable,
		is: []error{sarama.ErrBrokerNotAvailable, sarama.ErrLeaderNotAvailable, sarama.ErrConsumerCoordinatorNotAvailable,
			sarama.ErrNotCoordinatorForConsumer,
			kerr.BrokerNotAvailable, kerr.LeaderNotAvailable, kerr.CoordinatorNotAvailable, kerr.NotCoordinator,
			kerr.CoordinatorLoadInProgress, kerr.UnknownTopicOrPartition, sarama.ErrUnknownTopicOrPartition},
		text: []string{"not available", "not_available", "coordinator", "unknown_topic_or_partition",
			"does not host this topic-partition"}},
	{reason: ReasonConnection,
		is: []error{io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, syscall.ECONNREFUSED, syscall.ECONNRESET,
			syscall.EPIPE, sarama.ErrOutOfBrokers, sarama.ErrNotConnected, sarama.ErrClosedClient},
		text: []string{"connection refused", "connection reset", "broken pipe", "eof", "out of available brokers",
			"not connected", "closed client", "use of closed network connection", "dial tcp"}},
}

// ErrTopic marks an error about a topic that is missing or misconfigured:
// wrap it (fmt.Errorf("...: %w", ErrTopic)) to stop the command.
var ErrTopic = errors.New("topic missing or misconfigured")

// ErrConfig marks a configuration error: wrap it to stop the command.
var ErrConfig = errors.New("configuration error")

// permanentError is an error a component marked as one that cannot pass.
type permanentError struct {
	reason string
	err    error
}

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as a fault that cannot pass, under reason (one of
// the Reason constants, or a word of the caller's): the supervisor stops
// the command with it instead of restarting the component.
func Permanent(reason string, err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{reason: reason, err: err}
}

// Classify tells whether err, returned by a component, is a fault that
// cannot pass (permanent), and names its reason. A nil error (the
// component returned although nobody asked it to) passes, as
// ReasonStopped. See rules for the table.
func Classify(err error) (reason string, permanent bool) {
	if err == nil {
		return ReasonStopped, false
	}
	if pe := (*permanentError)(nil); errors.As(err, &pe) {
		return pe.reason, true
	}
	var cfgErr sarama.ConfigurationError
	if errors.As(err, &cfgErr) {
		return ReasonConfig, true
	}
	var corrupt *leveldberrors.ErrCorrupted
	if errors.As(err, &corrupt) || leveldberrors.IsCorrupted(err) {
		return ReasonStore, true
	}
	msg := strings.ToLower(err.Error())
	for _, r := range rules {
		for _, target := range r.is {
			if errors.Is(err, target) {
				return r.reason, r.permanent
			}
		}
		for _, t := range r.text {
			if strings.Contains(msg, t) {
				return r.reason, r.permanent
			}
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ReasonTimeout, false
	}
	return ReasonOther, false
}
