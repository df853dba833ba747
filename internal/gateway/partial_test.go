package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/amogql/amogql/internal/sandbox"
)

// failing puts a fault-injecting proxy between the gateway and its
// upstream: a request for which fail returns a status is answered with it
// (problem+json, as amoCRM answers) and never reaches the upstream.
func failing(t *testing.T, fail func(*http.Request) int) gatewayOption {
	return failingWith(t, fail, "")
}

// failingWith is failing with body as the injected answer's body.
func failingWith(t *testing.T, fail func(*http.Request) int, body string) gatewayOption {
	return func(c *Config) {
		target, err := url.Parse(c.BaseURL)
		if err != nil {
			t.Fatal(err)
		}
		proxy := httputil.NewSingleHostReverseProxy(target)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if status := fail(r); status != 0 {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(status)
				if body != "" {
					fmt.Fprint(w, body)
					return
				}
				fmt.Fprintf(w, `{"title":%q,"type":"https://httpstatus.es/%d","status":%d,"detail":"injected"}`, http.StatusText(status), status, status)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		c.BaseURL = srv.URL
	}
}

// onPath fails the calls whose method and path are the given ones.
func onPath(method, path string, status int) func(*http.Request) int {
	return func(r *http.Request) int {
		if r.Method == method && r.URL.Path == path {
			return status
		}
		return 0
	}
}

// TestPartialFailure_RelationFailsAlone: a relation whose own upstream call
// fails is null at its path with one coded error there; its parents and
// every other field stay in the answer.
func TestPartialFailure_RelationFailsAlone(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query, path, field, code string
		status                         int
	}{
		{"chats need admin rights", `{ contacts(first: 5) { nodes { id name chats { chatId } } } }`,
			"/api/v4/contacts/chats", "chats", "FORBIDDEN", http.StatusForbidden},
		{"customers on an unpaid account", `{ contacts(first: 5, filter: {ids: [3, 7143599, 7767065]}) { nodes { id name customers { name } } } }`,
			"/api/v4/customers", "customers", "PAYMENT_REQUIRED", http.StatusPaymentRequired},
		{"leads", `{ contacts(first: 5, filter: {ids: [3, 7143599, 7767065]}) { nodes { id name leads { name } } } }`,
			"/api/v4/leads", "leads", "UPSTREAM_UNAVAILABLE", http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gw := startGateway(t, nil, failing(t, onPath(http.MethodGet, tc.path, tc.status)))
			r := gw.do(tc.query, nil)
			var data struct {
				Contacts struct {
					Nodes []map[string]json.RawMessage `json:"nodes"`
				} `json:"contacts"`
			}
			if err := json.Unmarshal(r.Data, &data); err != nil || data.Contacts.Nodes == nil {
				t.Fatalf("data = %s (%v); want the contacts standing, errors: %+v", r.Data, err, r.Errors)
			}
			nodes := data.Contacts.Nodes
			if len(nodes) == 0 {
				t.Fatal("no contacts")
			}
			// A contact with nothing to fetch keeps its empty list; every
			// other one has the field null and exactly one error at its path.
			paths := map[string]int{}
			for i, e := range r.Errors {
				paths[fmt.Sprint(e.Path)]++
				if r.code(i) != tc.code {
					t.Errorf("error %d code %s, want %s", i, r.code(i), tc.code)
				}
			}
			failed := 0
			for i, n := range nodes {
				if len(n["name"]) < 2 {
					t.Errorf("node %d lost its name: %v", i, n)
				}
				at := fmt.Sprintf("[contacts nodes %d %s]", i, tc.field)
				switch string(n[tc.field]) {
				case "null":
					failed++
					if paths[at] != 1 {
						t.Errorf("%d errors at %s, want 1", paths[at], at)
					}
				case "[]":
				default:
					t.Errorf("node %d: %s = %s, want null (its call failed) or []", i, tc.field, n[tc.field])
				}
			}
			if failed == 0 || failed != len(r.Errors) {
				t.Errorf("%d fields failed, %d errors: %+v", failed, len(r.Errors), r.Errors)
			}
		})
	}
}

