package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

type tokenFunc func(ctx context.Context) (string, error)

func (f tokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

func TestAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []Option
		ctxBearer  string // "" = none
		wantHeader string // "" = no request expected
		wantErr    error
	}{
		{name: "StaticToken", wantHeader: "Bearer " + testToken},
		{
			name:       "TokenSourceWins",
			opts:       []Option{WithTokenSource(tokenFunc(func(context.Context) (string, error) { return "oauth-access", nil }))},
			ctxBearer:  "from-caller",
			wantHeader: "Bearer oauth-access",
		},
		{name: "StaticWinsOverCaller", ctxBearer: "from-caller", wantHeader: "Bearer " + testToken},
		{name: "PassThrough", opts: []Option{WithToken("")}, ctxBearer: "Bearer from-caller", wantHeader: "Bearer from-caller"},
		{name: "NoCredentials", opts: []Option{WithToken("")}, wantErr: ErrNoCredentials},
		{
			name:    "TokenSourceEmpty",
			opts:    []Option{WithTokenSource(tokenFunc(func(context.Context) (string, error) { return "", nil }))},
			wantErr: ErrNoCredentials,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, mux := setup(t, tt.opts...)
			var got atomic.Value
			mux.HandleFunc("/api/v4/contacts/1", func(w http.ResponseWriter, r *http.Request) {
				got.Store(r.Header.Get("Authorization"))
				w.WriteHeader(http.StatusNoContent)
			})
			ctx := t.Context()
			if tt.ctxBearer != "" {
				ctx = ContextWithBearer(ctx, tt.ctxBearer)
			}
			_, _, err := client.Contacts.Get(ctx, 1, nil)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || errors.Is(err, ErrUnavailable) {
					t.Errorf("err = %v, want %v (and not ErrUnavailable)", err, tt.wantErr)
				}
				if got.Load() != nil {
					t.Error("an HTTP request was sent without credentials")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Load() != tt.wantHeader {
				t.Errorf("Authorization = %q, want %q", got.Load(), tt.wantHeader)
			}
		})
	}

	t.Run("ResponseKeepsNoToken", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/1", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusUnauthorized, `{"title":"Unauthorized","status":401}`)
		})
		_, resp, err := client.Contacts.Get(t.Context(), 1, nil)
		var er *ErrorResponse
		if !errors.As(err, &er) || resp == nil {
			t.Fatalf("err = %v, want *ErrorResponse", err)
		}
		for _, r := range []*http.Request{resp.Request, er.Response.Request} {
			if r == nil || r.Header.Get("Authorization") != "" {
				t.Errorf("response request = %v, want one without the Authorization header", r)
			}
		}
	})

	t.Run("TokenSourceError", func(t *testing.T) {
		t.Parallel()
		refresh := errors.New("refresh token revoked")
		client, mux := setup(t, WithTokenSource(tokenFunc(func(context.Context) (string, error) { return "", refresh })))
		mux.HandleFunc("/api/v4/contacts/1", func(w http.ResponseWriter, r *http.Request) {
			t.Error("an HTTP request was sent although the token source failed")
		})
		_, _, err := client.Contacts.Get(t.Context(), 1, nil)
		if !errors.Is(err, refresh) || errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want the token source's error (and not ErrUnavailable)", err)
		}
	})
	t.Run("InvalidToken", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t, WithToken(""))
		mux.HandleFunc("/api/v4/contacts/1", func(w http.ResponseWriter, r *http.Request) {
			t.Error("an HTTP request was sent with a malformed token")
		})
		bad := "abc\r\nX-Injected: 1"
		_, _, err := client.Contacts.Get(ContextWithBearer(t.Context(), bad), 1, nil)
		if err == nil || strings.Contains(err.Error(), "abc") || errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want a credentials error that does not quote the token", err)
		}
	})
	t.Run("NoTokenOnRedirectToOtherHost", func(t *testing.T) {
		t.Parallel()
		var otherAuth atomic.Value
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			otherAuth.Store(r.Header.Get("Authorization"))
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(other.Close)
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/contacts/1", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/api/v4/contacts/1", http.StatusFound)
		})
		if _, _, err := client.Contacts.Get(t.Context(), 1, nil); err != nil {
			t.Fatal(err)
		}
		if got := otherAuth.Load(); got != "" {
			t.Errorf("the other host got Authorization %q, want none", got)
		}
	})
}

