package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/orderstream/orderstream/bench"
)

func TestBenchRatesFlag(t *testing.T) {
	if got := formatRates(bench.DefaultRates); got != "50,1000" {
		t.Errorf("formatRates(DefaultRates) = %q, want 50,1000", got)
	}
	for _, rates := range []string{"50,x", "0", "-5", "NaN"} {
		var out, errs bytes.Buffer
		err := run(context.Background(), []string{"bench", "--only", "system", "--rates", rates}, &out, &errs)
		if err == nil || !strings.Contains(err.Error(), "rate") {
			t.Errorf("bench --rates %s: err = %v, want a complaint about the rate", rates, err)
		}
	}
}
