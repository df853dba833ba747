package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// baseURLPath is a non-empty path prefix of the test server, so a request
// built with an absolute path ("/api/v4/...") misses the mux and fails.
const baseURLPath = "/amocrm-test"

// testToken is the static token setup configures; it must never appear in
// an error string or a log line.
const testToken = "test-token-5f2b9c"

// setup starts a test server and returns a Client pointed at it (with a
// static token) and the mux to register upstream handlers on. opts are
// applied after the defaults, so they can override them.
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(underBasePath(t, mux))
	t.Cleanup(srv.Close)
	client, err := NewClient(append([]Option{WithBaseURL(srv.URL + baseURLPath), WithToken(testToken)}, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return client, mux
}

// underBasePath mounts mux under baseURLPath and fails the test on any
// request outside it.
func underBasePath(t *testing.T, mux *http.ServeMux) http.Handler {
	api := http.NewServeMux()
	api.Handle(baseURLPath+"/", http.StripPrefix(baseURLPath, mux))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request to %s: the client must build URLs relative to the base URL %s/", r.URL.Path, baseURLPath)
		http.Error(w, "outside the base URL", http.StatusBadRequest)
	})
	return api
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("request method = %s, want %s", r.Method, want)
	}
}

// testQuery asserts the complete set of query parameters.
func testQuery(t *testing.T, r *http.Request, want url.Values) {
	t.Helper()
	if want == nil {
		want = url.Values{}
	}
	if diff := cmp.Diff(want, r.URL.Query()); diff != "" {
		t.Errorf("query mismatch (-want +got):\n%s", diff)
	}
}

func testHeader(t *testing.T, r *http.Request, key, want string) {
	t.Helper()
	if got := r.Header.Get(key); got != want {
		t.Errorf("header %s = %q, want %q", key, got, want)
	}
}

// testJSONBody asserts that the request body is JSON equal to want.
func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	testHeader(t, r, "Content-Type", "application/json")
	data, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read request body: %v", err)
	}
	var got, wantV any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("request body is not JSON: %v: %s", err, data)
	}
	if err := json.Unmarshal([]byte(want), &wantV); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if diff := cmp.Diff(wantV, got); diff != "" {
		t.Errorf("request body mismatch (-want +got):\n%s", diff)
	}
}

// fixture reads testdata/name: the example payloads of amoCRM's docs.
func fixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// writeJSON answers with a HAL JSON body.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// writeProblem answers with a problem+json body.
func writeProblem(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// testNoLoss asserts that every key and value of the JSON document raw is
// kept when raw is decoded into v and encoded again: nothing upstream sent is
// dropped or altered by the models. A null may come back as an omitted key.
func testNoLoss(t *testing.T, raw string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(raw), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &got); err != nil {
		t.Fatal(err)
	}
	for _, p := range lost("$", want, got) {
		t.Errorf("lost in decoding: %s", p)
	}
}

