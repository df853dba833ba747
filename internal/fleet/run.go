package fleet

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// RunOptions describe `amogql loadtest -replicas`.
type RunOptions struct {
	Exe      string // the gateway binary: this program
	Replicas int
	Clients  int
	Duration time.Duration
	// KillRedisFor is how long Redis stays dead in the last load.
	KillRedisFor time.Duration
	// TokenTTL is the access tokens' lifetime: short enough to expire (and
	// be refreshed, at half its life) within each load.
	TokenTTL time.Duration
}

// Run measures the replicas against the targets and prints what
// it measured: the budget with and without the read cache, the token
// refreshes under load, webhook-to-subscriber latency across replicas, and
// a Redis crash under load.
func Run(ctx context.Context, o RunOptions, out io.Writer) error {
	for _, cache := range []bool{true, false} {
		bed, err := Up(ctx, Setup{Exe: o.Exe, Replicas: o.Replicas, Cache: cache, AccessTokenTTL: o.TokenTTL})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n== %d replicas, %d clients reading a contact each for %s, read cache %v, sandbox enforcing 7 rps with 50 ms latency\n",
			o.Replicas, o.Clients, o.Duration, onOff(cache))
		before, failedBefore := bed.Refreshes(), bed.RefreshFailures()
		r, err := bed.Load(ctx, LoadOptions{Clients: o.Clients, Duration: o.Duration})
		if err != nil {
			bed.Close()
			return err
		}
		r.Write(out)
		fmt.Fprintf(out, "token refreshes  %d calls (tokens live %s, refreshed at half their life), %d refused, %d UNAUTHENTICATED answers\n",
			bed.Refreshes()-before, o.TokenTTL, bed.RefreshFailures()-failedBefore, r.Errors["UNAUTHENTICATED"])
		if cache {
			fmt.Fprintf(out, "\n== webhooks into replica 1, one subscriber on replica %d\n", o.Replicas)
			w, err := bed.Webhooks(ctx, 0, o.Replicas-1, 200, 10*time.Millisecond)
			if err != nil {
				bed.Close()
				return err
			}
			w.Write(out)

			fmt.Fprintf(out, "\n== Redis killed %s into a %s load for %s, then started again (empty); a contact renamed upstream every 500 ms\n",
				o.Duration/3, o.Duration, o.KillRedisFor)
			k, err := bed.Load(ctx, LoadOptions{Clients: o.Clients, Duration: o.Duration, RenameEvery: 500 * time.Millisecond,
				KillRedisAt: o.Duration / 3, KillRedisFor: o.KillRedisFor})
			if err != nil {
				bed.Close()
				return err
			}
			k.Write(out)
			for i, rep := range bed.Fleet.Replicas {
				if n := countPanics(rep.Log()); n > 0 {
					fmt.Fprintf(out, "replica %d: %d panics in its log\n", i+1, n)
				}
			}
		}
		bed.Close()
	}
	return nil
}

// RefreshFailures is how many calls of the sandbox's token endpoint it
// refused: a refresh token spent twice is refused.
func (b *Bed) RefreshFailures() int {
	n := 0
	for _, r := range b.Sandbox.Requests() {
		if r.Route == RefreshRoute && r.Status != http.StatusOK {
			n++
		}
	}
	return n
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func countPanics(log string) int { return strings.Count(log, "panic") }
