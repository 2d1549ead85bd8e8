package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/topics"
)

func init() {
	registerWithArgs("catalog", "load FILE", "publish the restaurants and menus of a JSON file to the restaurants topic", setupCatalog)
}

// maxCatalogFile bounds the file catalog load reads.
const maxCatalogFile = 64 << 20

func setupCatalog(fs *flag.FlagSet) func(context.Context, *env) error {
	kf := addKafkaFlags(fs)
	return func(ctx context.Context, e *env) error {
		if len(e.args) != 2 || e.args[0] != "load" {
			return fmt.Errorf("usage: orderstream catalog load FILE [flags], got %q", e.args)
		}
		kc, err := kf.config("orderstream-catalog")
		if err != nil {
			return err
		}
		return loadCatalog(ctx, e, kc, e.args[1])
	}
}

// loadCatalog publishes the catalog in file: every restaurant replaces the
// one with its id; restaurants not in the file stay as they are.
func loadCatalog(ctx context.Context, e *env, kc kafkaconf.Config, file string) error {
	info, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if info.Size() > maxCatalogFile {
		return fmt.Errorf("catalog %s: %d bytes, at most %d", file, info.Size(), maxCatalogFile)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	c, err := catalog.Parse(data)
	if err != nil {
		return fmt.Errorf("catalog %s: %w", file, err)
	}
	if _, err := topics.Ensure(ctx, kc, []topics.Spec{{Name: string(catalog.Table), Table: true}}); err != nil {
		return fmt.Errorf("ensure topic %s: %w", catalog.Table, err)
	}
	if err := emitters.PublishCatalog(ctx, kc, c, e.logger.With("command", "catalog")); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "published %d restaurants to %s\n", len(c.Restaurants), catalog.Table)
	return nil
}
