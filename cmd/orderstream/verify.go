package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/orderstream/orderstream/verify"
)

func init() {
	register("verify", "recompute every statistic from the orders log and compare it with the tables (exit 1 on any difference)", setupVerify)
}

type verifyConfig struct {
	kafka    *kafkaFlags
	timeout  time.Duration
	maxDiffs int
}

func setupVerify(fs *flag.FlagSet) func(context.Context, *env) error {
	c := &verifyConfig{kafka: addKafkaFlags(fs)}
	fs.DurationVar(&c.timeout, "timeout", verify.DefaultTimeout, "how long to wait for the processors to catch up with their input (stop writing orders first)")
	fs.IntVar(&c.maxDiffs, "max-diffs", 20, "differences to print per topic")
	return func(ctx context.Context, e *env) error { return runVerify(ctx, e, c) }
}

func runVerify(ctx context.Context, e *env, c *verifyConfig) error {
	kc, err := c.kafka.config("orderstream-verify")
	if err != nil {
		return err
	}
	if c.timeout <= 0 {
		return fmt.Errorf("--timeout %v: want a positive duration", c.timeout)
	}
	if c.maxDiffs < 1 {
		return fmt.Errorf("--max-diffs %d: want at least 1", c.maxDiffs)
	}
	r, err := verify.Run(ctx, verify.Config{Kafka: kc, Timeout: c.timeout, Logger: e.logger})
	if err != nil {
		return err
	}
	if err := r.Print(e.stdout, c.maxDiffs); err != nil {
		return err
	}
	if !r.OK() {
		return errors.New(pluralDiffs(len(r.Differences)))
	}
	return nil
}

func pluralDiffs(n int) string {
	if n == 1 {
		return "1 difference"
	}
	return fmt.Sprintf("%d differences", n)
}
