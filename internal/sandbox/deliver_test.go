package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hook is one webhook a receiver got.
type hook struct {
	header http.Header
	raw    string
	form   url.Values
}

// receiver is a webhook destination on a real socket. It answers status
// (200 unless set) and, while hold is set, keeps each request until the
// test closes release or the sandbox gives up.
type receiver struct {
	srv     *httptest.Server
	status  atomic.Int32
	hold    atomic.Bool
	arrived chan struct{} // one value per request, buffered
	release chan struct{}

	mu  sync.Mutex
	got []hook
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{arrived: make(chan struct{}, 100), release: make(chan struct{})}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Errorf("webhook body %q: %v", raw, err)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, hook{header: r.Header.Clone(), raw: string(raw), form: form})
		rc.mu.Unlock()
		rc.arrived <- struct{}{}
		if rc.hold.Load() {
			select {
			case <-rc.release:
			case <-r.Context().Done():
			}
		}
		if s := rc.status.Load(); s != 0 {
			w.WriteHeader(int(s))
		}
	}))
	t.Cleanup(func() {
		rc.unhold()
		rc.srv.Close()
	})
	return rc
}

func (rc *receiver) unhold() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	select {
	case <-rc.release:
	default:
		close(rc.release)
	}
}

func (rc *receiver) hooks() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hook(nil), rc.got...)
}

// subscribe registers the receiver (under path) for settings.
func subscribe(t *testing.T, srv *httptest.Server, dest string, settings ...string) {
	t.Helper()
	if r := call(t, srv, "POST", "/api/v4/webhooks", map[string]any{"destination": dest, "settings": settings}); r.status != http.StatusOK {
		t.Fatalf("subscribe %s: %d %s", dest, r.status, r.body)
	}
}

// wait flushes the sandbox's deliveries.
func wait(t *testing.T, sb *Sandbox) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := sb.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
}

// createdIDs returns the ids of a POST /api/v4/contacts answer.
func createdIDs(t *testing.T, r reply) []int {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var a struct {
		Embedded struct {
			Contacts []struct{ ID int } `json:"contacts"`
		} `json:"_embedded"`
	}
	r.decode(t, &a)
	var ids []int
	for _, c := range a.Embedded.Contacts {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestWebhooks_CreateDeliversAdd(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithoutDemoData())
	t.Cleanup(sb.Close)
	rc := newReceiver(t)
	subscribe(t, srv, rc.srv.URL+"/amo", "add_contact")

	ids := createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"Webhook Test","responsible_user_id":504141,
		"custom_fields_values":[{"field_code":"PHONE","values":[{"value":"+79990001122","enum_code":"WORK"}]},
		{"field_id":271316,"values":[{"value":"CTO"}]},{"field_id":271320,"values":[{"value":1700000000}]}],
		"_embedded":{"tags":[{"name":"vip"}]}}]`))
	wait(t, sb)

	got := rc.hooks()
	if len(got) != 1 {
		t.Fatalf("got %d webhooks, want 1", len(got))
	}
	h := got[0]
	if ct, ua := h.header.Get("Content-Type"), h.header.Get("User-Agent"); ct != "application/x-www-form-urlencoded" || ua != "amoCRM-WebHook-client/1.0" {
		t.Errorf("Content-Type %q, User-Agent %q", ct, ua)
	}
	id := strconv.Itoa(ids[0])
	var contact struct {
		CreatedAt int64 `json:"created_at"`
	}
	call(t, srv, "GET", "/api/v4/contacts/"+id, nil).decode(t, &contact)
	ts := strconv.FormatInt(contact.CreatedAt, 10)
	want := url.Values{
		"contacts[add][0][id]":                                 {id},
		"contacts[add][0][name]":                               {"Webhook Test"},
		"contacts[add][0][responsible_user_id]":                {"504141"},
		"contacts[add][0][date_create]":                        {ts},
		"contacts[add][0][last_modified]":                      {ts},
		"contacts[add][0][created_user_id]":                    {"504141"},
		"contacts[add][0][modified_user_id]":                   {"504141"},
		"contacts[add][0][type]":                               {"contact"},
		"contacts[add][0][account_id]":                         {strconv.Itoa(AccountID)},
		"contacts[add][0][created_at]":                         {ts},
		"contacts[add][0][updated_at]":                         {ts},
		"contacts[add][0][custom_fields][0][id]":               {"3"},
		"contacts[add][0][custom_fields][0][name]":             {"Телефон"},
		"contacts[add][0][custom_fields][0][code]":             {"PHONE"},
		"contacts[add][0][custom_fields][0][values][0][value]": {"+79990001122"},
		"contacts[add][0][custom_fields][0][values][0][enum]":  {"1"},
		"contacts[add][0][custom_fields][1][id]":               {"271316"},
		"contacts[add][0][custom_fields][1][name]":             {"Должность"},
		"contacts[add][0][custom_fields][1][code]":             {"POSITION"},
		"contacts[add][0][custom_fields][1][values][0][value]": {"CTO"},
		"contacts[add][0][custom_fields][2][id]":               {"271320"},
		"contacts[add][0][custom_fields][2][name]":             {"Дата первого обращения"},
		"contacts[add][0][custom_fields][2][values][0]":        {"1700000000"},
		"contacts[add][0][tags][0][id]":                        {strconv.Itoa(firstNewTagID)},
		"contacts[add][0][tags][0][name]":                      {"vip"},
		"account[subdomain]":                                   {"sandbox"},
		"account[id]":                                          {strconv.Itoa(AccountID)},
		"account[_links][self]":                                {srv.URL},
	}
	if diff := cmp.Diff(want, h.form); diff != "" {
		t.Errorf("form (-want +got):\n%s\nraw: %s", diff, h.raw)
	}
}

func TestWebhooks_UpdatesDeliverOneFormPerWrite(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithoutDemoData())
	t.Cleanup(sb.Close)
	ids := createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"a"},{"name":"b"},{"name":"c"}]`))
	rc := newReceiver(t)
	subscribe(t, srv, rc.srv.URL, "update_contact")

	r := call(t, srv, "PATCH", "/api/v4/contacts/"+strconv.Itoa(ids[1]), `{"name":"single"}`)
	if r.status != http.StatusOK {
		t.Fatalf("single update: %d %s", r.status, r.body)
	}
	r = call(t, srv, "PATCH", "/api/v4/contacts", `[{"id":`+strconv.Itoa(ids[0])+`,"name":"A"},{"id":`+strconv.Itoa(ids[1])+`,"name":"B"},{"id":`+strconv.Itoa(ids[2])+`,"name":"C"}]`)
	if r.status != http.StatusOK {
		t.Fatalf("batch update: %d %s", r.status, r.body)
	}
	wait(t, sb)

	got := rc.hooks()
	if len(got) != 2 {
		t.Fatalf("got %d webhooks, want 2 (one per write)", len(got))
	}
	if f := got[0].form; f.Get("contacts[update][0][id]") != strconv.Itoa(ids[1]) || f.Get("contacts[update][0][name]") != "single" || f.Has("contacts[update][1][id]") {
		t.Errorf("single update delivered %s", got[0].raw)
	}
	for i, name := range []string{"A", "B", "C"} {
		f, k := got[1].form, "contacts[update]["+strconv.Itoa(i)+"]"
		if f.Get(k+"[id]") != strconv.Itoa(ids[i]) || f.Get(k+"[name]") != name || f.Get(k+"[type]") != "contact" {
			t.Errorf("batch item %d: %s", i, got[1].raw)
		}
	}
	if got[1].form.Has("contacts[update][3][id]") || got[1].form.Has("contacts[add][0][id]") {
		t.Errorf("batch delivered more than its 3 updates: %s", got[1].raw)
	}
}

