package metrics

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// labelKey renders labels as a stable string, e.g. code="200",method="GET".
func labelKey(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for k, v := range labels {
		parts = append(parts, fmt.Sprintf("%s=%q", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// histogramCounts gathers the histogram family name and returns its sample
// count per label set.
func histogramCounts(t *testing.T, m *Metrics, name string) map[string]uint64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, metric := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range metric.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[labelKey(labels)] = metric.GetHistogram().GetSampleCount()
		}
	}
	return out
}
