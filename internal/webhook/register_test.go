package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/amocrm"
)

// fakeAmo serves amoCRM's /api/v4/webhooks from memory, as its docs
// describe it (https://www.amocrm.ru/developers/content/crm_platform/webhooks-format):
// subscribing a destination again replaces its settings.
type fakeAmo struct {
	mu    sync.Mutex
	hooks map[string]*amocrm.Webhook
	calls []string // "GET ?filter[destination]=…", "POST", "DELETE"
	posts [][]string

	// refuseUnconfirmed answers 400 to a subscription naming an
	// unconfirmed setting.
	refuseUnconfirmed bool
	// stickyDisabled keeps a disabled hook disabled when it is subscribed
	// again (only deleting it clears the flag).
	stickyDisabled bool
	// forbidden answers every call 403 with a detail echoing the
	// destination.
	forbidden bool
	// unavailable answers this many calls 503 before serving.
	unavailable int
}

func newFakeAmo(t *testing.T) (*fakeAmo, *amocrm.Client) {
	t.Helper()
	f := &fakeAmo{hooks: map[string]*amocrm.Webhook{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	client, err := amocrm.NewClient(amocrm.WithBaseURL(srv.URL), amocrm.WithToken("admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	return f, client
}

func (f *fakeAmo) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != "/api/v4/webhooks" {
		http.NotFound(w, r)
		return
	}
	if f.unavailable > 0 {
		f.unavailable--
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var body struct {
		Destination string   `json:"destination"`
		Settings    []string `json:"settings"`
	}
	if r.Method != http.MethodGet {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	f.calls = append(f.calls, strings.TrimSpace(r.Method+" "+r.URL.Query().Get("filter[destination]")))
	if f.forbidden {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"title":"Forbidden","status":403,"detail":"no rights to subscribe %s"}`, body.Destination)
		return
	}
	switch r.Method {
	case http.MethodGet:
		var list []*amocrm.Webhook
		for _, h := range f.hooks {
			if d := r.URL.Query().Get("filter[destination]"); d == "" || d == h.Destination {
				list = append(list, h)
			}
		}
		if len(list) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeHAL(w, map[string]any{"_total_items": len(list), "_embedded": map[string]any{"webhooks": list}})
	case http.MethodPost:
		f.posts = append(f.posts, body.Settings)
		if f.refuseUnconfirmed && slices.ContainsFunc(body.Settings, func(s string) bool { return slices.Contains(unconfirmedSettings, s) }) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"title":"Bad Request","status":400,"detail":"Request validation failed"}`)
			return
		}
		h := f.hooks[body.Destination]
		if h == nil {
			h = &amocrm.Webhook{ID: amocrm.WebhookID(fmt.Sprint(len(f.hooks) + 1)), Destination: body.Destination}
			f.hooks[body.Destination] = h
		}
		h.Settings = body.Settings
		if !f.stickyDisabled {
			h.Disabled = false
		}
		writeHAL(w, h)
	case http.MethodDelete:
		delete(f.hooks, body.Destination)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func writeHAL(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/hal+json")
	_ = json.NewEncoder(w).Encode(v)
}

// seed adds a subscription as if an admin or an earlier run had made it.
func (f *fakeAmo) seed(h *amocrm.Webhook) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks[h.Destination] = h
}

func (f *fakeAmo) hook(dest string) amocrm.Webhook {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h := f.hooks[dest]; h != nil {
		return *h
	}
	return amocrm.Webhook{}
}

func (f *fakeAmo) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

const publicURL = "https://gw.example.com/crm"

var wantDest = "https://gw.example.com/crm/webhooks/amocrm/" + testSecret

func newRegistrar(t *testing.T, client *amocrm.Client, logs *syncBuffer, interval time.Duration) *Registrar {
	t.Helper()
	r, err := NewRegistrar(RegistrarConfig{
		Client: client, PublicURL: publicURL, Secret: testSecret,
		Interval: interval, RetryInterval: interval, Log: zerolog.New(logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if l := logs.String(); strings.Contains(l, testSecret) {
			t.Errorf("the log holds the secret:\n%s", l)
		}
	})
	return r
}

func TestRegistrar_Check(t *testing.T) {
	t.Parallel()
	get := "GET " + wantDest
	tests := []struct {
		name      string
		seed      *amocrm.Webhook
		setup     func(*fakeAmo)
		want      []Outcome // of successive checks
		wantCalls []string
		// wantSettings is the destination's settings at the end.
		wantSettings []string
	}{
		{
			name:         "RegistersOnce",
			want:         []Outcome{Registered, Unchanged, Unchanged},
			wantCalls:    []string{get, "POST", get, get},
			wantSettings: Settings(),
		},
		{
			name:         "AlreadyRegistered",
			seed:         &amocrm.Webhook{ID: "9", Destination: wantDest, Settings: Settings()},
			want:         []Outcome{Unchanged},
			wantCalls:    []string{get},
			wantSettings: Settings(),
		},
		{
			name:         "Disabled",
			seed:         &amocrm.Webhook{ID: "9", Destination: wantDest, Settings: Settings(), Disabled: true},
			want:         []Outcome{Reenabled, Unchanged},
			wantCalls:    []string{get, "POST", get},
			wantSettings: Settings(),
		},
		{
			name:         "DisabledUntilDeleted",
			seed:         &amocrm.Webhook{ID: "9", Destination: wantDest, Settings: Settings(), Disabled: true},
			setup:        func(f *fakeAmo) { f.stickyDisabled = true },
			want:         []Outcome{Reenabled, Unchanged},
			wantCalls:    []string{get, "POST", "DELETE", "POST", get},
			wantSettings: Settings(),
		},
		{
			name:         "KeepsOtherSettings",
			seed:         &amocrm.Webhook{ID: "9", Destination: wantDest, Settings: []string{"note_contact", "add_contact"}},
			want:         []Outcome{Extended, Unchanged},
			wantCalls:    []string{get, "POST", get},
			wantSettings: union([]string{"note_contact", "add_contact"}, Settings()),
		},
		{
			name:         "OtherDestinationsIgnored",
			seed:         &amocrm.Webhook{ID: "9", Destination: "https://gw.example.com/crm/webhooks/amocrm/old", Settings: Settings()},
			want:         []Outcome{Registered, Unchanged},
			wantCalls:    []string{get, "POST", get},
			wantSettings: Settings(),
		},
		{
			name:         "UnconfirmedSettingsRefused",
			setup:        func(f *fakeAmo) { f.refuseUnconfirmed = true },
			want:         []Outcome{Registered, Unchanged},
			wantCalls:    []string{get, "POST", "POST", get},
			wantSettings: confirmedSettings,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, client := newFakeAmo(t)
			if tt.seed != nil {
				f.seed(tt.seed)
			}
			if tt.setup != nil {
				tt.setup(f)
			}
			var logs syncBuffer
			r := newRegistrar(t, client, &logs, time.Hour)
			var got []Outcome
			for range tt.want {
				o, err := r.Check(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, o)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcomes mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, f.callLog()); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			h := f.hook(wantDest)
			if h.Disabled || !cmp.Equal(tt.wantSettings, h.Settings) {
				t.Errorf("destination: disabled %v, settings %v; want enabled with %v", h.Disabled, h.Settings, tt.wantSettings)
			}
		})
	}
}

// TestRegistrar_Gone: a destination removed in amoCRM is registered again
// at the next check.
func TestRegistrar_Gone(t *testing.T) {
	t.Parallel()
	f, client := newFakeAmo(t)
	var logs syncBuffer
	r := newRegistrar(t, client, &logs, time.Hour)
	if o, err := r.Check(t.Context()); err != nil || o != Registered {
		t.Fatalf("first check: %v, %v", o, err)
	}
	if _, err := client.Webhooks.Unsubscribe(t.Context(), wantDest); err != nil {
		t.Fatal(err)
	}
	if o, err := r.Check(t.Context()); err != nil || o != Registered {
		t.Fatalf("after removal: %v, %v; want registered", o, err)
	}
	if h := f.hook(wantDest); h.Destination != wantDest {
		t.Error("the destination is not registered")
	}
}

// TestRegistrar_ErrorRedacted: an upstream error that echoes the
// destination reaches neither the error message nor the log with the
// secret in it, and keeps its type.
func TestRegistrar_ErrorRedacted(t *testing.T) {
	t.Parallel()
	f, client := newFakeAmo(t)
	f.forbidden = true
	var logs syncBuffer
	r := newRegistrar(t, client, &logs, time.Hour)
	_, err := r.Check(t.Context())
	var er *amocrm.ErrorResponse
	if !errors.As(err, &er) || er.Status != http.StatusForbidden {
		t.Fatalf("err = %v, want *amocrm.ErrorResponse 403", err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("the error holds the secret: %v", err)
	}
}

// TestRegistrar_Run: Run registers at start-up, registers again when amoCRM
// disables the destination, and stops with its context.
func TestRegistrar_Run(t *testing.T) {
	t.Parallel()
	f, client := newFakeAmo(t)
	var logs syncBuffer
	r := newRegistrar(t, client, &logs, time.Millisecond)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	// waitCheckAfter waits until a POST after the first n calls has been
	// followed by a GET: the check that subscribed has finished.
	waitCheckAfter := func(n int, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			calls := f.callLog()
			if i := slices.Index(calls[min(n, len(calls)):], "POST"); i >= 0 {
				if slices.Contains(calls[n+i:], "GET "+wantDest) {
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatalf("no subscription %s; calls: %v", what, f.callLog())
	}
	waitCheckAfter(0, "at start-up")
	f.mu.Lock()
	f.hooks[wantDest].Disabled = true
	n := len(f.calls)
	f.mu.Unlock()
	waitCheckAfter(n, "after amoCRM disabled the destination")
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
	if h := f.hook(wantDest); h.Disabled {
		t.Error("the destination is still disabled")
	}
	f.mu.Lock()
	if n := len(f.posts); n != 2 {
		t.Errorf("%d subscriptions, want 2", n)
	}
	f.mu.Unlock()
	if !strings.Contains(logs.String(), "registered it again") {
		t.Errorf("the re-registration is not logged:\n%s", logs.String())
	}
}

func TestDestination(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ public, want string }{
		{"https://gw.example.com", "https://gw.example.com/webhooks/amocrm/" + testSecret},
		{"https://gw.example.com/", "https://gw.example.com/webhooks/amocrm/" + testSecret},
		{"http://127.0.0.1:8080/crm/", "http://127.0.0.1:8080/crm/webhooks/amocrm/" + testSecret},
	} {
		got, err := Destination(tt.public, testSecret)
		if err != nil || got != tt.want {
			t.Errorf("Destination(%q) = %q, %v; want %q", tt.public, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "gw.example.com", "ftp://gw.example.com", "https://u:p@gw.example.com", "https://gw.example.com/?a=1", "https://gw.example.com/#x"} {
		if got, err := Destination(bad, testSecret); err == nil {
			t.Errorf("Destination(%q) = %q, want an error", bad, got)
		}
	}
	if _, err := Destination("https://gw.example.com", "a/b"); err == nil {
		t.Error("Destination accepted a secret with a slash")
	}
	if _, err := NewRegistrar(RegistrarConfig{PublicURL: publicURL, Secret: testSecret}); err == nil {
		t.Error("NewRegistrar accepted no client")
	}
}

// TestRegistrar_RunRetriesSoon: checks that fail at start-up (amoCRM, the
// token or the budget not yet ready) are retried within seconds, not a
// RetryInterval later. Before the backoff, the first retry came after the
// whole minute and this waited in vain.
func TestRegistrar_RunRetriesSoon(t *testing.T) {
	t.Parallel()
	f, client := newFakeAmo(t)
	f.unavailable = 2 // the first check fails, so does the first retry's GET
	var logs syncBuffer
	r, err := NewRegistrar(RegistrarConfig{
		Client: client, PublicURL: publicURL, Secret: testSecret,
		Interval: time.Hour, RetryInterval: time.Minute, Log: zerolog.New(&logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go r.Run(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for f.hook(wantDest).Destination == "" {
		if time.Now().After(deadline) {
			t.Fatalf("not subscribed 30 s after two failed checks; calls: %v\n%s", f.callLog(), logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := strings.Count(logs.String(), "cannot check the subscription"); got != 2 {
		t.Errorf("%d failures logged, want 2:\n%s", got, logs.String())
	}
}