// lost lists the places where want is not contained in got.
func lost(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: object became %v", path, got)}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok && wv == nil {
				continue // null read as the zero value (e.g. field_code) and omitted again: nothing lost
			}
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: key dropped", path, k))
				continue
			}
			out = append(out, lost(path+"."+k, wv, gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: array %v became %v", path, w, got)}
		}
		var out []string
		for i := range w {
			out = append(out, lost(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: %v became %v", path, want, got)}
		}
		return nil
	}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     []Option
		wantBase string
		wantErr  string
	}{
		{name: "OK", opts: []Option{WithBaseURL("https://example.amocrm.ru")}, wantBase: "https://example.amocrm.ru/"},
		{name: "PathPrefix", opts: []Option{WithBaseURL("http://127.0.0.1:8081/sandbox")}, wantBase: "http://127.0.0.1:8081/sandbox/"},
		{name: "TrailingSlashKept", opts: []Option{WithBaseURL("https://example.kommo.com/")}, wantBase: "https://example.kommo.com/"},
		{name: "NoBaseURL", opts: nil, wantErr: "base URL is required"},
		{name: "EmptyBaseURL", opts: []Option{WithBaseURL("")}, wantErr: "scheme must be http or https"},
		{name: "BadScheme", opts: []Option{WithBaseURL("ftp://example.amocrm.ru")}, wantErr: "scheme must be http or https"},
		{name: "NoHost", opts: []Option{WithBaseURL("https:///api")}, wantErr: "no host"},
		{name: "UserInfo", opts: []Option{WithBaseURL("https://user:pw@example.amocrm.ru")}, wantErr: "user info is not allowed"},
		{name: "Query", opts: []Option{WithBaseURL("https://example.amocrm.ru/?a=b")}, wantErr: "query and fragment"},
		{name: "MaxResponseSize", opts: []Option{WithBaseURL("https://example.amocrm.ru"), WithMaxResponseSize(0)}, wantErr: "max response size must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewClient error = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw@") {
					t.Errorf("error shows the URL password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if got := c.BaseURL.String(); got != tt.wantBase {
				t.Errorf("BaseURL = %s, want %s", got, tt.wantBase)
			}
			if c.Contacts == nil || c.Leads == nil || c.Companies == nil || c.Customers == nil || c.Catalogs == nil || c.Tags == nil {
				t.Error("a service is nil")
			}
			if c.client == http.DefaultClient || c.client.Timeout != defaultTimeout {
				t.Errorf("http client = %p with timeout %s, want an own client with %s", c.client, c.client.Timeout, defaultTimeout)
			}
		})
	}
}