// TestPartialFailure_WritesAlwaysReported: three aliased creates where the
// third is refused by amoCRM's rate limit report the two that were made.
func TestPartialFailure_WritesAlwaysReported(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	gw := startGateway(t, sb, withConfig(func(c *Config) { c.RPS = 0 }))
	sb.SetFaults(sandbox.Faults{EnforceRPS: 2})
	r := gw.do(`mutation {
	  a: createContacts(input: [{name: "A", requestId: "a"}]) { contacts { id requestId } userErrors { code message index requestId } }
	  b: createContacts(input: [{name: "B", requestId: "b"}]) { contacts { id requestId } userErrors { code message index requestId } }
	  c: createContacts(input: [{name: "C", requestId: "c"}]) { contacts { id requestId } userErrors { code message index requestId } }
	}`, nil)
	type payload struct {
		Contacts []struct {
			ID        string `json:"id"`
			RequestID string `json:"requestId"`
		} `json:"contacts"`
		UserErrors []struct {
			Code      string `json:"code"`
			Index     *int   `json:"index"`
			RequestID string `json:"requestId"`
		} `json:"userErrors"`
	}
	var data map[string]payload
	if err := json.Unmarshal(r.Data, &data); err != nil || data == nil {
		t.Fatalf("data = %s; want every payload, errors: %+v", r.Data, r.Errors)
	}
	for _, k := range []string{"a", "b"} {
		if p := data[k]; len(p.Contacts) != 1 || p.Contacts[0].ID == "" || p.Contacts[0].RequestID != k || len(p.UserErrors) != 0 {
			t.Errorf("%s = %+v; want the created contact", k, p)
		}
	}
	if p := data["c"]; len(p.Contacts) != 0 || len(p.UserErrors) != 1 || p.UserErrors[0].Code != "RATE_LIMITED" || p.UserErrors[0].RequestID != "c" {
		t.Errorf("c = %+v; want one RATE_LIMITED user error for its item", p)
	}
	if n := gw.calls("POST /api/v4/contacts"); n != 3 {
		t.Errorf("%d POSTs, want 3", n)
	}
	if n := gw.calls("GET /api/v4/contacts"); n != 0 {
		t.Errorf("%d reads back for payloads that select only ids, want 0", n)
	}
}

// TestPartialFailure_ReadBackFails: a contact that was created but cannot be
// read back is reported with its id, not hidden behind a top-level error.
func TestPartialFailure_ReadBackFails(t *testing.T) {
	t.Parallel()
	gw := startGateway(t, nil, failing(t, onPath(http.MethodGet, "/api/v4/contacts", http.StatusPaymentRequired)))
	r := gw.do(`mutation { createContacts(input: [{name: "Read me", requestId: "r1"}]) {
	  contacts { id name } userErrors { code message index requestId id } } }`, nil)
	var data struct {
		CreateContacts struct {
			Contacts   []map[string]any `json:"contacts"`
			UserErrors []struct {
				Code      string `json:"code"`
				Message   string `json:"message"`
				RequestID string `json:"requestId"`
				ID        string `json:"id"`
			} `json:"userErrors"`
		} `json:"createContacts"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || len(r.Errors) != 0 {
		t.Fatalf("data = %s, errors %+v; want a payload", r.Data, r.Errors)
	}
	p := data.CreateContacts
	if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "READ_BACK_FAILED" || p.UserErrors[0].ID == "" || p.UserErrors[0].RequestID != "r1" {
		t.Fatalf("payload = %+v; want one READ_BACK_FAILED naming the new contact", p)
	}
	if !strings.Contains(p.UserErrors[0].Message, "PAYMENT_REQUIRED") {
		t.Errorf("message %q does not say why the read failed", p.UserErrors[0].Message)
	}
	if n := gw.calls("POST /api/v4/contacts"); n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
}

// TestUpdateContact_Missing: updating a contact amoCRM does not have answers
// a payload with a NotFound user error, as the batch update does.
func TestUpdateContact_Missing(t *testing.T) {
	t.Parallel()
	gw := startGateway(t, nil)
	for _, q := range []string{
		`mutation { updateContact(input: {id: 999999999, name: "x"}) { contact { id } userErrors { code field } } }`,
		`mutation { updateContacts(input: [{id: 999999999, name: "x"}]) { contacts { id } userErrors { code field } } }`,
	} {
		r := gw.do(q, nil)
		if len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"code":"NotFound"`) {
			t.Errorf("%s\n= %s %+v; want a NotFound user error in the payload", q, r.Data, r.Errors)
		}
	}
}

