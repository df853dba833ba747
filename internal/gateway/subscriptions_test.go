package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/amogql/amogql/internal/changes"
	"github.com/amogql/amogql/internal/sandbox"
)

// wsMsg is one graphql-transport-ws message.
type wsMsg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient speaks graphql-transport-ws to the gateway over a real socket.
type wsClient struct {
	t    *testing.T
	conn *coderws.Conn
}

// dialWS opens a graphql-transport-ws socket to the gateway's /query with
// headers as name, value pairs.
func dialWS(t *testing.T, base string, headers ...string) (*wsClient, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, resp, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/query",
		&coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &wsClient{t: t, conn: conn}, resp, nil
}

func (c *wsClient) send(typ, id string, payload any) {
	c.t.Helper()
	m := map[string]any{"type": typ}
	if id != "" {
		m["id"] = id
	}
	if payload != nil {
		m["payload"] = payload
	}
	b, _ := json.Marshal(m)
	if err := c.conn.Write(c.t.Context(), coderws.MessageText, b); err != nil {
		c.t.Fatalf("send %s: %v", typ, err)
	}
}

// read returns the next message other than a ping (which it answers), or
// the error that ended the socket.
func (c *wsClient) read() (wsMsg, error) {
	for {
		ctx, cancel := context.WithTimeout(c.t.Context(), 10*time.Second)
		_, b, err := c.conn.Read(ctx)
		cancel()
		if err != nil {
			return wsMsg{}, err
		}
		var m wsMsg
		if err := json.Unmarshal(b, &m); err != nil {
			c.t.Fatalf("decode %s: %v", b, err)
		}
		if m.Type == "ping" {
			c.send("pong", "", nil)
			continue
		}
		return m, nil
	}
}

func (c *wsClient) mustRead() wsMsg {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// init sends connection_init and expects connection_ack.
func (c *wsClient) init(payload any) {
	c.t.Helper()
	c.send("connection_init", "", payload)
	if m := c.mustRead(); m.Type != "connection_ack" {
		c.t.Fatalf("after connection_init got %s %s, want connection_ack", m.Type, m.Payload)
	}
}

func (c *wsClient) subscribe(id, query string) {
	c.t.Helper()
	c.send("subscribe", id, map[string]any{"query": query})
}

// changeResult is a next payload of a subscription.
type changeResult struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []gqlError                 `json:"errors"`
}

// next reads the next message, which must be a next, and decodes it.
func (c *wsClient) next() changeResult {
	c.t.Helper()
	m := c.mustRead()
	if m.Type != "next" {
		c.t.Fatalf("got %s %s, want next", m.Type, m.Payload)
	}
	var r changeResult
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		c.t.Fatalf("decode next %s: %v", m.Payload, err)
	}
	return r
}

