package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// composeFile is deploy/compose.yaml. Without a Docker engine here, the test
// decodes it strictly into the subset of the Compose specification it uses:
// a misspelled key fails as `docker compose config` would. A key the file
// starts using must be added to composeService.
type composeFile struct {
	Name     string                    `json:"name"`
	Services map[string]composeService `json:"services"`
	Volumes  map[string]any            `json:"volumes"`
}

type composeService struct {
	Image       string                       `json:"image"`
	Build       *composeBuild                `json:"build"`
	Hostname    string                       `json:"hostname"`
	Command     []string                     `json:"command"`
	Environment map[string]any               `json:"environment"`
	Ports       []string                     `json:"ports"`
	Volumes     []string                     `json:"volumes"`
	DependsOn   map[string]composeDependency `json:"depends_on"`
	Healthcheck *composeHealthcheck          `json:"healthcheck"`
	Restart     string                       `json:"restart"`
	ReadOnly    bool                         `json:"read_only"`
	CapDrop     []string                     `json:"cap_drop"`
	SecurityOpt []string                     `json:"security_opt"`
	Tmpfs       []string                     `json:"tmpfs"`
}

type composeBuild struct {
	Context    string `json:"context"`
	Dockerfile string `json:"dockerfile"`
}

type composeDependency struct {
	Condition string `json:"condition"`
	Restart   bool   `json:"restart"`
}