// TestMutation_IDsOnlyReadNothingBack: a payload that selects only ids and
// request ids is answered from the write itself.
func TestMutation_IDsOnlyReadNothingBack(t *testing.T) {
	t.Parallel()
	gw := startGateway(t, nil)
	cases := []struct {
		query string
		reads int
	}{
		{`mutation { createContacts(input: [{name: "A"}]) { contacts { id requestId __typename } userErrors { code } } }`, 0},
		{`mutation { updateContacts(input: [{id: 3, name: "Иван Иванов"}]) { contacts { ...C } userErrors { code } } } fragment C on Contact { id }`, 0},
		{`mutation { updateContact(input: {id: 3, name: "Иван Иванов"}) { contact { id } userErrors { code } } }`, 0},
		{`mutation { createContacts(input: [{name: "A"}]) { contacts { id name } userErrors { code } } }`, 1},
	}
	for _, tc := range cases {
		gw.sb.ResetCalls()
		r := gw.do(tc.query, nil)
		if len(r.Errors) != 0 || strings.Contains(string(r.Data), `"code"`) {
			t.Errorf("%s: %s %+v", tc.query, r.Data, r.Errors)
		}
		if n := gw.calls("GET /api/v4/contacts"); n != tc.reads {
			t.Errorf("%s: %d reads back, want %d", tc.query, n, tc.reads)
		}
	}
}

// TestReadValidationDetails: a 400 on a read carries amoCRM's validation
// errors in extensions, as a client calling amoCRM itself would see them.
func TestReadValidationDetails(t *testing.T) {
	t.Parallel()
	body := `{"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed",
	  "validation-errors":[{"request_id":"0","errors":[{"code":"NotSupportedChoice","path":"filter.responsible_user_id","detail":"The value you selected is not a valid choice."}]}]}`
	gw := startGateway(t, nil, failingWith(t, onPath(http.MethodGet, "/api/v4/contacts", http.StatusBadRequest), body))
	r := gw.do(`{ contacts(filter: {responsibleUserIds: [1]}) { nodes { id } } }`, nil)
	if len(r.Errors) != 1 || r.code(0) != "BAD_USER_INPUT" {
		t.Fatalf("errors %+v, want one BAD_USER_INPUT", r.Errors)
	}
	got, _ := json.Marshal(r.Errors[0].Extensions["validationErrors"])
	want := `[{"code":"NotSupportedChoice","detail":"The value you selected is not a valid choice.","path":"filter.responsible_user_id","requestId":"0"}]`
	if string(got) != want {
		t.Errorf("validationErrors = %s, want %s", got, want)
	}
}

// TestMutation_BadArgumentWritesNothing: an argument that does not coerce
// refuses the whole mutation operation before its first write, so no write
// is hidden behind the error.
func TestMutation_BadArgumentWritesNothing(t *testing.T) {
	t.Parallel()
	gw := startGateway(t, nil)
	r := gw.do(`mutation {
	  a: createContacts(input: [{name: "A"}]) { contacts { id } userErrors { code } }
	  b: updateContact(input: {id: "abc", name: "x"}) { contact { id } userErrors { code } }
	}`, nil)
	if len(r.Errors) != 1 || r.code(0) != "BAD_USER_INPUT" || fmt.Sprint(r.Errors[0].Path) != "[b]" {
		t.Errorf("errors %+v, want one BAD_USER_INPUT at [b]", r.Errors)
	}
	if n := gw.sb.TotalCalls(); n != 0 {
		t.Errorf("%d upstream calls, want none: a write the answer does not report", n)
	}
}

