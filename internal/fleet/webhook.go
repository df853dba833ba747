package fleet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// RefreshRoute is the sandbox's token endpoint, as its call counter names it.
const RefreshRoute = "POST /oauth2/access_token"

// Refreshes is how many calls the sandbox's token endpoint has had.
func (b *Bed) Refreshes() int { return b.Sandbox.Calls(RefreshRoute) }

// WebhookReport is what Webhooks measured.
type WebhookReport struct {
	Sent, Received int
	P50, P99, Max  time.Duration
}

// Webhooks posts n amoCRM contact webhooks, one every gap, to replica
// from, and measures for each the time from sending it to a subscriber
// on replica to (a GraphQL over SSE stream) receiving its change.
func (b *Bed) Webhooks(ctx context.Context, from, to, n int, gap time.Duration) (*WebhookReport, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := subscribe(ctx, b.Fleet.Replicas[to].URL, `subscription { contactChanged { id action } }`)
	if err != nil {
		return nil, err
	}
	// Subscriptions start asynchronously: give the stream a moment, and
	// skip changes of earlier runs.
	time.Sleep(200 * time.Millisecond)
	sent := map[string]time.Time{}
	var lat []time.Duration
	hook := b.Fleet.Replicas[from].URL + "/webhooks/amocrm/" + b.Secret
	base := time.Now().Unix()
	misses := 0
	for i := range n {
		if misses == 3 {
			break // the relay is not working: do not wait out every change
		}
		id := fmt.Sprint(FirstContact + i)
		form := url.Values{}
		form.Set("contacts[update][0][id]", id)
		form.Set("contacts[update][0][name]", "Webhook "+id)
		form.Set("contacts[update][0][type]", "contact")
		form.Set("contacts[update][0][updated_at]", fmt.Sprint(base+int64(i)))
		form.Set("account[id]", "28805383")
		form.Set("account[subdomain]", "sandbox")
		sent[id] = time.Now()
		resp, err := http.Post(hook, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
			return nil, fmt.Errorf("webhook into replica %d: %d", from+1, resp.StatusCode)
		}
		deadline := time.After(5 * time.Second)
	wait:
		for {
			select {
			case ev := <-events:
				if at, ok := sent[ev.id]; ok && ev.id == id {
					lat = append(lat, ev.at.Sub(at))
					break wait
				}
			case <-deadline:
				misses++
				break wait
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		time.Sleep(gap)
	}
	slices.Sort(lat)
	r := &WebhookReport{Sent: n, Received: len(lat)}
	if len(lat) > 0 {
		r.P50, r.P99, r.Max = pct(lat, 50), pct(lat, 99), lat[len(lat)-1]
	}
	return r, nil
}

type event struct {
	id string
	at time.Time
}

// subscribe opens a GraphQL over SSE stream and sends each change's id.
func subscribe(ctx context.Context, base, query string) (<-chan event, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-API-Key", APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("subscribe: %d", resp.StatusCode)
	}
	events := make(chan event, 1024)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok || data == "" {
				continue
			}
			at := time.Now()
			var msg struct {
				Data struct {
					ContactChanged struct{ ID string } `json:"contactChanged"`
				} `json:"data"`
			}
			if json.Unmarshal([]byte(data), &msg) == nil && msg.Data.ContactChanged.ID != "" {
				select {
				case events <- event{id: msg.Data.ContactChanged.ID, at: at}:
				default:
				}
			}
		}
	}()
	return events, nil
}

// Write prints the report.
func (r *WebhookReport) Write(w interface{ Write([]byte) (int, error) }) {
	fmt.Fprintf(w, "webhook→subscriber %d of %d received: p50 %s, p99 %s, max %s\n", r.Received, r.Sent, short(r.P50), short(r.P99), short(r.Max))
}
