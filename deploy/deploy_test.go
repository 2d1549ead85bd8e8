package deploy

import (
	"bytes"
	"encoding/base64"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

const (
	chartDir       = "helm/orderstream"
	externalValues = chartDir + "/values-external-kafka.yaml"
	// With release "orderstream" the chart's fullname is "orderstream", so
	// objects are called orderstream-api, orderstream-kafka, ...
	release   = "orderstream"
	namespace = "orderstream"
	// helmInstall is how deploy/check.sh installs helm.
	helmInstall = "go install helm.sh/helm/v3/cmd/helm@v3.22.0"
)

// findHelm looks for helm on PATH, then in $(go env GOPATH)/bin, where
// `go install` puts it.
func findHelm(t *testing.T) (string, bool) {
	t.Helper()
	path, err := exec.LookPath("helm")
	if err != nil {
		out, gerr := exec.Command("go", "env", "GOPATH").Output()
		if gerr != nil {
			return "", false
		}
		gopath := filepath.SplitList(strings.TrimSpace(string(out)))
		if len(gopath) == 0 {
			return "", false
		}
		path = filepath.Join(gopath[0], "bin", "helm")
	}
	// Stat through os, so go test's cache notices a different helm.
	if _, err := os.Stat(path); err != nil {
		return "", false
	}
	return path, true
}

func requireHelm(t *testing.T) string {
	t.Helper()
	helm, ok := findHelm(t)
	if !ok {
		t.Skipf("helm is not on PATH nor in $(go env GOPATH)/bin: install it with `%s` (deploy/check.sh does)", helmInstall)
	}
	return helm
}

// renderChart runs helm template with args and returns its output.
func renderChart(t *testing.T, helm string, args ...string) string {
	t.Helper()
	out, stderr, err := runHelmTemplate(t, helm, args...)
	if err != nil {
		t.Fatalf("helm template %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func runHelmTemplate(t *testing.T, helm string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	// helm reads the chart, not this process: read it here too, so that go
	// test's cache is invalidated by a chart edit.
	readTree(t, chartDir)
	cmd := exec.Command(helm, append([]string{"template", release, chartDir, "--namespace", namespace}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// readTree reads every file under dir.
func readTree(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		_, err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestChartDefaultValues(t *testing.T) {
	ms := decodeAll(t, renderChart(t, requireHelm(t)))
	checkManifests(t, ms)
	for _, inv := range chartInvocations(t, ms) {
		checkContract(t, inv)
	}

	// The bundled Kafka: a StatefulSet with its data on a claim, reached
	// through the client Service every orderstream container is given.
	kafka := find[*appsv1.StatefulSet](t, ms, "StatefulSet", "orderstream-kafka")
	if !slices.ContainsFunc(kafka.Spec.VolumeClaimTemplates, func(c corev1.PersistentVolumeClaim) bool { return c.Name == "data" }) {
		t.Error("kafka: no volumeClaimTemplate data")
	}
	kenv := envOf(kafka.Spec.Template.Spec.Containers[0])
	checkClusterID(t, "kafka CLUSTER_ID", kenv["CLUSTER_ID"])
	for k, want := range map[string]string{"KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false", "KAFKA_NUM_PARTITIONS": "3", "KAFKA_PROCESS_ROLES": "broker,controller"} {
		if kenv[k] != want {
			t.Errorf("kafka: %s = %q, want %q", k, kenv[k], want)
		}
	}
	client := find[*corev1.Service](t, ms, "Service", "orderstream-kafka")
	if len(client.Spec.Ports) != 1 || client.Spec.Ports[0].Port != 9092 {
		t.Errorf("kafka client Service ports = %v, want 9092", client.Spec.Ports)
	}
	checkBrokers(t, ms, "orderstream-kafka:9092")

	checkProcessors(t, ms, 1)
	checkTopicsJob(t, ms, "post-install,pre-upgrade", "3", "1")
	checkHTTPComponent(t, find[*appsv1.Deployment](t, ms, "Deployment", "orderstream-api").Spec.Template.Spec, "http", 8080)

	sim := find[*appsv1.Deployment](t, ms, "Deployment", "orderstream-simulator")
	if got := envOf(sim.Spec.Template.Spec.Containers[0])["ORDERSTREAM_RATE"]; got != "20" {
		t.Errorf("simulator ORDERSTREAM_RATE = %q, want 20", got)
	}
}

func TestChartExternalKafka(t *testing.T) {
	var values struct {
		Kafka struct {
			Enabled bool   `json:"enabled"`
			Brokers string `json:"brokers"`
		} `json:"kafka"`
		Topics struct {
			Partitions  int `json:"partitions"`
			Replication int `json:"replication"`
		} `json:"topics"`
		Processors struct {
			Replicas int32 `json:"replicas"`
		} `json:"processors"`
	}
	raw, err := os.ReadFile(externalValues)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	if values.Kafka.Enabled || values.Kafka.Brokers == "" {
		t.Fatalf("%s: want kafka.enabled=false and kafka.brokers set, have %+v", externalValues, values.Kafka)
	}

	ms := decodeAll(t, renderChart(t, requireHelm(t), "-f", externalValues))
	checkManifests(t, ms)
	for _, inv := range chartInvocations(t, ms) {
		checkContract(t, inv)
	}
	for _, m := range ms {
		if m.meta.Labels["app.kubernetes.io/component"] == "kafka" {
			t.Errorf("%s rendered with kafka.enabled=false", m)
		}
		if m.kind == "Deployment" && strings.HasSuffix(m.name, "-simulator") {
			t.Errorf("%s rendered with simulator.enabled=false", m)
		}
	}
	checkBrokers(t, ms, values.Kafka.Brokers)
	checkProcessors(t, ms, values.Processors.Replicas)
	checkTopicsJob(t, ms, "pre-install,pre-upgrade", itoa(values.Topics.Partitions), itoa(values.Topics.Replication))
	checkServiceMonitor(t, ms)
}

// TestChartOptionalObjects renders what is off by default, so that it is
// decoded strictly too.
func TestChartOptionalObjects(t *testing.T) {
	ms := decodeAll(t, renderChart(t, requireHelm(t),
		"--set", "api.ingress.enabled=true",
		"--set", "api.ingress.className=nginx",
		"--set", "serviceMonitor.enabled=true",
		"--set", "processors.only=ingest\\,lifecycle",
		"--set", "processors.nodeSelector.disk=ssd",
		"--set-json", `extraEnv=[{"name":"GOMEMLIMIT","valueFrom":{"resourceFieldRef":{"resource":"limits.memory"}}}]`,
		"--set-json", `extraVolumes=[{"name":"kafka-ca","secret":{"secretName":"my-cluster-cluster-ca-cert"}}]`,
		"--set-json", `extraVolumeMounts=[{"name":"kafka-ca","mountPath":"/etc/kafka-ca","readOnly":true}]`,
	))
	checkManifests(t, ms)
	ing := find[*networkingv1.Ingress](t, ms, "Ingress", "orderstream-api")
	for _, r := range ing.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			svc := find[*corev1.Service](t, ms, "Service", p.Backend.Service.Name)
			if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == p.Backend.Service.Port.Name }) {
				t.Errorf("Ingress backend port %q not on Service %s", p.Backend.Service.Port.Name, svc.Name)
			}
		}
	}
	checkServiceMonitor(t, ms)
	sts := find[*appsv1.StatefulSet](t, ms, "StatefulSet", "orderstream-processors")
	if got := envOf(sts.Spec.Template.Spec.Containers[0])["ORDERSTREAM_ONLY"]; got != "ingest,lifecycle" {
		t.Errorf("ORDERSTREAM_ONLY = %q, want ingest,lifecycle", got)
	}
	if !slices.ContainsFunc(sts.Spec.Template.Spec.Containers[0].Env, func(e corev1.EnvVar) bool { return e.Name == "GOMEMLIMIT" && e.ValueFrom != nil }) {
		t.Error("processors: extraEnv GOMEMLIMIT missing")
	}
	for _, w := range workloads(ms) {
		for _, c := range w.pod.Spec.Containers {
			if isOrderstream(c) && !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "kafka-ca" }) {
				t.Errorf("%s container %s: extraVolumeMounts kafka-ca missing", w, c.Name)
			}
		}
	}
	if sts.Spec.Template.Spec.NodeSelector["disk"] != "ssd" {
		t.Errorf("processors nodeSelector = %v", sts.Spec.Template.Spec.NodeSelector)
	}
}

// TestChartRejectsBadValues: values that cannot work fail the render with
// a message that says what to change.
func TestChartRejectsBadValues(t *testing.T) {
	helm := requireHelm(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"external kafka without brokers", []string{"--set", "kafka.enabled=false"}, "kafka.brokers is required when kafka.enabled=false"},
		{"more processors than partitions", []string{"--set", "processors.replicas=4"}, "processors.replicas (4) is more than topics.partitions (3)"},
		{"misspelled key", []string{"--set", "processor.replicas=2"}, "additional properties 'processor' not allowed"},
		{"malformed brokers", []string{"--set", "kafka.enabled=false", "--set", "kafka.brokers=kafka"}, "kafka/brokers"},
		{"unknown processor", []string{"--set", "processors.only=ingest\\,billing"}, "processors/only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runHelmTemplate(t, helm, tc.args...)
			if err == nil {
				t.Fatal("helm template succeeded, want an error")
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not contain %q:\n%s", tc.want, stderr)
			}
		})
	}
}

