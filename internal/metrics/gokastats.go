package metrics

import (
	"strconv"

	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"
)

// gokaDescs describe the metrics made from goka's statistics.
type gokaDescs struct {
	consumed, produced, consumerLag     *prometheus.Desc
	processorRecovered                  *prometheus.Desc
	viewLag, viewRecovered, viewRecords *prometheus.Desc
}

func newGokaDescs() gokaDescs {
	name := func(n string) string { return prometheus.BuildFQName(Namespace, "", n) }
	return gokaDescs{
		consumed: prometheus.NewDesc(name("processor_messages_consumed_total"),
			"Messages a processor consumed from an input topic since it started.",
			[]string{"group", "topic"}, nil),
		produced: prometheus.NewDesc(name("processor_messages_produced_total"),
			"Messages a processor produced to a topic (outputs and its group table) since it started.",
			[]string{"group", "topic"}, nil),
		consumerLag: prometheus.NewDesc(name("processor_consumer_lag"),
			"Messages of a topic partition a processor has yet to consume: for inputs, as of goka's last "+
				"high-water-mark refresh (once a minute); for the group table, what is left to recover.",
			[]string{"group", "topic", "partition"}, nil),
		processorRecovered: prometheus.NewDesc(name("processor_recovered"),
			"1 once every partition of the processor's group table has recovered its local store and runs "+
				"(always 1 for a group without a table), else 0.",
			[]string{"group"}, nil),
		viewLag: prometheus.NewDesc(name("view_lag"),
			"Messages of a table partition a view has yet to load: while recovering, what is left to "+
				"recover; afterwards, as of goka's last high-water-mark refresh (once a minute).",
			[]string{"table", "partition"}, nil),
		viewRecovered: prometheus.NewDesc(name("view_recovered"),
			"1 once every partition of the view has recovered and is running, else 0.",
			[]string{"table"}, nil),
		viewRecords: prometheus.NewDesc(name("view_records_recovered_total"),
			"Records a view loaded from its table topic since it started, in recovery and afterwards.",
			[]string{"table"}, nil),
	}
}

func (d gokaDescs) describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{d.consumed, d.produced, d.consumerLag, d.processorRecovered, d.viewLag, d.viewRecovered, d.viewRecords} {
		ch <- desc
	}
}

// sample is one metric value before it becomes a prometheus.Metric.
type sample struct {
	desc   *prometheus.Desc
	kind   prometheus.ValueType
	value  float64
	labels []string
}

// processorSamples maps the statistics of the processor of group. Counts
// are summed over partitions; lag is per partition.
func (d gokaDescs) processorSamples(group string, s *goka.ProcessorStats) []sample {
	if s == nil {
		return nil
	}
	consumed := map[string]uint{}
	produced := map[string]uint{}
	var out []sample
	recovered := true
	for part, ps := range s.Group {
		if ps == nil {
			continue
		}
		partition := strconv.Itoa(int(part))
		for topic, in := range ps.Input {
			if in == nil {
				continue
			}
			consumed[topic] += in.Count
			out = append(out, sample{d.consumerLag, prometheus.GaugeValue, float64(inputLag(in)), []string{group, topic, partition}})
		}
		for topic, o := range ps.Output {
			if o != nil {
				produced[topic] += o.Count
			}
		}
		if ts := ps.TableStats; ts != nil {
			if ts.Status != goka.PartitionRunning {
				recovered = false
			}
			table := string(goka.GroupTable(goka.Group(group)))
			out = append(out, sample{d.consumerLag, prometheus.GaugeValue, float64(recoveryLag(ts)), []string{group, table, partition}})
		}
	}
	out = append(out, sample{d.processorRecovered, prometheus.GaugeValue, boolValue(recovered), []string{group}})
	for topic, n := range consumed {
		out = append(out, sample{d.consumed, prometheus.CounterValue, float64(n), []string{group, topic}})
	}
	for topic, n := range produced {
		out = append(out, sample{d.produced, prometheus.CounterValue, float64(n), []string{group, topic}})
	}
	return out
}

// viewSamples maps the statistics of the view of table.
func (d gokaDescs) viewSamples(table string, s *goka.ViewStats) []sample {
	if s == nil {
		return nil
	}
	var (
		out       []sample
		records   uint
		recovered = len(s.Partitions) > 0
	)
	for part, ts := range s.Partitions {
		if ts == nil {
			recovered = false
			continue
		}
		if ts.Status != goka.PartitionRunning {
			recovered = false
		}
		if ts.Input != nil {
			records += ts.Input.Count
		}
		out = append(out, sample{d.viewLag, prometheus.GaugeValue, float64(tableLag(ts)), []string{table, strconv.Itoa(int(part))}})
	}
	out = append(out,
		sample{d.viewRecovered, prometheus.GaugeValue, boolValue(recovered), []string{table}},
		sample{d.viewRecords, prometheus.CounterValue, float64(records), []string{table}},
	)
	return out
}

// inputLag is how many messages are left to consume. goka's OffsetLag is
// the high-water mark (the next offset to be written) minus the last offset
// consumed, so a consumer that is caught up shows 1; goka refreshes it once
// a minute, and not before the first message.
func inputLag(in *goka.InputStats) int64 {
	return max(in.OffsetLag-1, 0)
}

// recoveryLag is how much of a table partition is left to recover: nothing
// once it runs (a processor then writes its table itself). goka starts
// Recovery.Offset at the offset to load and then sets it to each offset
// loaded, so the figure may read one low before the first record.
func recoveryLag(ts *goka.TableStats) int64 {
	switch ts.Status {
	case goka.PartitionRunning, goka.PartitionStopped:
		return 0
	}
	if ts.Recovery == nil || ts.Recovery.Hwm == 0 {
		return 0
	}
	return max(ts.Recovery.Hwm-ts.Recovery.Offset-1, 0)
}

// tableLag is how much a view's partition is behind its table topic: the
// recovery lag until it runs, then the input lag of its catch-up consumer.
func tableLag(ts *goka.TableStats) int64 {
	if ts.Status != goka.PartitionRunning {
		return recoveryLag(ts)
	}
	if ts.Input == nil {
		return 0
	}
	return inputLag(ts.Input)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