// subscribers waits until the hub holds n subscriptions: a subscribe
// message is answered asynchronously.
func subscribers(t *testing.T, hub *changes.Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for hub.Len() != n {
		if time.Now().After(deadline) {
			t.Fatalf("hub has %d subscriptions, want %d", hub.Len(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startWithHub starts a gateway whose subscriptions listen to a hub the
// test publishes on.
func startWithHub(t *testing.T, sb *sandbox.Sandbox, opts ...gatewayOption) (*testGateway, *changes.Hub) {
	t.Helper()
	hub := changes.NewHub(0)
	t.Cleanup(hub.Close)
	opts = append([]gatewayOption{withConfig(func(c *Config) { c.Changes = hub })}, opts...)
	return startGateway(t, sb, opts...), hub
}

func contactChange(a changes.Action, id int, at int64) changes.Change {
	return changes.Change{Entity: changes.Contacts, Action: a, ID: id, At: time.Unix(at, 0), Received: time.Now()}
}

func TestSubscriptions_ConnectionInit(t *testing.T) {
	t.Parallel()
	gw, _ := startWithHub(t, nil, withConfig(func(c *Config) { c.APIKeys = []string{"key-1", "key-2"} }))
	tests := []struct {
		name      string
		headers   []string
		payload   any
		wantAck   bool
		wantClose coderws.StatusCode
	}{
		{name: "KeyInPayload", payload: map[string]any{"X-API-Key": "key-2"}, wantAck: true},
		{name: "KeyInPayloadAnyCase", payload: map[string]any{"x-api-key": "key-1"}, wantAck: true},
		{name: "KeyInUpgradeHeader", headers: []string{"X-API-Key", "key-1"}, wantAck: true},
		{name: "WrongKey", payload: map[string]any{"X-API-Key": "key-3"}, wantClose: 4403},
		{name: "NoKey", wantClose: 4403},
		{name: "KeyNotAString", payload: map[string]any{"X-API-Key": 1}, wantClose: 4403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, err := dialWS(t, gw.url, tt.headers...)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			c.send("connection_init", "", tt.payload)
			m, err := c.read()
			if tt.wantAck {
				if err != nil || m.Type != "connection_ack" {
					t.Fatalf("got %+v, %v; want connection_ack", m, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %s %s; want the socket closed with %d", m.Type, m.Payload, tt.wantClose)
			}
			if got := coderws.CloseStatus(err); got != tt.wantClose {
				t.Fatalf("closed with %d (%v), want %d", got, err, tt.wantClose)
			}
		})
	}

	t.Run("WrongKeyInUpgradeHeader", func(t *testing.T) {
		t.Parallel()
		_, resp, err := dialWS(t, gw.url, "X-API-Key", "nope")
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("dial with a wrong X-API-Key header: %v, %+v; want 401", err, resp)
		}
	})
}

func TestSubscriptions_ChangeLoadsEntity(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	gw, hub := startWithHub(t, sb)
	c, _, err := dialWS(t, gw.url)
	if err != nil {
		t.Fatal(err)
	}
	c.init(nil)
	c.subscribe("1", `subscription { contactChanged(ids: [3]) { action id at contact { id name leads { id } } } }`)
	subscribers(t, hub, 1)

	type payload struct {
		Action  string `json:"action"`
		ID      string `json:"id"`
		At      string `json:"at"`
		Contact *struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Leads []struct {
				ID string `json:"id"`
			} `json:"leads"`
		} `json:"contact"`
	}
	read := func() payload {
		t.Helper()
		r := c.next()
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var p payload
		if err := json.Unmarshal(r.Data["contactChanged"], &p); err != nil {
			t.Fatal(err)
		}
		return p
	}

	sb.ResetCalls()
	hub.Publish(contactChange(changes.Updated, 3, 1700000000))
	p := read()
	if p.Action != "UPDATED" || p.ID != "3" || p.At != "2023-11-14T22:13:20Z" || p.Contact == nil || p.Contact.Name != "Иван Иванов" {
		t.Fatalf("first change = %+v", p)
	}
	if n := sb.TotalCalls(); n != 1 {
		t.Errorf("the change cost %d upstream calls, want 1 (%+v)", n, sb.Requests())
	}
	if q := gw.queries("GET /api/v4/contacts/{id}"); len(q) != 1 || !contains(q[0], "with=leads") {
		t.Errorf("contact read %q, want one with=leads read", q)
	}

	// Each change is read afresh: a loader cache kept for the connection
	// would answer the second change with the first one's contact.
	r := gw.do(`mutation { updateContact(input: {id: 3, name: "Иван Петров"}) { contact { name } userErrors { message } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("rename: %+v", r.Errors)
	}
	hub.Publish(contactChange(changes.Updated, 3, 1700000001))
	if p := read(); p.Contact == nil || p.Contact.Name != "Иван Петров" {
		t.Fatalf("second change = %+v, want the renamed contact", p)
	}

	sb.ResetCalls()
	hub.Publish(contactChange(changes.Deleted, 3, 1700000002))
	if p := read(); p.Action != "DELETED" || p.Contact != nil {
		t.Fatalf("deletion = %+v, want a null contact", p)
	}
	if n := sb.TotalCalls(); n != 0 {
		t.Errorf("a deletion cost %d upstream calls, want 0", n)
	}
}

func TestSubscriptions_Filters(t *testing.T) {
	t.Parallel()
	gw, hub := startWithHub(t, nil)
	tests := []struct {
		name    string
		args    string
		publish []changes.Change
		want    []string // action:id of the changes received, in order
	}{
		{name: "IDs", args: `(ids: [3, 7143599])`,
			publish: []changes.Change{contactChange(changes.Updated, 5, 1), contactChange(changes.Updated, 7143599, 2),
				contactChange(changes.Added, 3, 3)},
			want: []string{"UPDATED:7143599", "ADDED:3"}},
		{name: "Actions", args: `(actions: [DELETED, RESTORED])`,
			publish: []changes.Change{contactChange(changes.Updated, 5, 11), contactChange(changes.Deleted, 6, 12),
				contactChange(changes.Added, 7, 13), contactChange(changes.Restored, 6, 14)},
			want: []string{"DELETED:6", "RESTORED:6"}},
		{name: "Both", args: `(ids: [8], actions: [UPDATED])`,
			publish: []changes.Change{contactChange(changes.Updated, 9, 21), contactChange(changes.Deleted, 8, 22),
				contactChange(changes.Updated, 8, 23)},
			want: []string{"UPDATED:8"}},
		{name: "OtherEntity", args: ``,
			publish: []changes.Change{{Entity: changes.Leads, Action: changes.Updated, ID: 1, At: time.Unix(31, 0)},
				contactChange(changes.Updated, 10, 32)},
			want: []string{"UPDATED:10"}},
	}
	// One socket, one subscription per case, published in turn: a case's
	// changes reach only its own subscription.
	c, _, err := dialWS(t, gw.url)
	if err != nil {
		t.Fatal(err)
	}
	c.init(nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := string(rune('a' + i))
			c.subscribe(id, `subscription { contactChanged`+tt.args+` { action id } }`)
			subscribers(t, hub, 1)
			hub.Publish(tt.publish...)
			for _, w := range tt.want {
				m := c.mustRead()
				for m.Type == "complete" && m.ID != id { // gqlgen confirms the previous case's complete
					m = c.mustRead()
				}
				var r struct {
					Data struct {
						C struct{ Action, ID string } `json:"contactChanged"`
					} `json:"data"`
				}
				_ = json.Unmarshal(m.Payload, &r)
				if got := r.Data.C.Action + ":" + r.Data.C.ID; m.Type != "next" || m.ID != id || got != w {
					t.Fatalf("got %s %s %s, want next %s %s", m.Type, m.ID, m.Payload, id, w)
				}
			}
			c.send("complete", id, nil)
			subscribers(t, hub, 0)
		})
	}
}

// TestSubscriptions_SlowSubscriber: a subscriber whose changes each wait on
// amoCRM falls behind a burst; its stream ends with SUBSCRIPTION_TOO_SLOW
// while a subscriber on the same socket that asks for ids only receives
// the whole burst.
func TestSubscriptions_SlowSubscriber(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	sb.SetFaults(sandbox.Faults{Latency: 100 * time.Millisecond})
	hub := changes.NewHub(2)
	t.Cleanup(hub.Close)
	gw := startGateway(t, sb, withConfig(func(c *Config) { c.Changes = hub }))
	c, _, err := dialWS(t, gw.url)
	if err != nil {
		t.Fatal(err)
	}
	c.init(nil)
	c.subscribe("slow", `subscription { contactChanged { id contact { name } } }`)
	c.subscribe("fast", `subscription { contactChanged { id } }`)
	subscribers(t, hub, 2)

	const burst = 20
	go func() {
		for i := range burst {
			hub.Publish(contactChange(changes.Updated, 3, int64(i)))
			time.Sleep(time.Millisecond) // the fast one keeps up; the slow one waits 100 ms per change
		}
	}()
	fast, slow, slowEnded, slowErr := 0, 0, false, ""
	for fast < burst || !slowEnded {
		m := c.mustRead()
		switch {
		case m.ID == "fast" && m.Type == "next":
			fast++
		case m.ID == "slow" && m.Type == "next":
			var r changeResult
			_ = json.Unmarshal(m.Payload, &r)
			if len(r.Errors) > 0 {
				slowErr = r.code(0)
			} else {
				slow++
			}
		case m.ID == "slow" && m.Type == "complete":
			slowEnded = true
		default:
			t.Fatalf("unexpected %s %s %s", m.Type, m.ID, m.Payload)
		}
	}
	if slowErr != "SUBSCRIPTION_TOO_SLOW" {
		t.Errorf("the slow stream ended with %q, want SUBSCRIPTION_TOO_SLOW", slowErr)
	}
	if slow >= burst {
		t.Errorf("the slow subscriber received all %d changes; it should have fallen behind", slow)
	}
	t.Logf("fast received %d, slow %d before it was closed", fast, slow)
}

func (r changeResult) code(i int) string {
	if i >= len(r.Errors) {
		return ""
	}
	c, _ := r.Errors[i].Extensions["code"].(string)
	return c
}

func TestSubscriptions_Origin(t *testing.T) {
	t.Parallel()
	gw, _ := startWithHub(t, nil, withConfig(func(c *Config) { c.CORSOrigins = []string{"https://app.example.com"} }))
	tests := []struct {
		name   string
		origin string
		want   int
	}{
		{"Allowed", "https://app.example.com", http.StatusSwitchingProtocols},
		{"SameOrigin", gw.url, http.StatusSwitchingProtocols},
		{"NoOrigin", "", http.StatusSwitchingProtocols}, // not a browser
		{"Other", "https://evil.example.com", http.StatusForbidden},
		{"OtherScheme", "http://app.example.com", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h []string
			if tt.origin != "" {
				h = []string{"Origin", tt.origin}
			}
			_, resp, err := dialWS(t, gw.url, h...)
			got := 0
			if resp != nil {
				got = resp.StatusCode
			}
			if got != tt.want {
				t.Fatalf("upgrade from %q: %d (%v), want %d", tt.origin, got, err, tt.want)
			}
		})
	}
}

// TestSubscriptions_PassThroughToken: in pass-through mode the client's
// amoCRM token travels in connection_init and reads each change's entity.
func TestSubscriptions_PassThroughToken(t *testing.T) {
	t.Parallel()
	gw, hub := startWithHub(t, nil, passThrough())
	tests := []struct {
		name     string
		payload  any
		wantName string
		wantCode string
	}{
		{name: "Token", payload: map[string]any{"Authorization": "Bearer " + sandbox.DefaultToken}, wantName: "Иван Иванов"},
		{name: "NoToken", wantCode: "UNAUTHENTICATED"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := dialWS(t, gw.url)
			if err != nil {
				t.Fatal(err)
			}
			c.init(tt.payload)
			c.subscribe("1", `subscription { contactChanged { contact { name } } }`)
			subscribers(t, hub, 1)
			hub.Publish(contactChange(changes.Updated, 3, int64(100+i)))
			r := c.next()
			var p struct {
				Contact *struct{ Name string } `json:"contact"`
			}
			_ = json.Unmarshal(r.Data["contactChanged"], &p)
			if tt.wantName != "" && (p.Contact == nil || p.Contact.Name != tt.wantName || len(r.Errors) > 0) {
				t.Fatalf("got %+v %+v, want %s", p, r.Errors, tt.wantName)
			}
			if got := r.code(0); got != tt.wantCode {
				t.Fatalf("error code %q, want %q", got, tt.wantCode)
			}
			_ = c.conn.Close(coderws.StatusNormalClosure, "")
			subscribers(t, hub, 0)
		})
	}

	t.Run("MalformedToken", func(t *testing.T) {
		c, _, err := dialWS(t, gw.url)
		if err != nil {
			t.Fatal(err)
		}
		c.send("connection_init", "", map[string]any{"Authorization": "Basic abc"})
		if _, err := c.read(); coderws.CloseStatus(err) != 4400 {
			t.Fatalf("read after a Basic token: %v, want close 4400", err)
		}
	})
}

// sseEvent is one event of a text/event-stream.
type sseEvent struct{ event, data string }

// TestSubscriptions_SSE: a subscription over GraphQL over SSE receives a
// change as a next event, and when the hub closes (the gateway shuts down)
// a last next with the reason, then complete.
func TestSubscriptions_SSE(t *testing.T) {
	t.Parallel()
	gw, hub := startWithHub(t, nil, withConfig(func(c *Config) { c.APIKeys = []string{"k"} }))
	body := gqlBody(`subscription { contactChanged(ids: [3]) { action contact { name } } }`, nil)

	t.Run("WrongKey", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, gw.url+"/query", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, gw.url+"/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-API-Key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, ct)
	}
	events := make(chan sseEvent)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"): // a comment: keepalive
			case strings.HasPrefix(line, "event:"):
				ev.event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				ev.data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			}
		}
	}()
	read := func() sseEvent {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10 s")
		}
		return sseEvent{}
	}

	subscribers(t, hub, 1)
	hub.Publish(contactChange(changes.Updated, 3, 1))
	if ev := read(); ev.event != "next" || !contains(ev.data, `"name":"Иван Иванов"`) {
		t.Fatalf("got %+v, want next with the contact", ev)
	}
	hub.Close()
	if ev := read(); ev.event != "next" || !contains(ev.data, `"SHUTTING_DOWN"`) {
		t.Fatalf("got %+v, want next with SHUTTING_DOWN", ev)
	}
	if ev := read(); ev.event != "complete" {
		t.Fatalf("got %+v, want complete", ev)
	}
}

// TestSubscriptions_Shutdown: a shutdown closes WebSockets with 1001 "going
// away" and ends SSE streams, instead of waiting out the drain for them.
func TestSubscriptions_Shutdown(t *testing.T) {
	t.Parallel()
	addr, shutdown, done := serveForShutdown(t, sandbox.New(), Config{ShutdownTimeout: 100 * time.Millisecond, UpstreamTimeout: 5 * time.Second}, zerolog.Nop())
	c, _, err := dialWS(t, "http://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	c.init(map[string]any{"X-API-Key": "k"})
	c.subscribe("1", `subscription { contactChanged { id } }`)

	body := gqlBody(`subscription { leadChanged { id } }`, nil)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+addr+"/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-API-Key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	shutdown()
	_, err = c.read()
	if got := coderws.CloseStatus(err); got != coderws.StatusGoingAway {
		t.Errorf("socket closed with %d (%v), want 1001", got, err)
	}
	sc := bufio.NewScanner(resp.Body)
	last := ""
	for sc.Scan() {
		if sc.Text() != "" {
			last = sc.Text()
		}
	}
	if last != "event: complete" {
		t.Errorf("the SSE stream ended with %q, want event: complete", last)
	}
	// An SSE stream still open when the drain (over 5 s here) ends would be
	// cut, and Serve would say so.
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestSubscriptions_BudgetAndCachePerOperation: every subscription event and
// every query sent over one WebSocket gets its own call budget and its own
// loader cache, as each HTTP request does: a budget of one call serves any
// number of them, and none answers with what an earlier one read.
func TestSubscriptions_BudgetAndCachePerOperation(t *testing.T) {
	t.Parallel()
	gw, hub := startWithHub(t, nil, withConfig(func(c *Config) { c.MaxUpstreamCalls = 1 }))
	c, _, err := dialWS(t, gw.url)
	if err != nil {
		t.Fatal(err)
	}
	c.init(nil)
	rename := func(name string) {
		t.Helper()
		r := gw.do(`mutation($n: String!) { updateContact(input: {id: 7767065, name: $n}) { userErrors { message } } }`, map[string]any{"n": name})
		if len(r.Errors) > 0 {
			t.Fatalf("rename: %+v", r.Errors)
		}
	}
	name := func(r changeResult, field string) string {
		t.Helper()
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var v struct {
			Name    string `json:"name"`
			Contact struct {
				Name string `json:"name"`
			} `json:"contact"`
		}
		_ = json.Unmarshal(r.Data[field], &v)
		return v.Name + v.Contact.Name
	}

	t.Run("Events", func(t *testing.T) {
		c.subscribe("s", `subscription { contactChanged { contact { name } } }`)
		subscribers(t, hub, 1)
		for i, n := range []string{"Первое", "Второе", "Третье"} {
			rename(n)
			hub.Publish(contactChange(changes.Updated, 7767065, int64(200+i)))
			if got := name(c.next(), "contactChanged"); got != n {
				t.Fatalf("event %d: contact named %q, want %q", i, got, n)
			}
		}
		c.send("complete", "s", nil)
		subscribers(t, hub, 0)
	})

	t.Run("Queries", func(t *testing.T) {
		for i, n := range []string{"Четвёртое", "Пятое"} {
			rename(n)
			id := string(rune('q' + i))
			c.subscribe(id, `{ contact(id: 7767065) { name } }`)
			m := c.mustRead()
			for m.Type == "complete" {
				m = c.mustRead()
			}
			var r changeResult
			_ = json.Unmarshal(m.Payload, &r)
			if got := name(r, "contact"); m.ID != id || got != n {
				t.Fatalf("query %d: %s %s, want %q", i, m.ID, m.Payload, n)
			}
		}
	})
}

// TestSubscriptions_OneReadPerChange: with the read cache on, a change
// watched by many subscribers with the same credentials and selection costs
// one upstream read between them, not one each.
func TestSubscriptions_OneReadPerChange(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	gw, hub := startWithHub(t, sb, withConfig(func(c *Config) { c.CacheTTL = time.Minute }))
	const sockets, perSocket = 5, 10
	clients := make([]*wsClient, sockets)
	for i := range clients {
		c, _, err := dialWS(t, gw.url)
		if err != nil {
			t.Fatal(err)
		}
		c.init(nil)
		for j := range perSocket {
			c.subscribe(string(rune('a'+j)), `subscription { contactChanged(ids: [3]) { contact { name leads { id } } } }`)
		}
		clients[i] = c
	}
	subscribers(t, hub, sockets*perSocket)
	sb.ResetCalls()
	hub.Publish(contactChange(changes.Updated, 3, 300))
	for _, c := range clients {
		for range perSocket {
			if r := c.next(); len(r.Errors) > 0 || !contains(string(r.Data["contactChanged"]), "Иван Иванов") {
				t.Fatalf("got %s %+v", r.Data["contactChanged"], r.Errors)
			}
		}
	}
	if n := sb.TotalCalls(); n != 1 {
		t.Errorf("%d subscribers of one change cost %d upstream calls, want 1 (%+v)", sockets*perSocket, n, sb.Requests())
	}
}

// BenchmarkSubscriptions_Idle reports what an idle subscription holds in the
// gateway: heap and stack bytes and goroutines, for 2 000 subscriptions
// multiplexed 100 to a socket (the client side of each socket shares the
// process and is counted).
func BenchmarkSubscriptions_Idle(b *testing.B) {
	const perSocket = 100
	for b.Loop() {
		func() {
			sb := sandbox.New()
			hub := changes.NewHub(0)
			defer hub.Close()
			up := httptest.NewServer(sb)
			defer up.Close()
			cfg := Config{BaseURL: up.URL, AccessToken: sandbox.DefaultToken, Changes: hub}
			u, err := NewUpstream(cfg, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			gw := httptest.NewServer(New(zerolog.Nop(), cfg, u))
			defer gw.Close()
			const n = 2000
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			g0 := runtime.NumGoroutine()
			var conns []*coderws.Conn
			for i := 0; i < n/perSocket; i++ {
				conn, _, err := coderws.Dial(b.Context(), "ws"+strings.TrimPrefix(gw.URL, "http")+"/query",
					&coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
				if err != nil {
					b.Fatal(err)
				}
				conns = append(conns, conn)
				_ = conn.Write(b.Context(), coderws.MessageText, []byte(`{"type":"connection_init"}`))
				_, _, _ = conn.Read(b.Context())
				for j := range perSocket {
					msg := fmt.Sprintf(`{"type":"subscribe","id":"%d","payload":{"query":"subscription { contactChanged { id contact { name } } }"}}`, j)
					_ = conn.Write(b.Context(), coderws.MessageText, []byte(msg))
				}
			}
			for hub.Len() < n {
				time.Sleep(10 * time.Millisecond)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n, "heap-B/sub")
			b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stack-B/sub")
			b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/sub")
			for _, c := range conns {
				_ = c.CloseNow()
			}
		}()
	}
}