func TestNewClient_KeepsCallersHTTPClient(t *testing.T) {
	t.Parallel()
	base := &http.Transport{}
	hc := &http.Client{Transport: base}
	c, err := NewClient(WithBaseURL("https://example.amocrm.ru"), WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	if hc.Transport != base || hc.Timeout != 0 {
		t.Errorf("NewClient modified the caller's http.Client: transport %T, timeout %s", hc.Transport, hc.Timeout)
	}
	if c.client == hc || c.client.Timeout != defaultTimeout {
		t.Errorf("client shares the caller's *http.Client or has timeout %s", c.client.Timeout)
	}
}

func TestClient_NewRequest(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithBaseURL("https://example.amocrm.ru/base"), WithToken("x"), WithUserAgent("amogql-test/2"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		req, err := c.NewRequest(ctx, http.MethodPost, "api/v4/contacts?limit=2", []*CreateContactRequest{{Name: "A&B <c>"}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := req.URL.String(), "https://example.amocrm.ru/base/api/v4/contacts?limit=2"; got != want {
			t.Errorf("URL = %s, want %s", got, want)
		}
		testHeader(t, req, "User-Agent", "amogql-test/2")
		testHeader(t, req, "Accept", "application/hal+json")
		testJSONBody(t, req, `[{"name":"A&B <c>"}]`)
		if req.GetBody == nil {
			t.Error("GetBody is nil: the body cannot be replayed on redirect or retry")
		}
	})
	for _, path := range []string{"/api/v4/contacts", "https://evil.example/api/v4/contacts", "//evil.example/x", "../oauth2/access_token"} {
		t.Run("Refuses "+path, func(t *testing.T) {
			t.Parallel()
			if _, err := c.NewRequest(ctx, http.MethodGet, path, nil); err == nil {
				t.Errorf("NewRequest(%q) succeeded, want an error", path)
			}
		})
	}
}

func TestClient_Do(t *testing.T) {
	t.Parallel()
	type item struct {
		A int `json:"a"`
	}
	tests := []struct {
		name    string
		opts    []Option
		handler http.HandlerFunc
		check   func(t *testing.T, v *item, resp *Response, err error)
	}{
		{
			name: "OK",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", "req-1")
				writeJSON(w, http.StatusOK, `{"a":1}`)
			},
			check: func(t *testing.T, v *item, resp *Response, err error) {
				if err != nil || v.A != 1 || resp.RequestID != "req-1" || resp.StatusCode != 200 {
					t.Errorf("got %+v, %+v, %v", v, resp, err)
				}
			},
		},
		{
			name:    "NoContent",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
			check: func(t *testing.T, v *item, resp *Response, err error) {
				if err != nil || v.A != 7 || resp == nil || resp.StatusCode != 204 || resp.NextPage != 0 {
					t.Errorf("got %+v, %+v, %v; want v untouched and no error", v, resp, err)
				}
			},
		},
		{
			name:    "EmptyBody",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) },
			check: func(t *testing.T, v *item, resp *Response, err error) {
				if err != nil || v.A != 7 {
					t.Errorf("got %+v, %v; want v untouched and no error", v, err)
				}
			},
		},
		{
			name:    "MalformedJSON",
			handler: func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, `{"a":`) },
			check: func(t *testing.T, v *item, resp *Response, err error) {
				if !errors.Is(err, ErrUnavailable) || resp == nil {
					t.Errorf("err = %v, resp %v; want ErrUnavailable with the response", err, resp)
				}
			},
		},
		{
			name:    "HTMLWith200",
			handler: func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>maintenance</html>") },
			check: func(t *testing.T, v *item, resp *Response, err error) {
				if !errors.Is(err, ErrUnavailable) {
					t.Errorf("err = %v, want ErrUnavailable", err)
				}
			},
		},
		{
			name: "OversizeWithLength",
			opts: []Option{WithMaxResponseSize(16)},
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, `{"a":1,"padding":"xxxxxxxxxxxxxxxxxxxxxxxx"}`)
			},
			check: func(t *testing.T, v *item, resp *Response, err error) {
				if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "limit") {
					t.Errorf("err = %v, want ErrUnavailable about the limit", err)
				}
			},
		},
		{
			name: "OversizeChunked",
			opts: []Option{WithMaxResponseSize(16)},
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				w.(http.Flusher).Flush() // no Content-Length: the limit is found while reading
				io.WriteString(w, `{"a":1,"padding":"xxxxxxxxxxxxxxxxxxxxxxxx"}`)
			},
			check: func(t *testing.T, v *item, resp *Response, err error) {
				if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "limit") {
					t.Errorf("err = %v, want ErrUnavailable about the limit", err)
				}
			},
		},
		{
			name: "ServerError",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeProblem(w, http.StatusBadGateway, "<html>bad gateway</html>")
			},
			check: func(t *testing.T, v *item, resp *Response, err error) {
				var er *ErrorResponse
				if !errors.As(err, &er) || er.Status != 502 || !errors.Is(err, ErrUnavailable) {
					t.Errorf("err = %#v, want *ErrorResponse 502 matching ErrUnavailable", err)
				}
			},
		},
		{
			name: "ClientErrorIsNotUnavailable",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeProblem(w, http.StatusPaymentRequired, `{"title":"Payment Required","status":402}`)
			},
			check: func(t *testing.T, v *item, resp *Response, err error) {
				var er *ErrorResponse
				if !errors.As(err, &er) || er.Status != 402 || errors.Is(err, ErrUnavailable) {
					t.Errorf("err = %v, want *ErrorResponse 402 not matching ErrUnavailable", err)
				}
			},
		},
		{
			name: "ConnectionReset",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			},
			check: func(t *testing.T, v *item, resp *Response, err error) {
				if !errors.Is(err, ErrUnavailable) || resp != nil {
					t.Errorf("err = %v, resp = %v; want ErrUnavailable and no response", err, resp)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, mux := setup(t, tt.opts...)
			mux.HandleFunc("/x", tt.handler)
			req, err := client.NewRequest(t.Context(), http.MethodGet, "x", nil)
			if err != nil {
				t.Fatal(err)
			}
			v := &item{A: 7}
			resp, err := client.Do(req, v)
			tt.check(t, v, resp, err)
		})
	}
}

