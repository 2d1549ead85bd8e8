package topics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// Tuning values.
const (
	// ConnectTimeout bounds how long Ensure waits for an unreachable
	// broker: long enough for a broker started at the same time as the
	// provisioning, short enough to report a wrong address.
	ConnectTimeout = 30 * time.Second
	// ConnectBackoff is the pause between connection attempts.
	ConnectBackoff = 500 * time.Millisecond
)

// Ensure creates every topic of specs that does not exist yet, with
// cfg.Partitions partitions, cfg.Replication replicas and the spec's
// cleanup policy (streams also with retention kafkaconf.StreamRetention,
// purged ones with short segments),
// and leaves existing topics alone. It returns what the broker has for
// every spec, in spec order.
//
// An existing topic that does not fit is reported as a *MismatchError,
// joined with any others, alongside the complete infos:
//   - a table topic that is not compacted: goka accepts it, and a
//     processor recovering its table from it reads every update ever
//     made or, once retention has run, silently loses keys;
//   - a stream topic that is compacted: it drops events;
//   - a partition count other than cfg.Partitions: goka requires the
//     input streams of a group and its table to be co-partitioned, and
//     the streams between groups are keyed for the partition counts the
//     system was started with.
//
// A topic another process creates concurrently is fine. Ensure waits up
// to ConnectTimeout for the brokers to become reachable, unless ctx ends
// first.
func Ensure(ctx context.Context, cfg kafkaconf.Config, specs []Spec) ([]Info, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ensure topics: %w", err)
	}
	if err := validate(specs); err != nil {
		return nil, fmt.Errorf("ensure topics: %w", err)
	}
	admin, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	infos, err := ensure(ctx, admin, cfg, specs)
	if cerr := admin.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close admin: %w", cerr))
	}
	if err != nil {
		return infos, err
	}
	var created []string
	for _, info := range infos {
		if info.Created {
			created = append(created, info.Name)
		}
	}
	return infos, waitLed(ctx, cfg, created)
}