func TestWebhooks_SettingsChooseEvents(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithoutDemoData())
	t.Cleanup(sb.Close)
	adds, updates, both, leads := newReceiver(t), newReceiver(t), newReceiver(t), newReceiver(t)
	subscribe(t, srv, adds.srv.URL, "add_contact")
	subscribe(t, srv, updates.srv.URL, "update_contact")
	subscribe(t, srv, both.srv.URL, "add_contact", "update_contact")
	subscribe(t, srv, leads.srv.URL, "add_lead", "update_lead")

	ids := createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"x"}]`))
	call(t, srv, "PATCH", "/api/v4/contacts/"+strconv.Itoa(ids[0]), `{"name":"y"}`)
	wait(t, sb)

	actions := func(rc *receiver) []string {
		var out []string
		for _, h := range rc.hooks() {
			for _, a := range []string{"add", "update"} {
				if h.form.Has("contacts[" + a + "][0][id]") {
					out = append(out, a)
				}
			}
		}
		return out
	}
	for _, tt := range []struct {
		name string
		rc   *receiver
		want []string
	}{
		{"add_contact", adds, []string{"add"}},
		{"update_contact", updates, []string{"update"}},
		{"both", both, []string{"add", "update"}},
		{"leads only", leads, nil},
	} {
		if got := actions(tt.rc); !cmp.Equal(got, tt.want) {
			t.Errorf("%s got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWebhooks_OrderPerDestination(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithoutDemoData())
	t.Cleanup(sb.Close)
	ids := createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"x"}]`))
	rc := newReceiver(t)
	subscribe(t, srv, rc.srv.URL, "update_contact")
	const n = 20
	for i := range n {
		call(t, srv, "PATCH", "/api/v4/contacts/"+strconv.Itoa(ids[0]), `{"name":"v`+strconv.Itoa(i)+`"}`)
	}
	wait(t, sb)
	got := rc.hooks()
	if len(got) != n {
		t.Fatalf("got %d webhooks, want %d", len(got), n)
	}
	for i, h := range got {
		if name := h.form.Get("contacts[update][0][name]"); name != "v"+strconv.Itoa(i) {
			t.Errorf("webhook %d carries %q: out of order", i, name)
		}
	}
}