func TestClient_Do_Context(t *testing.T) {
	t.Parallel()
	block := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

	t.Run("Canceled", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		ctx, cancel := context.WithCancel(t.Context())
		mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) {
			cancel()
			block(w, r)
		})
		req, _ := client.NewRequest(ctx, http.MethodGet, "x", nil)
		_, err := client.Do(req, nil)
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want context.Canceled and not ErrUnavailable", err)
		}
	})
	t.Run("DeadlineExceeded", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		mux.HandleFunc("/x", block)
		req, _ := client.NewRequest(ctx, http.MethodGet, "x", nil)
		_, err := client.Do(req, nil)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want context.DeadlineExceeded and ErrUnavailable", err)
		}
	})
	t.Run("ClientTimeout", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t, WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
		mux.HandleFunc("/x", block)
		req, _ := client.NewRequest(t.Context(), http.MethodGet, "x", nil)
		_, err := client.Do(req, nil)
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want ErrUnavailable", err)
		}
	})
}

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	retryAt := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name            string
		status          int
		header          http.Header
		body            string
		want            error
		wantUnavailable bool
	}{
		{
			name:   "ValidationErrors",
			status: 400,
			body: `{"validation-errors":[{"request_id":"0","errors":[
				{"code":"NotSupportedChoice","path":"custom_fields_values.0.field_id","detail":"The value you selected is not a valid choice."}]}],
				"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed"}`,
			want: &ErrorResponse{
				Status: 400, Title: "Bad Request", Type: "https://httpstatus.es/400", Detail: "Request validation failed",
				ValidationErrors: []ValidationError{{RequestID: "0", Errors: []FieldError{{
					Code: "NotSupportedChoice", Path: "custom_fields_values.0.field_id", Detail: "The value you selected is not a valid choice.",
				}}}},
			},
		},
		{
			name:   "OAuth",
			status: 401,
			body:   `{"hint":"Token has been revoked","title":"Некорректный запрос","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":401,"detail":"Refresh token has been revoked"}`,
			want: &ErrorResponse{Status: 401, Title: "Некорректный запрос", Type: "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
				Detail: "Refresh token has been revoked", Hint: "Token has been revoked"},
		},
		{
			name:   "BlockedHTML",
			status: 403,
			body:   "<html><body>403 Forbidden</body></html>",
			want:   &ErrorResponse{Status: 403},
		},
		{
			name:   "StatusFromHTTP",
			status: 404,
			body:   `{"title":"Not Found","type":"https://httpstatus.es/404","status":400,"detail":"Pipeline not found"}`,
			want:   &ErrorResponse{Status: 404, Title: "Not Found", Type: "https://httpstatus.es/404", Detail: "Pipeline not found"},
		},
		{
			name:   "RateLimited",
			status: 429,
			body:   "<html><body>Too Many Requests</body></html>",
			want:   &RateLimitError{},
		},
		{
			name:   "RateLimitedRetryAfterSeconds",
			status: 429,
			header: http.Header{"Retry-After": {"2"}},
			want:   &RateLimitError{RetryAfter: 2 * time.Second},
		},
		{
			name:   "RateLimitedRetryAfterDate",
			status: 429,
			header: http.Header{"Retry-After": {retryAt}},
			want:   &RateLimitError{RetryAfter: 90 * time.Second},
		},
		{
			name:            "ServerError",
			status:          503,
			body:            `{"title":"Service Unavailable","status":503}`,
			want:            &ErrorResponse{Status: 503, Title: "Service Unavailable"},
			wantUnavailable: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &http.Response{
				StatusCode: tt.status,
				Header:     tt.header,
				Body:       io.NopCloser(strings.NewReader(tt.body)),
				Request:    &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/api/v4/contacts"}},
			}
			if r.Header == nil {
				r.Header = http.Header{}
			}
			err := CheckResponse(r)
			opts := []cmp.Option{
				cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Response" }, cmp.Ignore()),
				// An HTTP date has whole seconds, and a busy machine can
				// take seconds between making the header and reading it;
				// parseRetryAfter's own test is exact.
				cmp.Comparer(func(a, b time.Duration) bool { return (a - b).Abs() <= 10*time.Second }),
			}
			if diff := cmp.Diff(tt.want, err, opts...); diff != "" {
				t.Errorf("CheckResponse mismatch (-want +got):\n%s", diff)
			}
			if got := errors.Is(err, ErrUnavailable); got != tt.wantUnavailable {
				t.Errorf("errors.Is(err, ErrUnavailable) = %v, want %v", got, tt.wantUnavailable)
			}
			if body, _ := io.ReadAll(r.Body); string(body) != tt.body {
				t.Errorf("body after CheckResponse = %q, want it readable again", body)
			}
		})
	}
	t.Run("Success", func(t *testing.T) {
		t.Parallel()
		if err := CheckResponse(&http.Response{StatusCode: 204}); err != nil {
			t.Errorf("CheckResponse(204) = %v", err)
		}
	})
}

