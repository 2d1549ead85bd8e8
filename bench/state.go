package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/user"
)

// Recovery subjects.
const (
	SubjectProcessorCold    = "processor cold start (empty local state)"
	SubjectProcessorRestart = "processor restart (intact local state)"
	SubjectViewCold         = "view cold restore (empty local state)"
)

// Memory subjects.
const (
	ProcessProcessors = "processor process (all groups)"
	ProcessViews      = "view process (views + HTTP)"
)

// Tuning values of the state scenarios.
const (
	// userBatch is how many user records are encoded and produced at once.
	userBatch = 1 << 16
	// childStopTimeout bounds a child's clean shutdown before it is killed.
	childStopTimeout = time.Minute
)

// stateResult is what runState measured for the recovery and memory
// sections.
type stateResult struct {
	recovery []Timed
	memory   []Memory
}

// runState fills the user table with cfg.Users users, then, each in a
// child process of its own with LevelDB state as in production: starts
// every processor on empty local state (a cold recovery of the table),
// restarts them cfg.Runs times on that intact state, and starts the views
// cold cfg.Runs times. Each child reports when it is ready, and its peak
// RSS (VmHWM) when it has shut down.
func runState(ctx context.Context, cfg Config, w io.Writer) (res stateResult, err error) {
	c, err := startCluster(ctx, cfg, "")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	start := time.Now()
	if err := produceUsers(ctx, c, cfg); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "  produced %d user table records in %v\n", cfg.Users, time.Since(start).Round(time.Millisecond))

	dir, err := tempDir(cfg, "state")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	spec := ChildSpec{Brokers: c.kafka.Brokers, Partitions: cfg.Partitions, Timeout: cfg.Timeout, User: userID(cfg.Users - 1)}
	keys := int64(cfg.Users)

	cold := Timed{Subject: SubjectProcessorCold, Records: keys}
	restart := Timed{Subject: SubjectProcessorRestart, Records: keys}
	procMem := Memory{Process: ProcessProcessors, Keys: cfg.Users}
	spec.Role, spec.DataDir = RoleProcessors, filepath.Join(dir, "processors")
	for run := range cfg.Runs + 1 {
		name := "processors-restart"
		if run == 0 {
			name = "processors-cold"
		}
		spec.Profile = profilePath(cfg, max(0, run-1), "child-"+name)
		r, err := runChild(ctx, cfg, spec)
		if err != nil {
			return res, fmt.Errorf("%s: %w", name, err)
		}
		if run == 0 {
			cold.Runs = append(cold.Runs, r.elapsed)
		} else {
			restart.Runs = append(restart.Runs, r.elapsed)
		}
		procMem.Peak, procMem.Ready = max(procMem.Peak, r.peak), max(procMem.Ready, r.ready)
		fmt.Fprintf(w, "  %s: ready in %s, peak RSS %s\n", name, ms(r.elapsed), mib(r.peak))
	}

	view := Timed{Subject: SubjectViewCold, Records: keys}
	viewMem := Memory{Process: ProcessViews, Keys: cfg.Users}
	spec.Role = RoleViews
	for run := range cfg.Runs {
		spec.DataDir = filepath.Join(dir, fmt.Sprintf("views-%d", run))
		spec.Profile = profilePath(cfg, run, "child-views-cold")
		r, err := runChild(ctx, cfg, spec)
		if err != nil {
			return res, fmt.Errorf("views: %w", err)
		}
		view.Runs = append(view.Runs, r.elapsed)
		viewMem.Peak, viewMem.Ready = max(viewMem.Peak, r.peak), max(viewMem.Ready, r.ready)
		fmt.Fprintf(w, "  views-cold: ready in %s, peak RSS %s\n", ms(r.elapsed), mib(r.peak))
		if err := os.RemoveAll(spec.DataDir); err != nil {
			return res, err
		}
	}
	res.recovery = []Timed{cold, restart, view}
	res.memory = []Memory{procMem, viewMem}
	return res, nil
}

