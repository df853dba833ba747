package cache

import (
	"bufio"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amogql/amogql/internal/changes"
)

func TestCache_HitAfterMiss(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		first, bis string // the two URLs asked, relative to the upstream
		wantCalls  int
		wantStatus int
	}{
		{"List", "/api/v4/contacts?limit=50&page=1", "/api/v4/contacts?limit=50&page=1", 1, 200},
		{"ListParametersInAnotherOrder", "/api/v4/contacts?page=1&limit=50", "/api/v4/contacts?limit=50&page=1", 1, 200},
		{"ByID", "/api/v4/leads/5?with=contacts", "/api/v4/leads/5?with=contacts", 1, 200},
		{"NoContent", "/api/v4/contacts/404", "/api/v4/contacts/404", 1, 204},
		{"UnderBasePath", "/acct/api/v4/companies", "/acct/api/v4/companies", 1, 200},
		{"OtherQuery", "/api/v4/contacts?page=1", "/api/v4/contacts?page=2", 2, 200},
		{"NotTheAPI", "/oauth2/access_token", "/oauth2/access_token", 2, 200},
		{"AccountLive", "/api/v4/account", "/api/v4/account", 2, 200},
		{"WebhooksLive", "/api/v4/webhooks", "/api/v4/webhooks", 2, 200},
		{"EventsLive", "/api/v4/events?filter[entity]=contact", "/api/v4/events?filter[entity]=contact", 2, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/404") {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				echo(w, r)
			})
			hc := clientFor(newCache(t), up)
			first := get(t, hc, up.URL+tt.first)
			second := get(t, hc, up.URL+tt.bis)
			if got := up.total(); got != tt.wantCalls {
				t.Errorf("upstream calls = %d, want %d", got, tt.wantCalls)
			}
			if first.status != tt.wantStatus || second.status != tt.wantStatus {
				t.Errorf("statuses = %d, %d, want %d", first.status, second.status, tt.wantStatus)
			}
			if tt.wantCalls == 1 && (second.body != first.body || second.ctype != first.ctype) {
				t.Errorf("replayed %q %q, want %q %q", second.ctype, second.body, first.ctype, first.body)
			}
		})
	}
}

func TestCache_ErrorsNeverKept(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr bool
	}{
		{"400", statusHandler(400), false},
		{"401", statusHandler(401), false},
		{"402", statusHandler(402), false},
		{"403", statusHandler(403), false},
		{"404", statusHandler(404), false},
		{"429", statusHandler(429), false},
		{"500", statusHandler(500), false},
		{"503", statusHandler(503), false},
		{"ConnectionDropped", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, true},
		{"PartialBody", func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			writeRaw(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/hal+json\r\nContent-Length: 100\r\n\r\n{\"_embedded\":")
			conn.Close()
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, tt.handler)
			hc := clientFor(newCache(t), up)
			for range 2 {
				r := do(t.Context(), hc, http.MethodGet, up.URL+"/api/v4/contacts", "t1")
				if (r.err != nil) != tt.wantErr {
					t.Fatalf("error = %v, want error: %v", r.err, tt.wantErr)
				}
			}
			if got := up.count("GET /api/v4/contacts"); got != 2 {
				t.Errorf("upstream calls = %d, want 2 (nothing kept)", got)
			}
		})
	}
}

func statusHandler(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(code)
		w.Write([]byte(`{"status":` + http.StatusText(code) + `}`))
	}
}

func writeRaw(w *bufio.ReadWriter, s string) {
	w.WriteString(s)
	w.Flush()
}

func TestCache_TTL(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	up := newUpstream(t, echo)
	hc := clientFor(newCache(t, WithTTL(time.Minute), WithClock(clk.Now)), up)
	url := up.URL + "/api/v4/contacts"

	get(t, hc, url)
	clk.Add(59 * time.Second)
	get(t, hc, url)
	if got := up.total(); got != 1 {
		t.Fatalf("upstream calls before the TTL = %d, want 1", got)
	}
	clk.Add(time.Second)
	get(t, hc, url)
	if got := up.total(); got != 2 {
		t.Fatalf("upstream calls once the TTL passed = %d, want 2", got)
	}
	get(t, hc, url)
	if got := up.total(); got != 2 {
		t.Fatalf("upstream calls after the refetch = %d, want 2 (kept again)", got)
	}
}

