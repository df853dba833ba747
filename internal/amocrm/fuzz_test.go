package amocrm

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fuzzUpstream is one httptest server for a whole fuzz target: starting a
// server per input would make the fuzzer measure net/http, not the client.
// The fuzz function holds mu for each input, so the answer it set is the one
// the client reads.
type fuzzUpstream struct {
	mu     sync.Mutex
	status int
	header string // Content-Type
	body   []byte
}

func (u *fuzzUpstream) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if u.header != "" {
		w.Header().Set("Content-Type", u.header)
	}
	w.Header().Set("X-Request-Id", "fuzz-req-1")
	w.WriteHeader(u.status)
	_, _ = w.Write(u.body)
}

// fuzzCall is one client method that reads a body: a list or a get of some
// resource. It reports whether a value came back and, for a list, how many
// of its items are nil.
type fuzzCall struct {
	name  string
	list  bool
	calls func(context.Context, *Client) (nils int, present bool, resp *Response, err error)
	// nilForEmptyList: the call documents nil for an empty collection.
	nilForEmptyList bool
}

func listCall[T any](name string, f func(context.Context, *Client) ([]*T, *Response, error)) fuzzCall {
	return fuzzCall{name: name, list: true, calls: func(ctx context.Context, c *Client) (int, bool, *Response, error) {
		v, resp, err := f(ctx, c)
		nils := 0
		for _, it := range v {
			if it == nil {
				nils++
			}
		}
		return nils, v != nil, resp, err
	}}
}

func getCall[T any](name string, f func(context.Context, *Client) (*T, *Response, error)) fuzzCall {
	return fuzzCall{name: name, calls: func(ctx context.Context, c *Client) (int, bool, *Response, error) {
		v, resp, err := f(ctx, c)
		return 0, v != nil, resp, err
	}}
}

var fuzzCalls = []fuzzCall{
	listCall("contacts.List", func(ctx context.Context, c *Client) ([]*Contact, *Response, error) {
		return c.Contacts.List(ctx, &ContactListOptions{Limit: 2})
	}),
	getCall("contacts.Get", func(ctx context.Context, c *Client) (*Contact, *Response, error) {
		return c.Contacts.Get(ctx, 3, &GetOptions{With: []string{"leads"}})
	}),
	listCall("leads.List", func(ctx context.Context, c *Client) ([]*Lead, *Response, error) {
		return c.Leads.List(ctx, nil)
	}),
	getCall("leads.Get", func(ctx context.Context, c *Client) (*Lead, *Response, error) {
		return c.Leads.Get(ctx, 1, nil)
	}),
	listCall("companies.List", func(ctx context.Context, c *Client) ([]*Company, *Response, error) {
		return c.Companies.List(ctx, nil)
	}),
	getCall("companies.Get", func(ctx context.Context, c *Client) (*Company, *Response, error) {
		return c.Companies.Get(ctx, 1, nil)
	}),
	listCall("customers.List", func(ctx context.Context, c *Client) ([]*Customer, *Response, error) {
		return c.Customers.List(ctx, nil)
	}),
	getCall("customers.Get", func(ctx context.Context, c *Client) (*Customer, *Response, error) {
		return c.Customers.Get(ctx, 1, nil)
	}),
	listCall("tags.List", func(ctx context.Context, c *Client) ([]*Tag, *Response, error) {
		return c.Tags.List(ctx, "contacts", nil)
	}),
	listCall("catalogs.ListElements", func(ctx context.Context, c *Client) ([]*CatalogElement, *Response, error) {
		return c.Catalogs.ListElements(ctx, 1, nil)
	}),
	listCall("contacts.ListChats", func(ctx context.Context, c *Client) ([]*ChatLink, *Response, error) {
		return c.Contacts.ListChats(ctx, &ChatListOptions{ContactID: []int{1}})
	}),
	listCall("contacts.Update", func(ctx context.Context, c *Client) ([]*Contact, *Response, error) {
		return c.Contacts.Update(ctx, []*UpdateContactRequest{{ID: 3}})
	}),
	func() fuzzCall {
		c := getCall("contacts.UpdateOne", func(ctx context.Context, c *Client) (*Contact, *Response, error) {
			return c.Contacts.UpdateOne(ctx, 3, &UpdateContactRequest{})
		})
		c.nilForEmptyList = true
		return c
	}(),
}