// checkBrokers asserts that every orderstream container gets brokers.
func checkBrokers(t *testing.T, ms []manifest, brokers string) {
	t.Helper()
	n := 0
	for _, w := range workloads(ms) {
		for _, c := range w.pod.Spec.Containers {
			if !isOrderstream(c) {
				continue
			}
			n++
			if got := envOf(c)["ORDERSTREAM_BROKERS"]; got != brokers {
				t.Errorf("%s container %s: ORDERSTREAM_BROKERS = %q, want %q", w, c.Name, got, brokers)
			}
		}
	}
	if n == 0 {
		t.Error("no orderstream container rendered")
	}
}

// checkProcessors asserts the processors are a StatefulSet keeping /data on
// a claim, with a headless governing Service, serving probes on 9100.
func checkProcessors(t *testing.T, ms []manifest, replicas int32) {
	t.Helper()
	sts := find[*appsv1.StatefulSet](t, ms, "StatefulSet", "orderstream-processors")
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != replicas {
		t.Errorf("processors replicas = %v, want %d", sts.Spec.Replicas, replicas)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 || sts.Spec.VolumeClaimTemplates[0].Name != "data" {
		t.Fatalf("processors volumeClaimTemplates = %v, want one called data", sts.Spec.VolumeClaimTemplates)
	}
	spec := sts.Spec.Template.Spec
	c := spec.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "process" {
		t.Errorf("processors args = %v, want process", c.Args)
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "data" && m.MountPath == "/data" }) {
		t.Errorf("processors: claim data not mounted at /data: %v", c.VolumeMounts)
	}
	if got := envOf(c)["ORDERSTREAM_DATA_DIR"]; got != "/data" {
		t.Errorf("processors ORDERSTREAM_DATA_DIR = %q, want /data", got)
	}
	headless := find[*corev1.Service](t, ms, "Service", sts.Spec.ServiceName)
	if headless.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("processors serviceName %s is not headless", headless.Name)
	}
	checkHTTPComponent(t, spec, "metrics", 9100)
}