func TestErrors_Error(t *testing.T) {
	t.Parallel()
	resp := &http.Response{
		Header:  http.Header{"X-Request-Id": {"abc"}},
		Request: &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/api/v4/contacts", RawQuery: "query=secret-search"}},
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "ErrorResponse",
			err: &ErrorResponse{Response: resp, Status: 400, Title: "Bad Request", Detail: "Request validation failed",
				ValidationErrors: []ValidationError{{RequestID: "1", Errors: []FieldError{{Code: "FieldNotExpected", Path: "custom_fields_values.0.values.0.enum", Detail: "This field was not expected."}}}}},
			want: `amocrm: POST /api/v4/contacts: 400 Bad Request: Request validation failed; request_id "1": custom_fields_values.0.values.0.enum: FieldNotExpected: This field was not expected. [request id abc]`,
		},
		{
			name: "ErrorResponseNoBody",
			err:  &ErrorResponse{Status: 403},
			want: "amocrm: 403 Forbidden",
		},
		{
			name: "Hint",
			err:  &ErrorResponse{Status: 401, Title: "Unauthorized", Hint: "Token has been revoked"},
			want: "amocrm: 401 Unauthorized (Token has been revoked)",
		},
		{
			name: "RateLimitError",
			err:  &RateLimitError{Response: resp, RetryAfter: 3 * time.Second},
			want: "amocrm: POST /api/v4/contacts: 429 Too Many Requests (retry after 3s) [request id abc]",
		},
		{
			name: "ArgumentError",
			err:  &ArgumentError{Arg: "limit", Reason: "must be at most 250, got 251"},
			want: "amocrm: invalid argument limit: must be at most 250, got 251",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"5", 5 * time.Second},
		{"-1", 0},
		{"soon", 0},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestOptions_Encode pins every options struct to its exact query string
// (shown unescaped; on the wire brackets and commas are percent-encoded).
func TestOptions_Encode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts any
		want string
	}{
		{name: "Nil", opts: (*ContactListOptions)(nil), want: ""},
		{name: "Empty", opts: &ContactListOptions{Filter: &ContactFilter{}, Order: &Order{}}, want: ""},
		{name: "GetOptions", opts: &GetOptions{With: []string{"leads", "customers"}}, want: "with=leads,customers"},
		{
			name: "ContactListOptions",
			opts: &ContactListOptions{
				With: []string{"leads", "customers", "catalog_elements"}, Page: 2, Limit: 250, Query: "Иван Петров",
				Filter: &ContactFilter{
					ID: []int{1, 2}, Name: []string{"A", "B"}, CreatedBy: []int{3}, UpdatedBy: []int{4}, ResponsibleUserID: []int{5, 6},
					CreatedAt: &Range{From: 1668784000, To: 1671165900}, UpdatedAt: &Range{From: 1}, ClosestTaskAt: &Range{To: 9},
				},
				Order: &Order{UpdatedAt: "desc"},
			},
			want: "filter[closest_task_at][to]=9&filter[created_at][from]=1668784000&filter[created_at][to]=1671165900" +
				"&filter[created_by][]=3&filter[id][]=1&filter[id][]=2&filter[name][]=A&filter[name][]=B" +
				"&filter[responsible_user_id][]=5&filter[responsible_user_id][]=6&filter[updated_at][from]=1&filter[updated_by][]=4" +
				"&limit=250&order[updated_at]=desc&page=2&query=Иван Петров&with=leads,customers,catalog_elements",
		},
		{
			name: "LeadListOptions",
			opts: &LeadListOptions{
				With: []string{"contacts"}, Limit: 50,
				Filter: &LeadFilter{
					ID: []int{7}, Price: &Range{From: 100, To: 200}, PipelineID: []int{5597036, 5635013},
					Statuses:  []LeadStatus{{PipelineID: 11, StatusID: 142}, {PipelineID: 12}},
					ClosedAt:  &Range{From: 1669825320},
					CreatedAt: &Range{To: 2},
				},
				Order: &Order{CreatedAt: "asc"},
			},
			want: "filter[closed_at][from]=1669825320&filter[created_at][to]=2&filter[id][]=7" +
				"&filter[pipeline_id][]=5597036&filter[pipeline_id][]=5635013&filter[price][from]=100&filter[price][to]=200" +
				"&filter[statuses][0][pipeline_id]=11&filter[statuses][0][status_id]=142&filter[statuses][1][pipeline_id]=12" +
				"&limit=50&order[created_at]=asc&with=contacts",
		},
		{
			name: "CompanyListOptions",
			opts: &CompanyListOptions{With: []string{"contacts", "leads"}, Page: 1, Filter: &CompanyFilter{ID: []int{1}, UpdatedAt: &Range{From: 10, To: 20}}, Order: &Order{ID: "asc"}},
			want: "filter[id][]=1&filter[updated_at][from]=10&filter[updated_at][to]=20&order[id]=asc&page=1&with=contacts,leads",
		},
		{
			name: "CustomerListOptions",
			opts: &CustomerListOptions{Limit: 10, Query: "x", Filter: &CustomerFilter{ID: []int{1, 2}, NextDate: &Range{From: 5}}},
			want: "filter[id][]=1&filter[id][]=2&filter[next_date][from]=5&limit=10&query=x",
		},
		{
			name: "CatalogElementListOptions",
			opts: &CatalogElementListOptions{With: []string{"invoice_link"}, Page: 3, Filter: &CatalogElementFilter{ID: []int{4, 5}}},
			want: "filter[id][]=4&filter[id][]=5&page=3&with=invoice_link",
		},
		{
			name: "ChatListOptions",
			opts: &ChatListOptions{ContactID: []int{3102959, 2}, ChatID: []string{"6cbab3d5-c4c1-46ff-b710-ad59ad10805f"}},
			want: "chat_id[]=6cbab3d5-c4c1-46ff-b710-ad59ad10805f&contact_id[]=3102959&contact_id[]=2",
		},
		{
			name: "TagListOptions",
			opts: &TagListOptions{Page: 1, Limit: 250, Query: "vip", Filter: &TagFilter{ID: []int{2707, 2709}, Name: "VIP"}},
			want: "filter[id][]=2707&filter[id][]=2709&filter[name]=VIP&limit=250&page=1&query=vip",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := addOptions("api/v4/x", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			_, raw, _ := strings.Cut(u, "?")
			got, err := url.QueryUnescape(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("query =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	t.Run("Wire", func(t *testing.T) {
		t.Parallel()
		u, _ := addOptions("api/v4/contacts", &ContactListOptions{With: []string{"leads", "customers"}, Filter: &ContactFilter{ID: []int{1, 2}}})
		if want := "api/v4/contacts?filter%5Bid%5D%5B%5D=1&filter%5Bid%5D%5B%5D=2&with=leads%2Ccustomers"; u != want {
			t.Errorf("URL = %s, want %s", u, want)
		}
	})
}

func TestListOptions_Validate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		call    func(c *Client, ctx context.Context) error
		wantArg string
	}{
		{"ContactsLimit", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.List(ctx, &ContactListOptions{Limit: 251})
			return err
		}, "limit"},
		{"ContactsNegativeLimit", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.List(ctx, &ContactListOptions{Limit: -1})
			return err
		}, "limit"},
		{"ContactsPage", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.List(ctx, &ContactListOptions{Page: -1})
			return err
		}, "page"},
		{"ContactsOrderValue", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.List(ctx, &ContactListOptions{Order: &Order{UpdatedAt: "DESC"}})
			return err
		}, "order[updated_at]"},
		{"ContactsOrderTwoFields", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.List(ctx, &ContactListOptions{Order: &Order{UpdatedAt: "desc", ID: "asc"}})
			return err
		}, "order"},
		{"LeadsLimit", func(c *Client, ctx context.Context) error {
			_, _, err := c.Leads.List(ctx, &LeadListOptions{Limit: 500})
			return err
		}, "limit"},
		{"CompaniesLimit", func(c *Client, ctx context.Context) error {
			_, _, err := c.Companies.List(ctx, &CompanyListOptions{Limit: 251})
			return err
		}, "limit"},
		{"CustomersLimit", func(c *Client, ctx context.Context) error {
			_, _, err := c.Customers.List(ctx, &CustomerListOptions{Limit: 251})
			return err
		}, "limit"},
		{"CatalogLimit", func(c *Client, ctx context.Context) error {
			_, _, err := c.Catalogs.ListElements(ctx, 1, &CatalogElementListOptions{Limit: 251})
			return err
		}, "limit"},
		{"CatalogID", func(c *Client, ctx context.Context) error {
			_, _, err := c.Catalogs.ListElements(ctx, 0, nil)
			return err
		}, "catalogID"},
		{"TagsLimit", func(c *Client, ctx context.Context) error {
			_, _, err := c.Tags.List(ctx, "leads", &TagListOptions{Limit: 251})
			return err
		}, "limit"},
		{"TagsEntityType", func(c *Client, ctx context.Context) error {
			_, _, err := c.Tags.List(ctx, "../account", nil)
			return err
		}, "entityType"},
		{"ContactID", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.Get(ctx, 0, nil)
			return err
		}, "id"},
		{"LeadID", func(c *Client, ctx context.Context) error {
			_, _, err := c.Leads.Get(ctx, -5, nil)
			return err
		}, "id"},
		{"CompanyID", func(c *Client, ctx context.Context) error {
			_, _, err := c.Companies.Get(ctx, 0, nil)
			return err
		}, "id"},
		{"CustomerID", func(c *Client, ctx context.Context) error {
			_, _, err := c.Customers.Get(ctx, 0, nil)
			return err
		}, "id"},
		{"ElementID", func(c *Client, ctx context.Context) error {
			_, _, err := c.Catalogs.GetElement(ctx, 1, 0, nil)
			return err
		}, "id"},
		{"CreateEmpty", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.Create(ctx, nil)
			return err
		}, "reqs"},
		{"CreateNilElement", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.Create(ctx, []*CreateContactRequest{{Name: "a"}, nil})
			return err
		}, "reqs[1]"},
		{"UpdateEmpty", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.Update(ctx, []*UpdateContactRequest{})
			return err
		}, "reqs"},
		{"UpdateNoID", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.Update(ctx, []*UpdateContactRequest{{ID: 1}, {Name: new("x")}})
			return err
		}, "reqs[1].ID"},
		{"UpdateOneID", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.UpdateOne(ctx, 0, &UpdateContactRequest{})
			return err
		}, "id"},
		{"UpdateOneNil", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.UpdateOne(ctx, 3, nil)
			return err
		}, "req"},
		{"UpdateOneConflictingID", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.UpdateOne(ctx, 3, &UpdateContactRequest{ID: 4})
			return err
		}, "req.ID"},
		{"LinkChatsEmpty", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.LinkChats(ctx, nil)
			return err
		}, "reqs"},
		{"LinkChatsContact", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.LinkChats(ctx, []*LinkChatRequest{{ChatID: "x"}})
			return err
		}, "reqs[0].ContactID"},
		{"LinkChatsChat", func(c *Client, ctx context.Context) error {
			_, _, err := c.Contacts.LinkChats(ctx, []*LinkChatRequest{{ContactID: 1}})
			return err
		}, "reqs[0].ChatID"},
	}
	client, mux := setup(t)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("HTTP request %s %s made despite an invalid argument", r.Method, r.URL)
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.call(client, t.Context())
			var ae *ArgumentError
			if !errors.As(err, &ae) || ae.Arg != tt.wantArg {
				t.Errorf("err = %v, want *ArgumentError for %s", err, tt.wantArg)
			}
		})
	}
}