func TestCache_Invalidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   string
		entity changes.Entity
		ids    []int
		drops  bool
	}{
		{"ListByChangeOfAnyOfItsType", "/api/v4/contacts?limit=50", changes.Contacts, []int{5}, true},
		{"ListKeptByOtherType", "/api/v4/contacts?limit=50", changes.Leads, []int{7}, false},
		{"ListWithLeadsByLeadChange", "/api/v4/contacts?with=leads&limit=20", changes.Leads, []int{7}, true},
		{"ListWithSeveralByLast", "/api/v4/contacts?with=leads,customers", changes.Customers, []int{1}, true},
		{"ByIDKeptByOtherID", "/api/v4/contacts/5", changes.Contacts, []int{6}, false},
		{"ByIDBySameID", "/api/v4/contacts/5", changes.Contacts, []int{5}, true},
		{"ByIDByUnknownIDs", "/api/v4/contacts/5", changes.Contacts, nil, true},
		{"ByIDByZeroID", "/api/v4/contacts/5", changes.Contacts, []int{0}, true},
		{"ContactByItsCompany", "/api/v4/contacts/5", changes.Companies, []int{3}, true},
		{"LeadByItsCompany", "/api/v4/leads?filter[id][]=1", changes.Companies, nil, true},
		{"CompanyKeptByContact", "/api/v4/companies/5", changes.Contacts, []int{1}, false},
		{"CompanyWithContactsByContact", "/api/v4/companies/5?with=contacts", changes.Contacts, []int{1}, true},
		{"TagsByTheirEntity", "/api/v4/contacts/tags", changes.Contacts, []int{1}, true},
		{"NotesByTheirEntity", "/api/v4/leads/5/notes", changes.Leads, []int{9}, true},
		{"CustomFieldsKeptByEntity", "/api/v4/contacts/custom_fields", changes.Contacts, []int{1}, false},
		{"CatalogElementsEmbedded", "/api/v4/leads/5?with=catalog_elements", changes.Entity("catalogs"), nil, true},
		{"ChatLinksKeptByContact", "/api/v4/contacts/chats?contact_id[]=5", changes.Contacts, []int{5}, false},
		{"CustomerKeptByLead", "/api/v4/customers/5", changes.Leads, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, echo)
			obs := &counter{}
			c := newCache(t, WithObserver(obs))
			hc := clientFor(c, up)
			get(t, hc, up.URL+tt.path)
			c.Invalidate(tt.entity, tt.ids...)
			get(t, hc, up.URL+tt.path)
			want := 1
			if tt.drops {
				want = 2
			}
			if got := up.total(); got != want {
				t.Errorf("upstream calls = %d, want %d", got, want)
			}
			if got := obs.invalidations(); got != string(tt.entity) {
				t.Errorf("invalidations observed = %q, want %q", got, tt.entity)
			}
		})
	}
}

func TestCache_WritesInvalidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		method, path string
		dropped      []string
		kept         []string
	}{
		{"BatchUpdate", http.MethodPatch, "/api/v4/contacts",
			[]string{"/api/v4/contacts", "/api/v4/contacts/5", "/api/v4/companies?with=contacts", "/api/v4/contacts/tags"},
			[]string{"/api/v4/leads/5", "/api/v4/companies/5"}},
		{"UpdateOne", http.MethodPatch, "/api/v4/contacts/5",
			[]string{"/api/v4/contacts", "/api/v4/contacts/5", "/api/v4/leads/7?with=contacts"},
			[]string{"/api/v4/contacts/6", "/api/v4/leads/7"}},
		{"Link", http.MethodPost, "/api/v4/contacts/5/link",
			[]string{"/api/v4/contacts/5", "/api/v4/leads/7?with=contacts"},
			[]string{"/api/v4/contacts/6"}},
		{"ChatLinks", http.MethodPost, "/api/v4/contacts/chats",
			[]string{"/api/v4/contacts/chats?contact_id[]=5"},
			[]string{"/api/v4/contacts/5", "/api/v4/contacts"}},
		{"ComplexAdd", http.MethodPost, "/api/v4/leads/complex",
			[]string{"/api/v4/leads", "/api/v4/contacts", "/api/v4/companies"},
			[]string{"/api/v4/customers"}},
		{"CatalogElement", http.MethodPatch, "/api/v4/catalogs/3/elements/9",
			[]string{"/api/v4/catalogs/3/elements", "/api/v4/leads/5?with=catalog_elements"},
			[]string{"/api/v4/leads/5"}},
		{"DeleteUnderBasePath", http.MethodDelete, "/acct/api/v4/tasks/5",
			[]string{"/acct/api/v4/tasks", "/acct/api/v4/tasks/5"},
			[]string{"/acct/api/v4/contacts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, echo)
			hc := clientFor(newCache(t), up)
			urls := append(append([]string{}, tt.dropped...), tt.kept...)
			for _, u := range urls {
				get(t, hc, up.URL+u)
			}
			if r := do(t.Context(), hc, tt.method, up.URL+tt.path, "t1"); r.err != nil || r.status != 200 {
				t.Fatalf("%s %s: %d %v", tt.method, tt.path, r.status, r.err)
			}
			before := up.total()
			for _, u := range urls {
				get(t, hc, up.URL+u)
			}
			if got, want := up.total()-before, len(tt.dropped); got != want {
				t.Errorf("upstream calls after the write = %d, want %d (one per dropped read)", got, want)
			}
		})
	}
}