// FuzzDecodeResponse feeds arbitrary answers to the client's list, get and
// update calls. Whatever amoCRM (or a proxy in front of it) sends, the client
// must not panic and must return either a value or a typed error: the one
// CheckResponse makes for a non-2xx status, or one matching ErrUnavailable
// for a 2xx body it cannot decode; a nil value without an error only for an
// empty answer (amoCRM's 204 for "nothing found"). No error may show the token.
//
// The seed corpus (testdata/fuzz/FuzzDecodeResponse) holds the
// documentation's example answers, problem+json errors and the HTML of a 429.
func FuzzDecodeResponse(f *testing.F) {
	up := &fuzzUpstream{}
	srv := httptest.NewServer(up)
	f.Cleanup(srv.Close)
	client, err := NewClient(WithBaseURL(srv.URL), WithToken(testToken))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), uint16(200), false, []byte(`{"_embedded":{"contacts":[{"id":1,"name":"x"}]}}`))
	f.Add(uint8(3<<5|2), uint16(200), true, []byte(`{"_links":{"next":{"href":"x?page=2"}},"_embedded":{"leads":[{"id":1,"custom_fields_values":[{"field_id":1,"values":[{"value":"v"}]}],"_links":{"self":{"href":"x"}},"_embedded":{"companies":[{"id":2,"_links":{"self":{"href":"y"}}}]}}]}}`))

	f.Fuzz(func(t *testing.T, which uint8, status uint16, hal bool, body []byte) {
		call := fuzzCalls[int(which)%len(fuzzCalls)]
		code := 200 + int(status)%400 // 200–599: 1xx are not final answers
		if code >= 300 && code < 400 || code == http.StatusNoContent && len(body) > 0 {
			code = 200 // redirects are the http.Client's business, and a 204 has no body
		}
		up.mu.Lock()
		defer up.mu.Unlock()
		up.status, up.body, up.header = code, body, "application/problem+json"
		if hal {
			up.header = "application/hal+json"
		}

		// Every answer here is complete and immediate: a call that waits for
		// more is a hang. The margin is for a machine busy with other work.
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		defer cancel()
		// The high bits choose what the call leaves undecoded, as the
		// gateway asks for.
		skip := Skip(which>>5) & skipAll
		nils, present, resp, err := call.calls(WithSkip(ctx, skip), client)
		if ctx.Err() != nil {
			t.Fatalf("%s: status %d, %d-byte body: the call hung: %v", call.name, code, len(body), err)
		}

		if err != nil {
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("%s: the error shows the token: %v", call.name, err)
			}
			checkTypedError(t, call.name, code, err)
			if skip != 0 && code < 300 {
				// Skipping may only spare work: a body that fails with
				// parts skipped fails in full too.
				if _, _, _, full := call.calls(ctx, client); full == nil {
					t.Fatalf("%s: skip %b fails where a full decode succeeds: %v", call.name, skip, err)
				}
			}
			return
		}
		if code > 299 {
			t.Fatalf("%s: status %d answered without an error", call.name, code)
		}
		if resp == nil || resp.StatusCode != code || resp.NextPage < 0 || resp.Page < 0 {
			t.Fatalf("%s: response %+v for status %d", call.name, resp, code)
		}
		switch {
		case call.list && !present:
			t.Fatalf("%s: a nil list without an error", call.name)
		case nils > 0:
			// A nil item would be dereferenced by every caller.
			t.Fatalf("%s: %d nil items in the list from %q", call.name, nils, truncate(body))
		case !call.list && !present && !empty(body) && !(call.nilForEmptyList && emptyList(body)):
			t.Fatalf("%s: no value and no error for a %d-byte body %q", call.name, len(body), truncate(body))
		}
	})
}

// checkTypedError asserts that err is what Do promises for the status.
func checkTypedError(t *testing.T, name string, code int, err error) {
	t.Helper()
	var (
		er *ErrorResponse
		rl *RateLimitError
	)
	switch {
	case code == http.StatusTooManyRequests:
		if !errors.As(err, &rl) {
			t.Fatalf("%s: 429 gave %T %v, want *RateLimitError", name, err, err)
		}
	case code > 299:
		if !errors.As(err, &er) || er.Status != code {
			t.Fatalf("%s: %d gave %T %v, want *ErrorResponse with that status", name, code, err, err)
		}
		if code >= 500 && !errors.Is(err, ErrUnavailable) {
			t.Fatalf("%s: %d does not match ErrUnavailable: %v", name, code, err)
		}
	default:
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("%s: a 2xx answer gave %T %v, want an ErrUnavailable", name, err, err)
		}
	}
}

// empty reports whether a body stands for "no entity": nothing, white space
// or a JSON null.
func empty(body []byte) bool {
	s := strings.TrimSpace(string(body))
	return s == "" || s == "null"
}

