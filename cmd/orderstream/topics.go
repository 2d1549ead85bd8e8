package main

import (
	"context"
	"errors"
	"flag"

	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/processors"
)

func init() {
	register("topics", "create every topic the system uses (idempotent)", setupTopics)
}

type topicsConfig struct {
	kafka *kafkaFlags
}

func setupTopics(fs *flag.FlagSet) func(context.Context, *env) error {
	c := &topicsConfig{kafka: addKafkaFlags(fs)}
	return func(ctx context.Context, e *env) error { return runTopics(ctx, e, c) }
}

func runTopics(ctx context.Context, e *env, c *topicsConfig) error {
	kc, err := c.kafka.config("orderstream-topics")
	if err != nil {
		return err
	}
	// The processors' topics and the simulated kitchen's table.
	specs := processors.Topics(kitchenGraph())
	if len(specs) == 0 {
		return errors.New("the processors use no topics")
	}
	// Print what there is even when some topics do not fit: the table
	// shows which.
	infos, err := topics.Ensure(ctx, kc, specs)
	if infos != nil {
		if perr := topics.Print(e.stdout, infos); perr != nil {
			err = errors.Join(err, perr)
		}
	}
	return err
}