func TestTransport_LayersAndObserver(t *testing.T) {
	t.Parallel()
	type call struct {
		Status int
		Err    bool
	}
	var (
		mu         sync.Mutex
		calls      []call
		mwSawToken string
	)
	observe := func(req *http.Request, status int, dur time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if dur < 0 {
			t.Errorf("negative duration %s", dur)
		}
		calls = append(calls, call{Status: status, Err: err != nil})
	}
	// A retry middleware: one more attempt after a 5xx. It must see the
	// Authorization header (it runs inside the auth layer).
	retry := func(next http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			mwSawToken = req.Header.Get("Authorization")
			mu.Unlock()
			resp, err := next.RoundTrip(req)
			if err == nil && resp.StatusCode >= 500 {
				resp.Body.Close()
				return next.RoundTrip(req)
			}
			return resp, err
		})
	}
	logs := &syncBuffer{}
	client, mux := setup(t, WithObserver(observe), WithMiddleware(retry), WithLogger(zerolog.New(logs).Level(zerolog.DebugLevel)))
	var n atomic.Int32
	mux.HandleFunc("/api/v4/contacts/1", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	if _, _, err := client.Contacts.Get(t.Context(), 1, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]call{{Status: 503}, {Status: 204}}, calls); diff != "" {
		t.Errorf("observer calls mismatch (-want +got):\n%s", diff)
	}
	if mwSawToken != "Bearer "+testToken {
		t.Errorf("middleware saw Authorization %q, want the bearer token", mwSawToken)
	}
	if lines := strings.Count(logs.String(), "\n"); lines != 2 {
		t.Errorf("got %d log lines, want one per attempt (2):\n%s", lines, logs)
	}
}

func TestTransport_ObserverOnTransportError(t *testing.T) {
	t.Parallel()
	var status atomic.Int32
	var sawErr atomic.Bool
	status.Store(-1)
	client, mux := setup(t, WithObserver(func(req *http.Request, s int, dur time.Duration, err error) {
		status.Store(int32(s))
		sawErr.Store(err != nil)
	}))
	mux.HandleFunc("/api/v4/leads/1", func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	})
	if _, _, err := client.Leads.Get(t.Context(), 1, nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if status.Load() != 0 || !sawErr.Load() {
		t.Errorf("observer got status %d, err %v; want 0 and an error", status.Load(), sawErr.Load())
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransport_LogLine(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	client, mux := setup(t, WithLogger(zerolog.New(logs).Level(zerolog.DebugLevel)))
	mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-42")
		w.WriteHeader(http.StatusNoContent)
	})
	_, _, err := client.Contacts.List(t.Context(), &ContactListOptions{Query: "private-search-term", Filter: &ContactFilter{Name: []string{"Jane Roe"}}})
	if err != nil {
		t.Fatal(err)
	}
	var line struct {
		Level      string   `json:"level"`
		Method     string   `json:"method"`
		Path       string   `json:"path"`
		QueryKeys  []string `json:"query_keys"`
		Status     int      `json:"status"`
		DurationMS *float64 `json:"duration_ms"`
		RequestID  string   `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(logs.String()), &line); err != nil {
		t.Fatalf("log line %q: %v", logs, err)
	}
	if line.Level != "debug" || line.Method != "GET" || line.Path != baseURLPath+"/api/v4/contacts" ||
		line.Status != 204 || line.DurationMS == nil || line.RequestID != "rid-42" ||
		!cmp.Equal(line.QueryKeys, []string{"filter[name][]", "query"}) {
		t.Errorf("log line = %s", logs)
	}
	for _, secret := range []string{"private-search-term", "Jane", testToken} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log line contains %q: %s", secret, logs)
		}
	}

	t.Run("Silent above debug", func(t *testing.T) {
		t.Parallel()
		logs := &syncBuffer{}
		client, mux := setup(t, WithLogger(zerolog.New(logs).Level(zerolog.InfoLevel)))
		mux.HandleFunc("/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		if _, _, err := client.Contacts.List(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		if logs.String() != "" {
			t.Errorf("logged at info level: %s", logs)
		}
	})
}

// TestToken_NeverLeaks sends the token on failing calls of every kind and
// checks that neither the error strings nor the logs contain it.
func TestToken_NeverLeaks(t *testing.T) {
	t.Parallel()
	handlers := map[string]http.HandlerFunc{
		"Unauthorized": func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, 401, `{"title":"Unauthorized","type":"https://httpstatus.es/401","status":401,"detail":"Invalid token"}`)
		},
		"RateLimited": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			w.Write([]byte("<html>429</html>"))
		},
		"ServerError":   func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
		"MalformedJSON": func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, "{") },
		"ConnectionReset": func(w http.ResponseWriter, r *http.Request) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			client, mux := setup(t, WithLogger(zerolog.New(logs).Level(zerolog.TraceLevel)))
			mux.HandleFunc("/api/v4/contacts", h)
			_, _, err := client.Contacts.List(t.Context(), &ContactListOptions{Query: "q"})
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(logs.String(), testToken) {
				t.Errorf("token leaked:\nerror: %v\nlogs: %s", err, logs)
			}
			if logs.String() == "" {
				t.Error("no log line")
			}
		})
	}
}
