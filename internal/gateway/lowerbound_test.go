package gateway

import (
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/amogql/amogql/graph"
)

// TestCostTableLowerBound holds the plan's lower bound of calls (what the
// MAX_CALLS limit reads) to the cost table: exactly the calls measured less
// those the plan cannot foresee (metadata the gateway may find kept, catalogs
// past the first), so never more than the query spends; and a gateway whose MAX_CALLS is the row's measured count
// answers the row instead of refusing it as too complex.
func TestCostTableLowerBound(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	for _, q := range CostQueries {
		t.Run(q.Name, func(t *testing.T) {
			t.Parallel()
			doc, errs := gqlparser.LoadQuery(schema, q.Query)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			p := graph.BuildPlan(doc, doc.Operations[0], nil)
			if want := q.Calls - q.Unplanned; p.Calls != want {
				t.Errorf("plan's lower bound %d calls, want %d (%d measured, %d of them unplanned)", p.Calls, want, q.Calls, q.Unplanned)
			}
			g := startGateway(t, nil, withConfig(func(c *Config) { c.MaxUpstreamCalls = q.Calls }))
			r := g.do(q.Query, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("with MAX_CALLS %d: %+v", q.Calls, r.Errors)
			}
			if got := g.sb.TotalCalls(); got < p.Calls {
				t.Errorf("%d upstream calls, below the plan's lower bound %d", got, p.Calls)
			}
		})
	}
}