func TestWebhooks_UnsubscribedGetsNothing(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithoutDemoData())
	t.Cleanup(sb.Close)
	rc := newReceiver(t)
	subscribe(t, srv, rc.srv.URL, "add_contact")
	call(t, srv, "DELETE", "/api/v4/webhooks", map[string]any{"destination": rc.srv.URL})
	createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"x"}]`))
	wait(t, sb)
	if got := rc.hooks(); len(got) != 0 {
		t.Errorf("unsubscribed destination got %d webhooks", len(got))
	}
}

func TestWebhooks_FailingDestinationIsDisabled(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []WebhookDelivery
	sb, srv := start(t, WithoutDemoData(), WithWebhookDisableAfter(3), WithWebhookObserver(func(d WebhookDelivery) {
		mu.Lock()
		seen = append(seen, d)
		mu.Unlock()
	}))
	t.Cleanup(sb.Close)
	rc := newReceiver(t)
	rc.status.Store(http.StatusInternalServerError)
	subscribe(t, srv, rc.srv.URL, "add_contact")

	for i := range 5 {
		createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"x`+strconv.Itoa(i)+`"}]`))
		wait(t, sb)
		disabled := webhooksList(t, call(t, srv, "GET", "/api/v4/webhooks", nil))[0].Disabled
		if want := i >= 2; disabled != want {
			t.Errorf("after %d failed deliveries disabled = %v, want %v", min(i+1, 3), disabled, want)
		}
	}
	if got := len(rc.hooks()); got != 3 {
		t.Errorf("destination got %d webhooks, want 3 (nothing once disabled)", got)
	}
	mu.Lock()
	if len(seen) != 3 || seen[0].Status != http.StatusInternalServerError || seen[0].Err == nil || seen[1].Disabled || !seen[2].Disabled {
		t.Errorf("observer saw %+v", seen)
	}
	mu.Unlock()

	// Subscribing again enables it, as a gateway re-registering would.
	rc.status.Store(http.StatusOK)
	subscribe(t, srv, rc.srv.URL, "add_contact")
	if webhooksList(t, call(t, srv, "GET", "/api/v4/webhooks", nil))[0].Disabled {
		t.Error("re-subscribing left it disabled")
	}
	createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"back"}]`))
	wait(t, sb)
	if got := rc.hooks(); len(got) != 4 || got[3].form.Get("contacts[add][0][name]") != "back" {
		t.Errorf("after re-subscribing got %d webhooks", len(got))
	}
}

func TestWebhooks_HangingDestinationNeverBlocksWrites(t *testing.T) {
	t.Parallel()
	var timedOut atomic.Int32
	sb, srv := start(t, WithoutDemoData(), WithWebhookTimeout(100*time.Millisecond), WithWebhookObserver(func(d WebhookDelivery) {
		if errors.Is(d.Err, context.DeadlineExceeded) {
			timedOut.Add(1)
		}
	}))
	t.Cleanup(sb.Close)
	hung, fine := newReceiver(t), newReceiver(t)
	hung.hold.Store(true)
	subscribe(t, srv, hung.srv.URL, "add_contact", "update_contact")
	subscribe(t, srv, fine.srv.URL, "add_contact")

	ids := createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"x"}]`))
	<-hung.arrived // the hung destination now holds the first webhook
	// Writes go on being answered while it does, and so does the other
	// destination.
	if r := call(t, srv, "PATCH", "/api/v4/contacts/"+strconv.Itoa(ids[0]), `{"name":"y"}`); r.status != http.StatusOK {
		t.Fatalf("update while a destination hangs: %d %s", r.status, r.body)
	}
	<-fine.arrived
	wait(t, sb)
	if got := timedOut.Load(); got != 2 {
		t.Errorf("%d deliveries timed out, want 2", got)
	}
	if got := len(hung.hooks()); got != 2 {
		t.Errorf("hung destination got %d webhooks, want 2 in turn", got)
	}
}

func TestWebhooks_CloseStopsDelivery(t *testing.T) {
	t.Parallel()
	sb, srv := start(t, WithoutDemoData())
	rc := newReceiver(t)
	rc.hold.Store(true)
	subscribe(t, srv, rc.srv.URL, "add_contact")
	createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"x"}]`))
	<-rc.arrived
	sb.Close() // cancels the held delivery and returns once it is done
	createdIDs(t, call(t, srv, "POST", "/api/v4/contacts", `[{"name":"y"}]`))
	wait(t, sb)
	if got := len(rc.hooks()); got != 1 {
		t.Errorf("got %d webhooks, want only the one before Close", got)
	}
}
