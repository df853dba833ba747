package gateway

import (
	"strings"
	"testing"
	"time"
)

// The team workload, shrunk: the whole wiring (Serve, webhook registration
// with the sandbox, renames upstream acknowledged by the gateway, the stale
// check) runs, and with the cache on the team spends fewer calls than the
// queries' minimum without it, reads nothing stale and sees no error.
func TestTeamLoad_Small(t *testing.T) {
	t.Parallel()
	opts := TeamOptions{Clients: 3, Every: 100 * time.Millisecond, Screens: 2, Duration: 800 * time.Millisecond,
		ChangeEvery: 150 * time.Millisecond, Cache: true}
	var out strings.Builder
	rep, err := TeamLoad(t.Context(), opts, &out)
	if err != nil {
		t.Fatalf("TeamLoad: %v\n%s", err, out.String())
	}
	switch {
	case rep.Result.All.Requests == 0 || rep.Checked == 0:
		t.Errorf("nothing was read: %d requests, %d names checked", rep.Result.All.Requests, rep.Checked)
	case rep.Changes == 0:
		t.Error("no contact was renamed upstream")
	case rep.Stale > 0:
		t.Errorf("%d stale reads", rep.Stale)
	case rep.RateLimited+rep.OtherErrors > 0:
		t.Errorf("%d RATE_LIMITED, %d other errors", rep.RateLimited, rep.OtherErrors)
	case rep.Calls >= rep.Minimum:
		t.Errorf("%d upstream calls with the cache, minimum without it %d", rep.Calls, rep.Minimum)
	}
	if t.Failed() || testing.Verbose() {
		t.Log(out.String())
	}
}

// The minimum the team's calls are held to is the cost table's: the
// contact screen of 10000001 costs what the table says, and the list what
// the 50-contact list with the same relations costs.
func TestTeamCosts_MatchCostTable(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	ids, list, screen, err := teamCosts(t.Context(), g.upURL, g.sb)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 20 {
		t.Errorf("list has %d contacts, want 20", len(ids))
	}
	table := map[string]int{}
	for _, q := range CostQueries {
		table[q.Bench] = q.Calls
	}
	if list != table["Contacts50LeadsCompanies"] {
		t.Errorf("list costs %d calls, the cost table's list %d", list, table["Contacts50LeadsCompanies"])
	}
	if screen[10000001] != table["ContactScreen"] {
		t.Errorf("screen of 10000001 costs %d calls, the cost table's %d", screen[10000001], table["ContactScreen"])
	}
}