// checkHTTPComponent asserts that an orderstream container listens on all
// interfaces at the port called portName, with liveness on /healthz and
// readiness on /readyz there.
func checkHTTPComponent(t *testing.T, spec corev1.PodSpec, portName string, port int32) {
	t.Helper()
	c := spec.Containers[0]
	if got := containerPort(spec, portName); got != port {
		t.Errorf("container %s: port %s = %d, want %d", c.Name, portName, got, port)
	}
	if got, want := envOf(c)["ORDERSTREAM_HTTP"], "0.0.0.0:"+itoa(int(port)); got != want {
		t.Errorf("container %s: ORDERSTREAM_HTTP = %q, want %q", c.Name, got, want)
	}
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("container %s: no HTTP %s probe", c.Name, p.kind)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.StrVal != portName {
			t.Errorf("container %s: %s probe %s on %s, want %s on %s", c.Name, p.kind,
				p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path, portName)
		}
	}
}

// checkTopicsJob asserts the hook Job runs `orderstream topics` with the
// partitions and replication of the values.
func checkTopicsJob(t *testing.T, ms []manifest, hook, partitions, replication string) {
	t.Helper()
	job := find[*batchv1.Job](t, ms, "Job", "orderstream-topics")
	if got := job.Annotations["helm.sh/hook"]; got != hook {
		t.Errorf("topics Job helm.sh/hook = %q, want %q", got, hook)
	}
	if !strings.Contains(job.Annotations["helm.sh/hook-delete-policy"], "before-hook-creation") {
		t.Errorf("topics Job hook-delete-policy = %q, want before-hook-creation among them", job.Annotations["helm.sh/hook-delete-policy"])
	}
	c := job.Spec.Template.Spec.Containers[0]
	inv := parseInvocation(t, "topics Job", c.Args, envOf(c))
	if inv.cmd != "topics" || inv.flags["partitions"] != partitions || inv.flags["replication"] != replication {
		t.Errorf("topics Job runs %s %v, want topics with partitions %s, replication %s", inv.cmd, inv.flags, partitions, replication)
	}
	if job.Spec.Template.Spec.RestartPolicy == corev1.RestartPolicyAlways {
		t.Error("topics Job restartPolicy Always")
	}
}