type composeHealthcheck struct {
	Test        []string `json:"test"`
	Interval    string   `json:"interval"`
	Timeout     string   `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod string   `json:"start_period"`
}

// officialImages are the public images the stack may use, by the project
// that publishes them.
var officialImages = map[string]string{
	"apache/kafka":    "the Apache Kafka project",
	"prom/prometheus": "the Prometheus project",
	"grafana/grafana": "Grafana Labs",
	"rabbitmq":        "the Docker official image of RabbitMQ",
}

const dockerfile = "Dockerfile"

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	// Top level: the keys below plus x-* extension fields (anchors).
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		t.Fatal(err)
	}
	for k := range top {
		if !strings.HasPrefix(k, "x-") && !slices.Contains([]string{"name", "services", "volumes"}, k) {
			t.Errorf("compose.yaml: unexpected top-level key %q", k)
		}
		if strings.HasPrefix(k, "x-") {
			delete(top, k)
		}
	}
	js, _ = json.Marshal(top)
	var f composeFile
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("compose.yaml: strict decode: %v", err)
	}
	return f
}

// isOrderstreamService reports whether s is built from the repository's
// Dockerfile.
func isOrderstreamService(s composeService) bool { return s.Build != nil }

// composeInvocations returns how the compose stack runs the binary.
func composeInvocations(t *testing.T, f composeFile) []invocation {
	t.Helper()
	var invs []invocation
	for _, name := range sortedKeys(f.Services) {
		s := f.Services[name]
		if !isOrderstreamService(s) {
			continue
		}
		env := map[string]string{}
		for k, v := range s.Environment {
			env[k] = fmt.Sprint(v)
		}
		invs = append(invs, parseInvocation(t, "compose service "+name, s.Command, env))
	}
	return invs
}

var imageRef = regexp.MustCompile(`^([a-z0-9]+(?:[._/-][a-z0-9]+)*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$`)

func TestComposeImages(t *testing.T) {
	f := loadCompose(t)
	if len(f.Services) == 0 {
		t.Fatal("no services")
	}
	for _, name := range sortedKeys(f.Services) {
		s := f.Services[name]
		if s.Build != nil {
			// Paths in compose.yaml are relative to its directory, deploy/.
			if s.Build.Context != ".." {
				t.Errorf("%s: build context %q, want the repository root ..", name, s.Build.Context)
			}
			if got := filepath.Clean(filepath.Join(s.Build.Context, s.Build.Dockerfile)); got != filepath.Join("..", "deploy", dockerfile) {
				t.Errorf("%s: builds %s, want deploy/%s", name, s.Build.Dockerfile, dockerfile)
			}
			if s.Image != "" {
				t.Errorf("%s: built services are named by compose; image %q would be looked up in a registry", name, s.Image)
			}
			continue
		}
		m := imageRef.FindStringSubmatch(s.Image)
		if m == nil {
			t.Errorf("%s: image %q is not repository:tag", name, s.Image)
			continue
		}
		if _, ok := officialImages[m[1]]; !ok {
			t.Errorf("%s: image %s is not one of the official images %v", name, m[1], sortedKeys(officialImages))
		}
		if m[2] == "latest" || !strings.ContainsAny(m[2], "0123456789") {
			t.Errorf("%s: image tag %q is not a version", name, m[2])
		}
	}
}

func TestComposeCommands(t *testing.T) {
	f := loadCompose(t)
	for _, inv := range composeInvocations(t, f) {
		checkContract(t, inv)
		name := strings.TrimPrefix(inv.where, "compose service ")
		s := f.Services[name]
		if inv.cmd == "demo" || inv.cmd == "broker" {
			t.Errorf("%s: %s is not for deployment", inv.where, inv.cmd)
		}
		if s.Healthcheck != nil {
			t.Errorf("%s: the distroless image has no shell or curl for a healthcheck", inv.where)
		}
		// Every RabbitMQ client must reach the rabbitmq service by its name,
		// as a user other than guest (guest may only log in from localhost).
		if u, ok := inv.flags["amqp-url"]; ok {
			checkAMQPURL(t, inv.where, u, func(host string) bool { return hasService(f, host) })
		}
		if amqpOnly[inv.cmd] {
			if _, ok := inv.flags["amqp-url"]; !ok {
				t.Errorf("%s: no --amqp-url", inv.where)
			}
		} else if _, ok := inv.flags["brokers"]; !ok && inv.cmd != "broker" {
			// Every Kafka command must reach the broker service by its name.
			t.Errorf("%s: no --brokers (the default 127.0.0.1:9092 is the container itself)", inv.where)
		}
		for _, b := range strings.Split(inv.flags["brokers"], ",") {
			if amqpOnly[inv.cmd] {
				break
			}
			if host, _, err := net.SplitHostPort(b); err != nil || !hasService(f, host) {
				t.Errorf("%s: broker %q is not host:port of a service (%v)", inv.where, b, err)
			}
		}
		// The HTTP servers must listen beyond the container's loopback.
		if inv.cmd == "serve" || inv.cmd == "process" || inv.cmd == "deliver" {
			host, _, err := net.SplitHostPort(inv.flags["http"])
			if err != nil || host != "0.0.0.0" {
				t.Errorf("%s: --http %q, want 0.0.0.0:<port> (the default is loopback only)", inv.where, inv.flags["http"])
			}
			if dir := inv.flags["data-dir"]; inv.cmd != "deliver" && dir != "/data" && !mounts(s, dir) {
				t.Errorf("%s: --data-dir %q is neither the image's /data volume nor mounted (read-only root)", inv.where, dir)
			}
		}
		if s.Restart != "no" && !s.ReadOnly {
			t.Errorf("%s: long-running service without read_only", inv.where)
		}
		for _, p := range s.Ports {
			if container := p[strings.LastIndex(p, ":")+1:]; !strings.HasSuffix(inv.flags["http"], ":"+container) {
				t.Errorf("%s: publishes container port %s, but --http is %q", inv.where, container, inv.flags["http"])
			}
		}
	}
	checkClusterID(t, "compose kafka CLUSTER_ID", fmt.Sprint(f.Services["kafka"].Environment["CLUSTER_ID"]))
}

func TestComposeDependencies(t *testing.T) {
	f := loadCompose(t)
	for _, name := range sortedKeys(f.Services) {
		for dep, d := range f.Services[name].DependsOn {
			target, ok := f.Services[dep]
			switch {
			case !ok || dep == name:
				t.Errorf("%s: depends on %q, which is not another service", name, dep)
			case d.Condition == "service_healthy" && target.Healthcheck == nil:
				t.Errorf("%s: waits for %s to be healthy, but it has no healthcheck", name, dep)
			case d.Condition == "service_completed_successfully" && target.Restart != "no":
				t.Errorf("%s: waits for %s to complete, but it restarts (%q)", name, dep, target.Restart)
			case !slices.Contains([]string{"service_started", "service_healthy", "service_completed_successfully"}, d.Condition):
				t.Errorf("%s: depends_on %s has condition %q", name, dep, d.Condition)
			}
		}
		// The orderstream services need their topics first.
		if s := f.Services[name]; isOrderstreamService(s) && (len(s.Command) == 0 || s.Command[0] != "topics") {
			if s.DependsOn["topics"].Condition != "service_completed_successfully" {
				t.Errorf("%s: does not wait for topics to complete", name)
			}
		}
	}
}

func TestComposeVolumes(t *testing.T) {
	f := loadCompose(t)
	used := map[string]bool{}
	for _, name := range sortedKeys(f.Services) {
		for _, v := range f.Services[name].Volumes {
			src, _, ok := strings.Cut(v, ":")
			if !ok {
				t.Errorf("%s: volume %q is not source:target", name, v)
				continue
			}
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				// A bind mount, relative to deploy/.
				if _, err := os.Stat(src); err != nil {
					t.Errorf("%s: bind mount source: %v", name, err)
				}
				continue
			}
			if _, ok := f.Volumes[src]; !ok {
				t.Errorf("%s: named volume %q is not declared under volumes", name, src)
			}
			used[src] = true
		}
	}
	for v := range f.Volumes {
		if !used[v] {
			t.Errorf("volume %q is declared but not used", v)
		}
	}
}

// TestPrometheusTargets: the scrape targets are compose services on the
// ports their --http flags listen on; Grafana's datasource is Prometheus.
func TestPrometheusTargets(t *testing.T) {
	f := loadCompose(t)
	httpPort := map[string]string{}
	for _, inv := range composeInvocations(t, f) {
		if _, port, err := net.SplitHostPort(inv.flags["http"]); err == nil {
			httpPort[strings.TrimPrefix(inv.where, "compose service ")] = port
		}
	}
	var prom struct {
		ScrapeConfigs []struct {
			JobName       string `json:"job_name"`
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
			DNSSDConfigs []struct {
				Names []string `json:"names"`
				Port  int      `json:"port"`
			} `json:"dns_sd_configs"`
		} `json:"scrape_configs"`
	}
	readYAML(t, "prometheus/prometheus.yml", &prom)
	scraped := map[string]bool{}
	check := func(job, host, port string) {
		if host == "localhost" {
			return // Prometheus itself
		}
		scraped[host] = true
		if want, ok := httpPort[host]; !ok || want != port {
			t.Errorf("job %s: target %s:%s, but that service's --http port is %q", job, host, port, want)
		}
	}
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				host, port, err := net.SplitHostPort(target)
				if err != nil {
					t.Errorf("job %s: target %q: %v", sc.JobName, target, err)
				}
				check(sc.JobName, host, port)
			}
		}
		for _, d := range sc.DNSSDConfigs {
			for _, n := range d.Names {
				check(sc.JobName, n, itoa(d.Port))
			}
		}
	}
	for svc := range httpPort {
		if !scraped[svc] {
			t.Errorf("service %s serves /metrics but is not scraped", svc)
		}
	}

	var ds struct {
		Datasources []struct {
			UID string `json:"uid"`
			URL string `json:"url"`
		} `json:"datasources"`
	}
	readYAML(t, "grafana/provisioning/datasources/prometheus.yaml", &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].URL != "http://prometheus:9090" || !hasService(f, "prometheus") {
		t.Errorf("grafana datasources = %+v, want one at http://prometheus:9090", ds.Datasources)
	}
}

func hasService(f composeFile, name string) bool {
	_, ok := f.Services[name]
	return ok
}

// mounts reports whether s mounts a volume at dir.
func mounts(s composeService, dir string) bool {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == dir {
			return true
		}
	}
	return false
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