// childRun is one child's measurements.
type childRun struct {
	// elapsed is from starting the process to its ready line.
	elapsed     time.Duration
	peak, ready int64 // bytes
}

// runChild starts a child for spec, waits for it to be ready, stops it and
// reads its peak RSS.
func runChild(ctx context.Context, cfg Config, spec ChildSpec) (childRun, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return childRun{}, err
	}
	cmd := cfg.Child(string(b))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return childRun{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return childRun{}, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return childRun{}, fmt.Errorf("start child: %w", err)
	}
	lines := make(chan childStatus, 2)
	scanned := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var st childStatus
			if err := json.Unmarshal(sc.Bytes(), &st); err != nil {
				scanned <- fmt.Errorf("child status %q: %w", sc.Text(), err)
				return
			}
			select {
			case lines <- st:
			default:
			}
		}
		close(lines)
		scanned <- sc.Err()
	}()

	var run childRun
	var readyErr error
	select {
	case st, ok := <-lines:
		run.elapsed = time.Since(start)
		if !ok {
			readyErr = errors.New("child exited before it was ready")
		}
		run.ready, run.peak = st.RSS, st.HWM
	case <-time.After(cfg.Timeout):
		readyErr = fmt.Errorf("child not ready within %v", cfg.Timeout)
	case <-ctx.Done():
		readyErr = ctx.Err()
	}

	// Stop: close stdin, wait for a clean exit and the last status line,
	// kill after a while.
	stdin.Close()
	var waitErr error
	select {
	case waitErr = <-scanned:
		if st, ok := <-lines; ok {
			run.peak = max(run.peak, st.HWM)
		} else if readyErr == nil {
			waitErr = errors.Join(waitErr, errors.New("child stopped without its last status"))
		}
	case <-time.After(childStopTimeout):
		_ = cmd.Process.Kill()
		waitErr = errors.New("child did not stop in time, killed")
	}
	waitErr = errors.Join(waitErr, cmd.Wait())
	if err := errors.Join(readyErr, waitErr); err != nil {
		return run, fmt.Errorf("%w\n%s", err, tail(stderr.String(), 2000))
	}
	return run, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// produceUsers writes cfg.Users user statistics to the user table, as the
// user processor would have left them: each user ordered one to five
// times from one to three restaurants.
func produceUsers(ctx context.Context, c *cluster, cfg Config) error {
	rng := mrand.New(mrand.NewPCG(cfg.Seed, 0x75736572)) // "user"
	codec := new(user.StatsCodec)
	last := time.Now().UTC().Truncate(time.Millisecond)
	var batch []*kgo.Record
	for i := range cfg.Users {
		id := userID(i)
		s := &user.Stats{UserID: id, Restaurants: map[string]int64{}}
		for range 1 + rng.IntN(3) {
			r := fmt.Sprintf("r-%04d", 1+rng.IntN(cfg.Restaurants))
			n := int64(1 + rng.IntN(2))
			s.Restaurants[r] += n
			s.Orders += n
		}
		s.SpentCents = s.Orders * int64(1000+rng.IntN(4000))
		s.FavouriteRestaurant = user.Favourite(s.Restaurants)
		s.LastOrderAt = last.Add(-time.Duration(rng.IntN(86_400_000)) * time.Millisecond)
		p := int32(rng.IntN(cfg.Partitions))
		s.First = exactly.Pos{Partition: p, Offset: int64(rng.IntN(1_000_000))}
		s.Applied = exactly.Applied{p: s.First.Offset + int64(rng.IntN(1000))}
		v, err := codec.Encode(s)
		if err != nil {
			return err
		}
		batch = append(batch, &kgo.Record{Topic: string(user.Table), Key: []byte(id), Value: v})
		if len(batch) == userBatch || i == cfg.Users-1 {
			if err := c.produce(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

// userID is the id of the i-th user of the state scenarios.
func userID(i int) string { return fmt.Sprintf("u-%07d", i+1) }