// checkServiceMonitor asserts the ServiceMonitor's endpoints name ports of
// the Services it selects.
func checkServiceMonitor(t *testing.T, ms []manifest) {
	t.Helper()
	sm := find[*serviceMonitor](t, ms, "ServiceMonitor", "orderstream")
	var ports []string
	for _, m := range ms {
		if svc, ok := m.obj.(*corev1.Service); ok && matchesLabelSelector(t, &sm.Spec.Selector, svc.Labels) {
			for _, p := range svc.Spec.Ports {
				ports = append(ports, p.Name)
			}
		}
	}
	if len(sm.Spec.Endpoints) == 0 {
		t.Error("ServiceMonitor has no endpoints")
	}
	for _, e := range sm.Spec.Endpoints {
		if !slices.Contains(ports, e.Port) {
			t.Errorf("ServiceMonitor endpoint port %q is on no selected Service (ports %v)", e.Port, ports)
		}
	}
}

// checkClusterID asserts id is what KRaft accepts: a base64url UUID.
func checkClusterID(t *testing.T, where, id string) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != 16 {
		t.Errorf("%s %q is not a base64url encoded 16-byte UUID (%v)", where, id, err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestChartRabbitMQ: rabbitmq.enabled=true runs a RabbitMQ node, gives the
// processors the relay's --amqp-url and runs a deliver Deployment per
// channel, all reading the URL from one Secret; off by default.
func TestChartRabbitMQ(t *testing.T) {
	helm := requireHelm(t)
	off := decodeAll(t, renderChart(t, helm))
	for _, w := range workloads(off) {
		if strings.Contains(w.name, "rabbitmq") || strings.Contains(w.name, "deliver") {
			t.Errorf("%s rendered with rabbitmq.enabled=false", w)
		}
	}
	if env := find[*appsv1.StatefulSet](t, off, "StatefulSet", "orderstream-processors").Spec.Template.Spec.Containers[0].Env; slices.ContainsFunc(env, func(e corev1.EnvVar) bool { return e.Name == "ORDERSTREAM_AMQP_URL" }) {
		t.Error("processors relay to RabbitMQ with rabbitmq.enabled=false")
	}

	ms := decodeAll(t, renderChart(t, helm, "--set", "rabbitmq.enabled=true", "--set", "rabbitmq.delivery.sms.bind=ready.*"))
	checkManifests(t, ms)
	for _, inv := range chartInvocations(t, ms) {
		checkContract(t, inv)
	}
	secret := find[*corev1.Secret](t, ms, "Secret", "orderstream-rabbitmq")
	if got, want := secret.StringData["url"], "amqp://orderstream:orderstream@orderstream-rabbitmq:5672/"; got != want {
		t.Errorf("Secret url = %q, want %q", got, want)
	}
	find[*corev1.Service](t, ms, "Service", "orderstream-rabbitmq")
	fromSecret := func(where string, c corev1.Container) {
		t.Helper()
		if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
			return e.Name == "ORDERSTREAM_AMQP_URL" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
				e.ValueFrom.SecretKeyRef.Name == secret.Name && e.ValueFrom.SecretKeyRef.Key == "url"
		}) {
			t.Errorf("%s: no ORDERSTREAM_AMQP_URL from Secret %s", where, secret.Name)
		}
	}
	fromSecret("processors", find[*appsv1.StatefulSet](t, ms, "StatefulSet", "orderstream-processors").Spec.Template.Spec.Containers[0])
	for _, ch := range []string{"email", "sms", "push"} {
		d := find[*appsv1.Deployment](t, ms, "Deployment", "orderstream-deliver-"+ch)
		c := d.Spec.Template.Spec.Containers[0]
		fromSecret(d.Name, c)
		inv := parseInvocation(t, d.Name, c.Args, envOf(c))
		if inv.cmd != "deliver" || inv.flags["channel"] != ch {
			t.Errorf("%s: args %v, want deliver --channel %s", d.Name, c.Args, ch)
		}
		if ch == "sms" && inv.flags["bind"] != "ready.*" {
			t.Errorf("%s: --bind %q, want ready.*", d.Name, inv.flags["bind"])
		}
	}

	external := decodeAll(t, renderChart(t, helm, "--set", "rabbitmq.enabled=true", "--set", "rabbitmq.url=amqp://u:p@rabbit.example:5672/v"))
	for _, w := range workloads(external) {
		if strings.Contains(w.name, "rabbitmq") {
			t.Errorf("%s rendered with an external rabbitmq.url", w)
		}
	}
	if got := find[*corev1.Secret](t, external, "Secret", "orderstream-rabbitmq").StringData["url"]; got != "amqp://u:p@rabbit.example:5672/v" {
		t.Errorf("Secret url = %q with an external rabbitmq.url", got)
	}
}