func TestContextWithBearer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"abc", "abc", true},
		{"Bearer abc", "abc", true},
		{"bearer  abc ", "abc", true},
		{"", "", false},
		{"Bearer ", "", false},
		{"Basic dXNlcg==", "Basic dXNlcg==", true}, // not a bearer: kept, and refused by the auth layer
	}
	for _, tt := range tests {
		got, ok := BearerFromContext(ContextWithBearer(t.Context(), tt.in))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ContextWithBearer(%q): got %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
	if _, ok := BearerFromContext(t.Context()); ok {
		t.Error("BearerFromContext of a bare context is ok")
	}
}

func isUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

func TestPageOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		href string
		want int
	}{
		{"https://x.amocrm.ru/api/v4/leads?limit=50&page=2", 2},
		{"https://x.amocrm.ru/api/v4/leads?page=3&limit=50", 3},
		{"https://x.amocrm.ru/api/v4/leads?filter%5Bid%5D%5B%5D=7&page=12#frag", 12},
		{"https://x.amocrm.ru/api/v4/leads?xpage=4&filter%5Bpage%5D=5", 0},
		{"https://x.amocrm.ru/api/v4/leads?page=-1", 0},
		{"https://x.amocrm.ru/api/v4/leads?page=two", 0},
		{"https://x.amocrm.ru/api/v4/leads", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := pageOf(tt.href); got != tt.want {
			t.Errorf("pageOf(%q) = %d, want %d", tt.href, got, tt.want)
		}
	}
}

