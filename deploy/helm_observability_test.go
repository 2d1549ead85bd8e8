package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// prometheusRule is prometheus-operator's monitoring.coreos.com/v1
// PrometheusRule, a custom resource: its spec is decoded as the rule file
// it carries (the shape of deploy/prometheus/alerts.yml), strictly.
type prometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ruleFile `json:"spec"`
}

type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			For         string            `json:"for,omitempty"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

// The chart carries copies of the dashboard and the rules (Helm reads
// files only inside the chart); the originals are the source of truth.
var chartCopies = map[string]string{
	"grafana/orderstream.json": chartDir + "/files/orderstream.json",
	"prometheus/alerts.yml":    chartDir + "/files/alerts.yml",
}

func TestChartFilesAreCopies(t *testing.T) {
	for src, cp := range chartCopies {
		a, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(cp)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s: cp deploy/%s deploy/%s", cp, src, src, cp)
		}
	}
}

func TestChartObservability(t *testing.T) {
	helm := requireHelm(t)
	dashboardJSON, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}

	// Without the operator's API: dashboard and budgets, no PrometheusRule.
	ms := decodeAll(t, renderChart(t, helm))
	checkManifests(t, ms)
	cm := find[*corev1.ConfigMap](t, ms, "ConfigMap", "orderstream-dashboard")
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels %v, want grafana_dashboard: \"1\" (Grafana's sidecar)", cm.Labels)
	}
	if got := cm.Data["orderstream.json"]; got != string(bytes.TrimRight(dashboardJSON, "\n")) {
		t.Errorf("dashboard ConfigMap data differs from %s", dashboardFile)
	}
	if !json.Valid([]byte(cm.Data["orderstream.json"])) {
		t.Error("dashboard ConfigMap: orderstream.json is not JSON")
	}
	for _, m := range ms {
		if m.kind == "PrometheusRule" {
			t.Errorf("%s rendered without monitoring.coreos.com/v1", m)
		}
	}
	pods := map[string]map[string]string{
		"processors": find[*appsv1.StatefulSet](t, ms, "StatefulSet", "orderstream-processors").Spec.Template.Labels,
		"api":        find[*appsv1.Deployment](t, ms, "Deployment", "orderstream-api").Spec.Template.Labels,
	}
	for component, podLabels := range pods {
		pdb := find[*policyv1.PodDisruptionBudget](t, ms, "PodDisruptionBudget", "orderstream-"+component)
		if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("%s PDB maxUnavailable = %v, want 1", component, pdb.Spec.MaxUnavailable)
		}
		if pdb.Spec.Selector == nil || !matchesLabelSelector(t, pdb.Spec.Selector, podLabels) {
			t.Errorf("%s PDB selector %v does not select its pods %v", component, pdb.Spec.Selector, podLabels)
		}
		for other, l := range pods {
			if other != component && matchesLabelSelector(t, pdb.Spec.Selector, l) {
				t.Errorf("%s PDB also selects the %s pods", component, other)
			}
		}
	}

	// With the operator: the PrometheusRule carries alerts.yml unchanged.
	ms = decodeAll(t, renderChart(t, helm, "--api-versions", "monitoring.coreos.com/v1",
		"--set", "prometheusRule.labels.release=kube-prometheus-stack"))
	checkManifests(t, ms)
	rule := find[*prometheusRule](t, ms, "PrometheusRule", "orderstream")
	if rule.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("PrometheusRule labels %v, want release from prometheusRule.labels", rule.Labels)
	}
	var want ruleFile
	readYAMLStrict(t, "prometheus/alerts.yml", &want)
	if len(want.Groups) == 0 || !reflect.DeepEqual(rule.Spec, want) {
		t.Errorf("PrometheusRule spec differs from prometheus/alerts.yml:\n got %+v\nwant %+v", rule.Spec, want)
	}

	// Switched off, each is gone.
	ms = decodeAll(t, renderChart(t, helm, "--api-versions", "monitoring.coreos.com/v1",
		"--set", "prometheusRule.enabled=false", "--set", "grafanaDashboard.enabled=false",
		"--set", "podDisruptionBudget.enabled=false"))
	for _, m := range ms {
		switch m.kind {
		case "PrometheusRule", "ConfigMap", "PodDisruptionBudget":
			t.Errorf("%s rendered although disabled", m)
		}
	}
}

func readYAMLStrict(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
