package deploy

import (
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// kafkaFlags are the connection flags of every command that talks to Kafka.
var kafkaFlags = []string{
	"brokers", "partitions", "replication",
	"sasl-mechanism", "sasl-user", "sasl-password",
	"tls", "tls-ca", "tls-cert", "tls-key", "tls-insecure-skip-verify", "tls-server-name",
}

// commandFlags is the command-line contract of the orderstream binary the
// deployment files rely on: subcommand -> its flags (besides --log-level,
// which every command has). demo is listed so that a deployment naming it
// fails on its flags rather than as an unknown command; it is not for
// deployment.
var commandFlags = map[string][]string{
	"broker":  {"listen", "data-dir"},
	"topics":  kafkaFlags,
	"emit":    append(slices.Clone(kafkaFlags), "rate", "count", "restaurants", "users", "seed"),
	"process": append(slices.Clone(kafkaFlags), "data-dir", "only", "http", "amqp-url"),
	"deliver": {"amqp-url", "channel", "bind", "workers", "send-time", "out", "http"},
	"watch":   {"amqp-url", "key"},
	"serve":   append(slices.Clone(kafkaFlags), "http", "data-dir"),
	"demo":    nil,
}

// amqpOnly are the commands that talk to RabbitMQ only, not to Kafka.
var amqpOnly = map[string]bool{"deliver": true, "watch": true}

// checkAMQPURL reports an AMQP URL whose host is not known, or that logs
// in as guest, whom RabbitMQ admits from localhost only.
func checkAMQPURL(t *testing.T, where, raw string, known func(host string) bool) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "amqp" && u.Scheme != "amqps" {
		t.Errorf("%s: --amqp-url %q is not an amqp:// URL (%v)", where, raw, err)
		return
	}
	if !known(u.Hostname()) {
		t.Errorf("%s: --amqp-url host %q is not a service", where, u.Hostname())
	}
	if u.User.Username() == "guest" || u.User.Username() == "" {
		t.Errorf("%s: --amqp-url logs in as %q: RabbitMQ admits guest from localhost only", where, u.User.Username())
	}
}

// invocation is one way a deployment file runs the binary.
type invocation struct {
	where string // for messages: "compose service api", "Deployment x/api"
	cmd   string
	// flags maps each flag given on the command line or as ORDERSTREAM_<FLAG>
	// to its value.
	flags map[string]string
}

// parseInvocation reads args (subcommand first, then --flag value or
// --flag=value pairs: every contract flag takes a value) and the
// ORDERSTREAM_* variables of env.
func parseInvocation(t *testing.T, where string, args []string, env map[string]string) invocation {
	t.Helper()
	inv := invocation{where: where, flags: map[string]string{}}
	if len(args) == 0 {
		t.Errorf("%s: no subcommand", where)
		return inv
	}
	inv.cmd = args[0]
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			t.Errorf("%s: argument %q is not a flag (subcommands take no positional arguments)", where, a)
			continue
		}
		name, value, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !ok {
			if i+1 >= len(args) {
				t.Errorf("%s: flag %s has no value", where, a)
				continue
			}
			i++
			value = args[i]
		}
		if _, dup := inv.flags[name]; dup {
			t.Errorf("%s: flag --%s given twice", where, name)
		}
		inv.flags[name] = value
	}
	for k, v := range env {
		name, ok := flagOfEnv(k)
		if !ok {
			continue
		}
		if old, dup := inv.flags[name]; dup && old != v {
			// The command line wins; a different env value is a trap.
			t.Errorf("%s: --%s=%q on the command line but %s=%q", where, name, old, k, v)
			continue
		}
		inv.flags[name] = v
	}
	return inv
}

// flagOfEnv maps ORDERSTREAM_DATA_DIR to data-dir.
func flagOfEnv(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "ORDERSTREAM_")
	if !ok {
		return "", false
	}
	return strings.ToLower(strings.ReplaceAll(rest, "_", "-")), true
}

// checkContract reports a subcommand or flag outside commandFlags.
func checkContract(t *testing.T, inv invocation) {
	t.Helper()
	allowed, ok := commandFlags[inv.cmd]
	if !ok {
		t.Errorf("%s: unknown subcommand %q (known: %s)", inv.where, inv.cmd, strings.Join(sortedKeys(commandFlags), " "))
		return
	}
	for _, f := range sortedKeys(inv.flags) {
		if f != "log-level" && !slices.Contains(allowed, f) {
			t.Errorf("%s: %s has no flag --%s (it has: %s)", inv.where, inv.cmd, f, strings.Join(allowed, " "))
		}
	}
}

// TestDeployedFlagsExistInBinary asks the binary built from this tree
// (orderstream <cmd> -h) whether it has every subcommand and flag the
// compose stack and the chart use, so a renamed flag fails here rather than
// in a crash-looping pod.
func TestDeployedFlagsExistInBinary(t *testing.T) {
	bin := buildBinary(t) // skips in -short mode
	invs := composeInvocations(t, loadCompose(t))
	if helm, ok := findHelm(t); ok {
		for _, args := range [][]string{nil, {"-f", externalValues}, {"--set", "rabbitmq.enabled=true"}} {
			invs = append(invs, chartInvocations(t, decodeAll(t, renderChart(t, helm, args...)))...)
		}
	} else {
		t.Log("helm not found: checking the compose stack only")
	}
	known := map[string][]string{}
	for _, inv := range invs {
		flags, ok := known[inv.cmd]
		if !ok {
			flags = binaryFlags(t, bin, inv.cmd)
			known[inv.cmd] = flags
		}
		if flags == nil {
			t.Errorf("%s: the binary has no subcommand %q", inv.where, inv.cmd)
			continue
		}
		for f := range inv.flags {
			if !slices.Contains(flags, f) {
				t.Errorf("%s: `orderstream %s` has no flag --%s (it has: %s)", inv.where, inv.cmd, f, strings.Join(flags, " "))
			}
		}
	}
}

var helpFlag = regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)

// binaryFlags returns the flags `bin cmd -h` lists, or nil if cmd is not a
// subcommand of bin.
func binaryFlags(t *testing.T, bin, cmd string) []string {
	t.Helper()
	out, err := exec.Command(bin, cmd, "-h").CombinedOutput()
	if err == nil {
		t.Fatalf("%s %s -h: exited 0, want the usage and a non-zero exit", bin, cmd)
	}
	if strings.Contains(string(out), "unknown command") {
		return nil
	}
	var flags []string
	for _, m := range helpFlag.FindAllStringSubmatch(string(out), -1) {
		flags = append(flags, m[1])
	}
	if len(flags) == 0 {
		t.Fatalf("%s %s -h listed no flags:\n%s", bin, cmd, out)
	}
	return flags
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