// emptyList reports whether body is a collection of no contacts, as
// contactOrList reads it.
func emptyList(body []byte) bool {
	var l struct {
		Embedded struct {
			Contacts []json.RawMessage `json:"contacts"`
		} `json:"_embedded"`
	}
	return json.Unmarshal(body, &l) == nil && l.Embedded.Contacts != nil && len(l.Embedded.Contacts) == 0
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// FuzzListOptionsQuery builds list options from arbitrary filter values, ids,
// ranges and orders and checks the query string the client would send: it
// must parse back with url.ParseQuery, and every value must come back exactly
// (every id in order, every name byte for byte, each bound of each range),
// under the filter[...] keys amoCRM reads.
func FuzzListOptionsQuery(f *testing.F) {
	client, err := NewClient(WithBaseURL("https://example.amocrm.ru"), WithToken(testToken))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, search, name1, name2 string, rawIDs []byte, from, to int64, order uint8, page, limit uint8) {
		ids := decodeIDs(rawIDs)
		names := slices.DeleteFunc([]string{name1, name2}, func(s string) bool { return s == "" })
		dir := [2]string{"asc", "desc"}[order&1]
		var ord *Order
		switch (order >> 1) % 4 {
		case 1:
			ord = &Order{UpdatedAt: dir}
		case 2:
			ord = &Order{ID: dir}
		case 3:
			ord = &Order{CreatedAt: dir}
		}
		rng := &Range{From: from, To: to}
		contacts := &ContactListOptions{
			With: []string{"leads"}, Page: int(page), Limit: int(limit), Query: search, Order: ord,
			Filter: &ContactFilter{ID: ids, Name: names, ResponsibleUserID: ids, CreatedAt: rng, UpdatedAt: rng},
		}
		leads := &LeadListOptions{
			Page: int(page), Query: search, Order: ord,
			Filter: &LeadFilter{ID: ids, Name: names, Price: rng, ClosedAt: rng,
				Statuses: LeadStatuses{{PipelineID: int(from), StatusID: int(to)}}},
		}
		for _, tc := range []struct {
			path string
			opts any
		}{{"api/v4/contacts", contacts}, {"api/v4/leads", leads}} {
			u, err := addOptions(tc.path, tc.opts)
			if err != nil {
				t.Fatalf("addOptions: %v", err)
			}
			// The request's URL, as NewRequest resolves it against the base.
			req, err := client.NewRequest(t.Context(), http.MethodGet, u, nil)
			if err != nil {
				t.Fatalf("NewRequest(%q): %v", u, err)
			}
			_, raw, _ := strings.Cut(u, "?")
			if req.URL.RawQuery != raw {
				t.Fatalf("the request's query %q differs from the encoded %q", req.URL.RawQuery, raw)
			}
			q, err := url.ParseQuery(raw)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", raw, err)
			}
			want := func(key string, vals ...string) {
				t.Helper()
				if got := q[key]; !slices.Equal(got, vals) && (len(got) != 0 || len(vals) != 0) {
					t.Fatalf("%s: %s = %q, want %q (query %q)", tc.path, key, got, vals, raw)
				}
			}
			want("filter[id][]", itoas(ids)...)
			want("filter[name][]", names...)
			want("query", nonEmpty(search)...)
			want("page", nonZero(int64(page))...)
			for _, r := range []string{"created_at", "updated_at", "price", "closed_at"} {
				if q.Has("filter["+r+"][from]") || q.Has("filter["+r+"][to]") {
					want("filter["+r+"][from]", nonZero(from)...)
					want("filter["+r+"][to]", nonZero(to)...)
				}
			}
			if tc.path == "api/v4/leads" {
				want("filter[statuses][0][pipeline_id]", strconv.Itoa(int(from)))
				want("filter[statuses][0][status_id]", nonZero(to)...)
			} else {
				want("filter[responsible_user_id][]", itoas(ids)...)
				want("filter[created_at][from]", nonZero(from)...)
				want("limit", nonZero(int64(limit))...)
			}
			n := 0
			for key := range q {
				if strings.HasPrefix(key, "order[") {
					n++
					if v := q.Get(key); v != dir {
						t.Fatalf("%s = %q, want %q", key, v, dir)
					}
				}
			}
			if wantOrder := ord != nil; (n == 1) != wantOrder || n > 1 {
				t.Fatalf("%d order keys in %q, want %v", n, raw, wantOrder)
			}
		}
	})
}

// decodeIDs turns fuzz bytes into ids, four bytes each, any sign: the
// encoder must carry whatever the caller passes.
func decodeIDs(b []byte) []int {
	var ids []int
	for len(b) >= 4 && len(ids) < 300 {
		ids = append(ids, int(int32(binary.LittleEndian.Uint32(b))))
		b = b[4:]
	}
	return ids
}

func itoas(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func nonZero(n int64) []string {
	if n == 0 {
		return nil
	}
	return []string{strconv.FormatInt(n, 10)}
}
