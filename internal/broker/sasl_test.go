package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/topics"
)

// The SASL tests log in through kafkaconf, as every command does, and
// provision topics through topics.Ensure, as `orderstream topics` does.

const (
	testUser     = "orders"
	testPassword = "s3cret, with spaces"
)

// usersFor registers user for every mechanism, as --sasl-user does.
func usersFor(user, password string) []User {
	var out []User
	for _, m := range kafkaconf.Mechanisms {
		out = append(out, User{Mechanism: m, User: user, Password: password})
	}
	return out
}

func withSASL(kc kafkaconf.Config, mechanism, user, password string) kafkaconf.Config {
	kc.SASL = kafkaconf.SASLConfig{Mechanism: mechanism, User: user, Password: password}
	return kc
}

// roundTrip creates topic with topics.Ensure, produces to it and reads
// it back, all as kc.
func roundTrip(t *testing.T, kc kafkaconf.Config, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	infos, err := topics.Ensure(ctx, kc, []topics.Spec{{Name: topic}})
	if err != nil {
		t.Fatalf("ensure %s: %v", topic, err)
	}
	if len(infos) != 1 || !infos[0].Created {
		t.Fatalf("ensure %s: %+v, want it created", topic, infos)
	}
	want := produceAs(t, kc, topic, keyed(6, 3))
	got := consumeAllAs(t, kc, topic)
	sortRecords(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("consumed\n%v\nwant\n%v", got, want)
	}
}

// connectErr returns the error of connecting as kc, trying once.
func connectErr(kc kafkaconf.Config) error {
	cfg := kc.Sarama()
	cfg.Metadata.Retry.Max = 0
	cl, err := sarama.NewClient(kc.Brokers, cfg)
	if err == nil {
		cl.Close()
	}
	return err
}

func TestSASL(t *testing.T) {
	b := startBroker(t, Config{SASL: usersFor(testUser, testPassword)})
	for _, m := range kafkaconf.Mechanisms {
		t.Run(m, func(t *testing.T) {
			roundTrip(t, withSASL(clientConfig(b.Addr()), m, testUser, testPassword), "secured-"+m)
		})
	}
}

func TestSASLAuthenticationFailed(t *testing.T) {
	b := startBroker(t, Config{SASL: append(usersFor(testUser, testPassword),
		User{Mechanism: kafkaconf.MechanismPlain, User: "plain-only", Password: testPassword})})
	type login struct{ mechanism, user, password string }
	cases := map[string]login{
		"mechanism not registered for the user": {kafkaconf.MechanismSCRAMSHA256, "plain-only", testPassword},
	}
	for _, m := range kafkaconf.Mechanisms {
		cases[m+"/wrong password"] = login{m, testUser, "wrong"}
		cases[m+"/unknown user"] = login{m, "nobody", testPassword}
	}
	for name, l := range cases {
		t.Run(name, func(t *testing.T) {
			err := connectErr(withSASL(clientConfig(b.Addr()), l.mechanism, l.user, l.password))
			if !errors.Is(err, sarama.ErrSASLAuthenticationFailed) {
				t.Errorf("connect: err %v, want %v", err, sarama.ErrSASLAuthenticationFailed)
			}
		})
	}
}

// Kafka drops a connection that does not start with SASL; so does the
// broker. The client sees the connection end, not an authentication
// error: it never tried to log in.
func TestSASLRequired(t *testing.T) {
	b := startBroker(t, Config{SASL: usersFor(testUser, testPassword)})
	err := connectErr(clientConfig(b.Addr()))
	if !errors.Is(err, io.EOF) || errors.Is(err, sarama.ErrSASLAuthenticationFailed) {
		t.Errorf("connect without SASL: err %v, want %v and no authentication error", err, io.EOF)
	}
}

// The users given when the broker starts are the only ones, whatever runs
// before with the same data directory had, and they are not left on disk.
func TestSASLUsersReplacedOnRestart(t *testing.T) {
	dir := t.TempDir()
	var want []record
	for i, run := range []struct {
		users    []User
		password string // "" = no SASL
		refused  string // the password of the previous run, refused now
	}{
		{users: nil},
		{users: usersFor(testUser, "old"), password: "old"},
		{users: usersFor(testUser, "new"), password: "new", refused: "old"},
	} {
		b, err := Start(Config{DataDir: dir, SASL: run.users})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		for _, m := range kafkaconf.Mechanisms {
			kc := clientConfig(b.Addr())
			if run.password != "" {
				kc = withSASL(kc, m, testUser, run.password)
			}
			if i == 0 {
				createTopic(t, b.Addr(), "kept", 3, nil)
				want = produceAs(t, kc, "kept", keyed(6, 3))
				sortRecords(want)
			}
			if got := consumeAllAs(t, kc, "kept"); !reflect.DeepEqual(got, want) {
				t.Errorf("run %d, %s: consumed\n%v\nwant\n%v", i, m, got, want)
			}
			if run.refused != "" {
				if err := connectErr(withSASL(kc, m, testUser, run.refused)); !errors.Is(err, sarama.ErrSASLAuthenticationFailed) {
					t.Errorf("run %d, %s with the previous password: err %v, want %v", i, m, err, sarama.ErrSASLAuthenticationFailed)
				}
			}
			if run.password == "" {
				break
			}
		}
		if err := b.Close(); err != nil {
			t.Fatalf("run %d: close: %v", i, err)
		}
		if _, err := os.Stat(filepath.Join(dir, usersFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("run %d: after Close, stat %s: %v, want no such file", i, usersFile, err)
		}
	}
}

func TestPrintingHidesPasswords(t *testing.T) {
	cfg := Config{SASL: usersFor(testUser, "hunter2")}
	if got := fmt.Sprintf("%+v", cfg); strings.Contains(got, "hunter2") || !strings.Contains(got, `SCRAM-SHA-512 user "orders"`) {
		t.Errorf("Sprintf(%%+v, config) = %s, want the users without their passwords", got)
	}
}