// TestPartialFailure_NonAdminToken: with a manager's token, amoCRM refuses
// the chat methods (they need account-admin rights); every contact stays,
// with its chats null and FORBIDDEN at their path.
func TestPartialFailure_NonAdminToken(t *testing.T) {
	t.Parallel()
	gw := startGateway(t, sandbox.New(sandbox.WithNonAdminToken("manager")), withConfig(func(c *Config) { c.AccessToken = "manager" }))
	r := gw.do(`{ contacts(first: 3) { nodes { id name chats { chatId } } } }`, nil)
	var data struct {
		Contacts struct{ Nodes []struct{ ID, Name string } } `json:"contacts"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || len(data.Contacts.Nodes) != 3 {
		t.Fatalf("data %s, errors %+v; want 3 contacts", r.Data, r.Errors)
	}
	if len(r.Errors) != 3 {
		t.Fatalf("%d errors, want one per contact's chats: %+v", len(r.Errors), r.Errors)
	}
	for i := range r.Errors {
		if r.code(i) != "FORBIDDEN" || len(r.Errors[i].Path) != 4 || r.Errors[i].Path[3] != "chats" {
			t.Errorf("error %d: %+v", i, r.Errors[i])
		}
	}
}

// TestPartialFailure_ItemMissingFromAnswer: an item amoCRM's write answer
// leaves out is a user error (it may or may not have been written), never
// a silently shorter list.
func TestPartialFailure_ItemMissingFromAnswer(t *testing.T) {
	t.Parallel()
	dropLast := func(c *Config) {
		target, _ := url.Parse(c.BaseURL)
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.ModifyResponse = func(resp *http.Response) error {
			if resp.Request.Method != http.MethodPost || resp.StatusCode != http.StatusOK {
				return nil
			}
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				return err
			}
			resp.Body.Close()
			emb := body["_embedded"].(map[string]any)
			items := emb["contacts"].([]any)
			emb["contacts"] = items[:len(items)-1]
			raw, _ := json.Marshal(body)
			resp.Body = io.NopCloser(bytes.NewReader(raw))
			resp.ContentLength = int64(len(raw))
			resp.Header.Set("Content-Length", strconv.Itoa(len(raw)))
			return nil
		}
		srv := httptest.NewServer(proxy)
		t.Cleanup(srv.Close)
		c.BaseURL = srv.URL
	}
	for _, sel := range []string{"id requestId", "id name"} {
		gw := startGateway(t, nil, dropLast)
		r := gw.do(`mutation { createContacts(input: [{name: "A", requestId: "a"}, {name: "B", requestId: "b"}]) {
		  contacts { `+sel+` } userErrors { code index requestId } } }`, nil)
		var data struct {
			CreateContacts struct {
				Contacts   []struct{ RequestID string }
				UserErrors []struct {
					Code      string
					Index     int
					RequestID string
				}
			}
		}
		if err := json.Unmarshal(r.Data, &data); err != nil || len(r.Errors) > 0 {
			t.Fatalf("%s: %s %+v", sel, r.Data, r.Errors)
		}
		p := data.CreateContacts
		if len(p.Contacts) != 1 || len(p.UserErrors) != 1 || p.UserErrors[0].Code != "OUTCOME_UNKNOWN" || p.UserErrors[0].RequestID != "b" || p.UserErrors[0].Index != 1 {
			t.Errorf("%s: payload %+v; want contact a and an OUTCOME_UNKNOWN for b", sel, p)
		}
	}
}