// waitLed waits until every broker lists every topic of names with a
// leader for each of its partitions. Apache Kafka creates a topic
// asynchronously: CreateTopics answers once the controller has recorded
// it, and each broker learns of it a moment later; a goka view or
// processor that asks a broker sooner is told the topic does not exist
// and stops.
func waitLed(ctx context.Context, cfg kafkaconf.Config, names []string) error {
	if len(names) == 0 {
		return nil
	}
	client, err := sarama.NewClient(cfg.Brokers, cfg.Sarama())
	if err != nil {
		return fmt.Errorf("wait for the new topics: %w", err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	for {
		pending := ""
		for _, b := range client.Brokers() {
			if pending = unled(b, client.Config(), names); pending != "" {
				break
			}
		}
		if pending == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the new topics: %s: %w", pending, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// unled asks broker b for the metadata of names and describes the first
// topic it does not list with a leader for every partition ("" if none).
func unled(b *sarama.Broker, conf *sarama.Config, names []string) string {
	if err := b.Open(conf); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
		return fmt.Sprintf("broker %s: %v", b.Addr(), err)
	}
	resp, err := b.GetMetadata(sarama.NewMetadataRequest(conf.Version, names))
	if err != nil {
		return fmt.Sprintf("broker %s: %v", b.Addr(), err)
	}
	for _, tm := range resp.Topics {
		if !errors.Is(tm.Err, sarama.ErrNoError) || len(tm.Partitions) == 0 {
			return fmt.Sprintf("broker %s: topic %s: %v", b.Addr(), tm.Name, tm.Err)
		}
		for _, p := range tm.Partitions {
			if !errors.Is(p.Err, sarama.ErrNoError) || p.Leader < 0 {
				return fmt.Sprintf("broker %s: topic %s partition %d: leader %d, %v", b.Addr(), tm.Name, p.ID, p.Leader, p.Err)
			}
		}
	}
	return ""
}

func ensure(ctx context.Context, admin sarama.ClusterAdmin, cfg kafkaconf.Config, specs []Spec) ([]Info, error) {
	existing, err := admin.ListTopics()
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	created := map[string]bool{}
	raced := false
	for _, s := range specs {
		if _, ok := existing[s.Name]; ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("create topic %s: %w", s.Name, err)
		}
		switch err := admin.CreateTopic(s.Name, detail(cfg, s), false); {
		case err == nil:
			created[s.Name] = true
		case errors.Is(err, sarama.ErrTopicAlreadyExists):
			raced = true // created by someone else since we listed
		default:
			return nil, fmt.Errorf("create topic %s: %w", s.Name, err)
		}
	}
	if raced {
		// Check what the other creator made.
		if existing, err = admin.ListTopics(); err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
	}

	infos := make([]Info, 0, len(specs))
	var mismatches []error
	for _, s := range specs {
		if created[s.Name] {
			// What was asked for: the broker rejects rather than alters a
			// request it cannot meet.
			infos = append(infos, Info{Name: s.Name, Partitions: cfg.Partitions, Replication: cfg.Replication, Policy: s.Policy(), Created: true})
			continue
		}
		d, ok := existing[s.Name]
		if !ok {
			// Created concurrently but not yet in this broker's metadata.
			return nil, fmt.Errorf("topic %s: created by another client but not listed yet, retry", s.Name)
		}
		info := Info{Name: s.Name, Partitions: int(d.NumPartitions), Replication: int(d.ReplicationFactor), Policy: policy(d)}
		infos = append(infos, info)
		mismatches = append(mismatches, check(s, info, cfg.Partitions)...)
	}
	return infos, errors.Join(mismatches...)
}

// check returns a *MismatchError for each way an existing topic does not fit s.
func check(s Spec, info Info, partitions int) []error {
	var errs []error
	if info.Partitions != partitions {
		errs = append(errs, &MismatchError{Topic: s.Name, Setting: "partitions", Got: strconv.Itoa(info.Partitions), Want: strconv.Itoa(partitions)})
	}
	policies := strings.Split(info.Policy, ",")
	for i := range policies {
		policies[i] = strings.TrimSpace(policies[i])
	}
	compacted := slices.Contains(policies, PolicyCompact)
	expires := slices.Contains(policies, PolicyDelete)
	if s.Table && (!compacted || expires) || !s.Table && compacted {
		errs = append(errs, &MismatchError{Topic: s.Name, Setting: "cleanup.policy", Got: info.Policy, Want: s.Policy()})
	}
	return errs
}

// detail is how the topic of s is created.
func detail(cfg kafkaconf.Config, s Spec) *sarama.TopicDetail {
	entries := map[string]*string{"cleanup.policy": ptr(s.Policy())}
	if !s.Table {
		entries["retention.ms"] = ptr(strconv.FormatInt(kafkaconf.StreamRetention.Milliseconds(), 10))
	}
	if s.Purged {
		entries["segment.bytes"] = ptr(strconv.Itoa(PurgedSegmentBytes))
		entries["segment.ms"] = ptr(strconv.FormatInt(PurgedSegmentAge.Milliseconds(), 10))
	}
	return &sarama.TopicDetail{
		NumPartitions:     int32(cfg.Partitions),
		ReplicationFactor: int16(cfg.Replication),
		ConfigEntries:     entries,
	}
}

// policy returns the cleanup policy of an existing topic. sarama lists only
// configs set on the topic; unset, the broker's default applies, which is
// Kafka's default unless an operator changed log.cleanup.policy.
func policy(d sarama.TopicDetail) string {
	if p := d.ConfigEntries["cleanup.policy"]; p != nil {
		return *p
	}
	return PolicyDelete
}

func validate(specs []Spec) error {
	seen := map[string]bool{}
	for _, s := range specs {
		if s.Name == "" {
			return errors.New("topic with empty name")
		}
		if seen[s.Name] {
			return fmt.Errorf("topic %s listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

// connect returns an admin client for cfg's brokers, retrying while none
// is reachable.
func connect(ctx context.Context, cfg kafkaconf.Config) (sarama.ClusterAdmin, error) {
	brokers := strings.Join(cfg.Brokers, ",")
	deadline := time.Now().Add(ConnectTimeout)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("connect to %s: %w", brokers, err)
		}
		admin, err := sarama.NewClusterAdmin(cfg.Brokers, cfg.Sarama())
		if err == nil {
			return admin, nil
		}
		if !retriable(err) || time.Now().Add(ConnectBackoff).After(deadline) {
			return nil, fmt.Errorf("connect to %s: %w", brokers, err)
		}
		t := time.NewTimer(ConnectBackoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("connect to %s: %w (last attempt: %v)", brokers, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// retriable reports whether a failed connection may succeed later: the
// brokers may still be starting, but a refused login or certificate will
// not change by waiting.
func retriable(err error) bool {
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, sarama.ErrSASLAuthenticationFailed), errors.As(err, &certErr):
		return false
	default:
		return errors.Is(err, sarama.ErrOutOfBrokers)
	}
}

func ptr(s string) *string { return &s }
