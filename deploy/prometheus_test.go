package deploy

import (
	"os"
	"os/exec"
	"testing"
)

// promtool returns the path of Debian's promtool, or skips the test (fails
// it with CI=true) when it is missing.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found; CI must install it: apt-get install prometheus")
		}
		t.Skip("promtool not found; install it with: apt-get install prometheus")
	}
	return path
}

// TestPrometheusConfig runs promtool on the shipped configuration: the
// scrape config loads with its rule files, the rules are valid, and their
// unit tests pass.
func TestPrometheusConfig(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "config", "prometheus/prometheus.yml"},
		{"check", "rules", "prometheus/alerts.yml"},
		{"test", "rules", "prometheus/alerts_test.yml"},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
