package kafkacluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Fetch makes sure the Kafka jars are there: when Classpath finds none and
// no ORDERSTREAM_KAFKA_CLASSPATH is set, it runs Maven on the repository's
// kafka/pom.xml (found in the working directory or one of its parents) to
// copy them into kafka/lib, as .ci/run does. Test binaries of several
// packages may call it at once: a lock file lets one fetch and the others
// wait for it. Without Maven or the pom it returns Classpath's error.
func Fetch(ctx context.Context) (string, error) {
	if cp, err := Classpath(); err == nil || os.Getenv(ClasspathEnv) != "" {
		return cp, err
	}
	pom, err := findPOM()
	if err != nil {
		return "", err
	}
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return Classpath()
	}
	dir := filepath.Dir(pom)
	lock, err := os.OpenFile(filepath.Join(dir, ".fetch.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("fetch kafka: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("fetch kafka: lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if cp, err := Classpath(); err == nil {
		return cp, nil // fetched while we waited
	}
	cmd := exec.CommandContext(ctx, mvn, "-q", "-B", "-f", pom, "dependency:copy-dependencies",
		"-DoutputDirectory="+filepath.Join(dir, "lib"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: %s failed: %v\n%s", ErrNoKafka, cmd, err, out)
	}
	return Classpath()
}

// findPOM returns kafka/pom.xml in the working directory or its parents.
func findPOM() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if pom := filepath.Join(dir, "kafka", "pom.xml"); isFile(pom) {
			return pom, nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.Join(ErrNoKafka, fmt.Errorf("no kafka/pom.xml above %s; %s", wd, FetchHint))
		}
	}
}
