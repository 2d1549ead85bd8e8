package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// manifest is one rendered Kubernetes object, decoded into its API type.
type manifest struct {
	kind, name string
	meta       *metav1.ObjectMeta
	obj        any // *appsv1.Deployment, *corev1.Service, ..., *serviceMonitor
}

func (m manifest) String() string { return m.kind + "/" + m.name }

// serviceMonitor is the part of prometheus-operator's
// monitoring.coreos.com/v1 ServiceMonitor the chart uses (field names as in
// the operator's API). Strict decoding into it still fails on a misspelled
// field; a field the chart starts using must be added here.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		TargetLabels      []string `json:"targetLabels"`
		NamespaceSelector struct {
			MatchNames []string `json:"matchNames"`
		} `json:"namespaceSelector"`
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// newObject returns the API type of apiVersion and kind; a kind the chart
// starts rendering must be added here.
func newObject(apiVersion, kind string) (any, *metav1.ObjectMeta) {
	switch apiVersion + " " + kind {
	case "apps/v1 Deployment":
		o := &appsv1.Deployment{}
		return o, &o.ObjectMeta
	case "apps/v1 StatefulSet":
		o := &appsv1.StatefulSet{}
		return o, &o.ObjectMeta
	case "v1 Service":
		o := &corev1.Service{}
		return o, &o.ObjectMeta
	case "v1 Secret":
		o := &corev1.Secret{}
		return o, &o.ObjectMeta
	case "batch/v1 Job":
		o := &batchv1.Job{}
		return o, &o.ObjectMeta
	case "networking.k8s.io/v1 Ingress":
		o := &networkingv1.Ingress{}
		return o, &o.ObjectMeta
	case "monitoring.coreos.com/v1 ServiceMonitor":
		o := &serviceMonitor{}
		return o, &o.ObjectMeta
	case "monitoring.coreos.com/v1 PrometheusRule":
		o := &prometheusRule{}
		return o, &o.ObjectMeta
	case "policy/v1 PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		return o, &o.ObjectMeta
	case "v1 ConfigMap":
		o := &corev1.ConfigMap{}
		return o, &o.ObjectMeta
	}
	return nil, nil
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// decodeAll splits helm's multi-document output and decodes every document
// strictly: duplicate keys, unknown fields and wrong types all fail.
func decodeAll(t *testing.T, out string) []manifest {
	t.Helper()
	var ms []manifest
	for i, doc := range docSeparator.Split(out, -1) {
		js, err := yaml.YAMLToJSONStrict([]byte(doc))
		if err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		if string(js) == "null" {
			continue // only comments
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := json.Unmarshal(js, &head); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		obj, meta := newObject(head.APIVersion, head.Kind)
		if obj == nil {
			t.Errorf("document %d: no decoder for %s %s: add it to newObject", i, head.APIVersion, head.Kind)
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		if err := dec.Decode(obj); err != nil {
			t.Errorf("document %d (%s): strict decode into %T: %v\n%s", i, head.Kind, obj, err, doc)
			continue
		}
		ms = append(ms, manifest{kind: head.Kind, name: meta.Name, meta: meta, obj: obj})
	}
	return ms
}

// find returns the object of kind and name, or fails the test.
func find[T any](t *testing.T, ms []manifest, kind, name string) T {
	t.Helper()
	for _, m := range ms {
		if m.kind == kind && m.name == name {
			return m.obj.(T)
		}
	}
	t.Fatalf("no %s/%s rendered (have %v)", kind, name, ms)
	var zero T
	return zero
}

// workload is a rendered object that runs pods.
type workload struct {
	manifest
	selector *metav1.LabelSelector // nil for a Job
	pod      *corev1.PodTemplateSpec
	claims   []string // volumeClaimTemplates of a StatefulSet
}

func workloads(ms []manifest) []workload {
	var ws []workload
	for _, m := range ms {
		switch o := m.obj.(type) {
		case *appsv1.Deployment:
			ws = append(ws, workload{m, o.Spec.Selector, &o.Spec.Template, nil})
		case *appsv1.StatefulSet:
			var claims []string
			for _, c := range o.Spec.VolumeClaimTemplates {
				claims = append(claims, c.Name)
			}
			ws = append(ws, workload{m, o.Spec.Selector, &o.Spec.Template, claims})
		case *batchv1.Job:
			ws = append(ws, workload{m, nil, &o.Spec.Template, nil})
		}
	}
	return ws
}

// recommendedLabels are the app.kubernetes.io labels every object carries.
var recommendedLabels = []string{"name", "instance", "version", "component", "part-of", "managed-by"}

// checkManifests runs the checks every rendering must pass.
func checkManifests(t *testing.T, ms []manifest) {
	t.Helper()
	for _, m := range ms {
		for _, l := range recommendedLabels {
			if m.meta.Labels["app.kubernetes.io/"+l] == "" {
				t.Errorf("%s: label app.kubernetes.io/%s missing", m, l)
			}
		}
	}
	ws := workloads(ms)
	for _, w := range ws {
		if w.selector != nil {
			sel, err := metav1.LabelSelectorAsSelector(w.selector)
			if err != nil || !sel.Matches(labels.Set(w.pod.Labels)) {
				t.Errorf("%s: selector %v does not match its pod labels %v (%v)", w, w.selector, w.pod.Labels, err)
			}
		}
		checkPodSecurity(t, w)
	}
	for _, m := range ms {
		if svc, ok := m.obj.(*corev1.Service); ok {
			checkServiceTargets(t, svc, ws)
		}
	}
}

// checkPodSecurity asserts the hardening of one pod template: non-root,
// RuntimeDefault seccomp, no service account token or service links, and per
// container no privilege escalation, a read-only root filesystem, no
// capabilities, resource bounds and a pinned image.
func checkPodSecurity(t *testing.T, w workload) {
	t.Helper()
	spec := w.pod.Spec
	psc := spec.SecurityContext
	switch {
	case psc == nil:
		t.Errorf("%s: no pod securityContext", w)
		return
	case psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot:
		t.Errorf("%s: pod runAsNonRoot is not true", w)
	case psc.RunAsUser == nil || *psc.RunAsUser == 0:
		t.Errorf("%s: pod runAsUser is unset or root", w)
	case psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("%s: pod seccompProfile is not RuntimeDefault", w)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken is not false", w)
	}
	if spec.EnableServiceLinks == nil || *spec.EnableServiceLinks {
		t.Errorf("%s: enableServiceLinks is not false", w)
	}
	volumes := slices.Clone(w.claims)
	for _, v := range spec.Volumes {
		volumes = append(volumes, v.Name)
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		where := fmt.Sprintf("%s container %s", w, c.Name)
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("%s: no securityContext", where)
			continue
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("%s: allowPrivilegeEscalation is not false", where)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("%s: readOnlyRootFilesystem is not true", where)
		case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
			t.Errorf("%s: capabilities do not drop ALL (or add some)", where)
		case sc.Privileged != nil && *sc.Privileged:
			t.Errorf("%s: privileged", where)
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: no memory request and limit", where)
		}
		if _, tag, ok := strings.Cut(c.Image, ":"); !ok || tag == "" || tag == "latest" {
			t.Errorf("%s: image %q has no pinned tag", where, c.Image)
		}
		for _, vm := range c.VolumeMounts {
			if !slices.Contains(volumes, vm.Name) {
				t.Errorf("%s: mounts volume %q, which the pod does not have", where, vm.Name)
			}
		}
	}
}

// checkServiceTargets asserts that a Service selects some pods and that its
// named target ports exist on them.
func checkServiceTargets(t *testing.T, svc *corev1.Service, ws []workload) {
	t.Helper()
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var matched []workload
	for _, w := range ws {
		if w.selector != nil && len(svc.Spec.Selector) > 0 && sel.Matches(labels.Set(w.pod.Labels)) {
			matched = append(matched, w)
		}
	}
	if len(matched) == 0 {
		t.Errorf("Service/%s: selector %v matches no workload", svc.Name, svc.Spec.Selector)
		return
	}
	for _, p := range svc.Spec.Ports {
		for _, w := range matched {
			if name := p.TargetPort.StrVal; name != "" && containerPort(w.pod.Spec, name) == 0 {
				t.Errorf("Service/%s port %s: target port %q not declared by %s", svc.Name, p.Name, name, w)
			}
		}
	}
}

// matchesLabelSelector reports whether set matches sel.
func matchesLabelSelector(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("selector %v: %v", sel, err)
	}
	return s.Matches(labels.Set(set))
}

// containerPort returns the number of the container port called name, or 0.
func containerPort(spec corev1.PodSpec, name string) int32 {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
	}
	return 0
}

// envOf returns the literal environment of c.
func envOf(c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return env
}

// isOrderstream reports whether c runs the orderstream image (the chart's
// default image.repository).
func isOrderstream(c corev1.Container) bool { return strings.HasPrefix(c.Image, "orderstream:") }

// chartInvocations returns how the rendered chart runs the binary.
func chartInvocations(t *testing.T, ms []manifest) []invocation {
	t.Helper()
	var invs []invocation
	for _, w := range workloads(ms) {
		for _, c := range slices.Concat(w.pod.Spec.InitContainers, w.pod.Spec.Containers) {
			if !isOrderstream(c) {
				continue
			}
			if len(c.Command) > 0 {
				t.Errorf("%s container %s: command overrides the image's entrypoint; use args", w, c.Name)
			}
			invs = append(invs, parseInvocation(t, fmt.Sprintf("%s container %s", w, c.Name), c.Args, envOf(c)))
		}
	}
	return invs
}
