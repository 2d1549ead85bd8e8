package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRabbitCommandsRejectBadFlags: deliver and watch refuse flags that
// cannot work before they connect anywhere.
func TestRabbitCommandsRejectBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"deliver", "--channel", "fax"}, `unknown channel "fax"`},
		{[]string{"deliver"}, `unknown channel ""`},
		{[]string{"deliver", "--channel", "sms", "--workers", "0"}, "0 workers"},
		{[]string{"deliver", "--channel", "sms", "--amqp-url", ""}, "--amqp-url is required"},
		{[]string{"watch", "--key", " , "}, "--key: no pattern"},
		{[]string{"watch", "--amqp-url", ""}, "--amqp-url is required"},
		{[]string{"deliver", "--channel", "sms", "--amqp-url", "http://x"}, "AMQP scheme must be either"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), tc.args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.wantErr)
		}
	}
}

// TestRelayFlag: process and demo take --amqp-url, empty by default (no
// relay, no RabbitMQ needed).
func TestRelayFlag(t *testing.T) {
	for _, name := range []string{"process", "demo"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{name, "-h"}, &out, &out)
		if err == nil || !strings.Contains(out.String(), "-amqp-url") {
			t.Errorf("%s -h: %v, no --amqp-url in\n%s", name, err, out.String())
		}
	}
}