// TestCache_WriteInvalidatesBeforeAndAfter holds a write at the upstream
// while a read of what it changes goes through: the read must not be
// answered from before the write (dropped before it is sent), and the answer
// it fetched, which may predate the write, must not be kept past it
// (dropped again when it returns).
func TestCache_WriteInvalidatesBeforeAndAfter(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	var version atomic.Value
	version.Store("v1")
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			arrived <- struct{}{}
			<-release
			return
		}
		// The read during the write sees the state before it: the
		// write is applied when the upstream answers it.
		w.Write([]byte(version.Load().(string)))
	})
	t.Cleanup(sync.OnceFunc(func() { close(release) }))
	hc := clientFor(newCache(t), up)
	url := up.URL + "/api/v4/contacts"
	get(t, hc, url)

	wrote := make(chan result, 1)
	go func() { wrote <- do(t.Context(), hc, http.MethodPatch, url, "t1") }()
	<-arrived
	if r := get(t, hc, url); r.body != "v1" || up.count("GET /api/v4/contacts") != 2 {
		t.Fatalf("read during the write: %q after %d upstream GETs, want a new call", r.body, up.count("GET /api/v4/contacts"))
	}
	version.Store("v2") // the upstream applies the write before answering it
	release <- struct{}{}
	if r := <-wrote; r.err != nil {
		t.Fatal(r.err)
	}
	if r := get(t, hc, url); r.body != "v2" {
		t.Fatalf("read after the write = %q, want v2 (the answer fetched during the write was kept)", r.body)
	}
}

// TestCache_FetchRacingInvalidationIsNotKept reports a change while a read
// is at the upstream: its answer may predate the change, so it is handed
// to its caller but not kept.
func TestCache_FetchRacingInvalidationIsNotKept(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	var first atomic.Bool
	first.Store(true)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if first.CompareAndSwap(true, false) {
			arrived <- struct{}{}
			<-release
		}
		echo(w, r)
	})
	t.Cleanup(sync.OnceFunc(func() { close(release) }))
	obs := &counter{}
	c := newCache(t, WithObserver(obs))
	hc := clientFor(c, up)
	url := up.URL + "/api/v4/contacts/5"

	done := make(chan result, 1)
	go func() { done <- do(t.Context(), hc, http.MethodGet, url, "t1") }()
	<-arrived
	c.Invalidate(changes.Contacts, 5)
	release <- struct{}{}
	if r := <-done; r.err != nil || r.status != 200 {
		t.Fatalf("racing read: %d %v", r.status, r.err)
	}
	get(t, hc, url)
	if got := up.total(); got != 2 {
		t.Errorf("upstream calls = %d, want 2 (the racing answer was kept)", got)
	}
	if got := obs.stale.Load(); got != 1 {
		t.Errorf("stale stores refused = %d, want 1", got)
	}
	get(t, hc, url)
	if got := up.total(); got != 2 {
		t.Errorf("upstream calls = %d, want 2 (the fresh answer is kept)", got)
	}
}