// A body read into a pooled buffer must not leak into what was decoded
// from it: the next answer overwrites the buffer.
func TestClient_Do_PooledBodiesDoNotAlias(t *testing.T) {
	t.Parallel()
	names := []string{"", "Первый", "Second", "Третий"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/api/v4/contacts/"))
		w.Header().Set("Content-Type", "application/hal+json")
		fmt.Fprintf(w, `{"id":%d,"name":%q,"custom_fields_values":[{"field_id":1,"values":[{"value":%q}]}]}`, i, names[i], names[i])
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(WithBaseURL(srv.URL), WithToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	var got []*Contact
	for i := 1; i < len(names); i++ {
		ct, _, err := c.Contacts.Get(t.Context(), i, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ct)
	}
	for j, ct := range got {
		i := j + 1
		if ct.Name != names[i] || string(ct.CustomFieldsValues[0].Values[0].Value) != strconv.Quote(names[i]) {
			t.Errorf("contact %d = %q / %s, want %q", i, ct.Name, ct.CustomFieldsValues[0].Values[0].Value, names[i])
		}
	}
}

func TestClient_Do_Skip(t *testing.T) {
	t.Parallel()
	const body = `{"_page":1,"_links":{"self":{"href":"https://x/api/v4/leads?page=1"},"next":{"href":"https://x/api/v4/leads?page=2"}},
	"_embedded":{"leads":[{"id":7,"name":"Deal","price":100,
	"custom_fields_values":[{"field_id":1,"values":[{"value":"v"}]}],
	"_links":{"self":{"href":"https://x/api/v4/leads/7"}},
	"_embedded":{"tags":[{"id":3,"name":"hot","color":null}],"companies":[{"id":5,"_links":{"self":{"href":"https://x/api/v4/companies/5"}}}]}}]}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(WithBaseURL(srv.URL), WithToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name              string
		skip              Skip
		wantLinks, wantCF bool
	}{
		{"nothing", 0, true, true},
		{"links", SkipLinks, false, true},
		{"custom fields", SkipCustomFields, true, false},
		{"both", SkipLinks | SkipCustomFields, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			leads, resp, err := c.Leads.List(WithSkip(t.Context(), tt.skip), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.NextPage != 2 {
				t.Errorf("NextPage = %d, want 2 whatever is skipped", resp.NextPage)
			}
			l := leads[0]
			if l.ID != 7 || l.Name != "Deal" || l.Price != 100 || len(l.Embedded.Tags) != 1 || l.Embedded.Companies[0].ID != 5 {
				t.Errorf("plain fields lost: %+v %+v", l, l.Embedded)
			}
			if got := l.Links != nil && l.Embedded.Companies[0].Links != nil; got != tt.wantLinks {
				t.Errorf("links decoded = %v, want %v", got, tt.wantLinks)
			}
			if got := l.CustomFieldsValues != nil; got != tt.wantCF {
				t.Errorf("custom fields decoded = %v, want %v", got, tt.wantCF)
			}
		})
	}
}
