package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const (
	// maxBody bounds what one response may hold; a larger one counts as an
	// error instead of growing a worker's buffer without limit.
	maxBody = 8 << 20
	// maxExcerpt bounds the body excerpt kept in Result.FirstError.
	maxExcerpt = 512
	// maxCapHint bounds the latency slots a worker preallocates per query.
	maxCapHint = 4096
)

// worker sends one request at a time and records latencies in its own
// slices, so the hot path takes no lock.
type worker struct {
	id      int
	plan    *plan
	client  *http.Client
	shared  *shared
	header  http.Header       // this worker's copy: requests never share a map
	buf     bytes.Buffer      // reused response buffer
	latency [][]time.Duration // by plan.names index
	errors  []int             // by plan.names index
	sum     time.Duration     // total counted latency, for the mean
}

// newWorker builds worker id with latency slices sized for its expected share
// of the run.
func newWorker(id int, p *plan, client *http.Client, sh *shared) *worker {
	hint := maxCapHint
	if p.maxRequests > 0 {
		hint = min(maxCapHint, p.maxRequests/(p.workers*len(p.names))+1)
	}
	w := &worker{
		id:      id,
		plan:    p,
		client:  client,
		shared:  sh,
		header:  p.header.Clone(),
		latency: make([][]time.Duration, len(p.names)),
		errors:  make([]int, len(p.names)),
	}
	if w.header == nil {
		w.header = make(http.Header)
	}
	w.header.Set("Content-Type", "application/json")
	if w.header.Get("Accept") == "" {
		w.header.Set("Accept", "application/json")
	}
	for i := range w.latency {
		w.latency[i] = make([]time.Duration, 0, hint)
	}
	return w
}

// run sends queries round-robin, starting at an offset so workers spread over
// the mix, until ctx is done or the request cap is used up.
func (w *worker) run(ctx context.Context) {
	queries := w.plan.queries
	next := w.id % len(queries)
	for ctx.Err() == nil {
		q := &queries[next]
		next = (next + 1) % len(queries)
		measured := !time.Now().Before(w.shared.measureFrom)
		if measured && w.shared.maxRequests > 0 && w.shared.issued.Add(1) > w.shared.maxRequests {
			return
		}
		start := time.Now()
		err := w.do(ctx, q)
		elapsed := time.Since(start)
		var answered *responseError
		if err != nil && !errors.As(err, &answered) && ctx.Err() != nil {
			return // cut off by the end of the run: neither a request nor an error
		}
		if measured {
			w.record(q, elapsed, err)
		}
	}
}

// record counts one measured request.
func (w *worker) record(q *prepared, elapsed time.Duration, err error) {
	w.latency[q.stat] = append(w.latency[q.stat], elapsed)
	w.sum += elapsed
	if err == nil {
		return
	}
	w.errors[q.stat]++
	if w.shared.firstError.Load() == nil {
		msg := fmt.Sprintf("query %s: %v", q.name, err)
		w.shared.firstError.CompareAndSwap(nil, &msg)
	}
}

// responseError is a complete answer that counts as a failure. Unlike a
// transport error it is counted even when the run ends right after it.
type responseError struct{ msg string }

func (e *responseError) Error() string { return e.msg }

// do sends q once and reads the whole answer, so the connection is reused
// and the latency covers the full response. It returns nil for a 200 whose
// JSON body has no "errors", a *responseError for any other answer, and a
// wrapped transport error when no full answer arrived.
func (w *worker) do(ctx context.Context, q *prepared) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.plan.url, bytes.NewReader(q.body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header = w.header
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	w.buf.Reset()
	if _, err := w.buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1)); err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if w.buf.Len() > maxBody {
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return fmt.Errorf("drain response: %w", err)
		}
		return &responseError{fmt.Sprintf("HTTP %d: response larger than %d bytes", resp.StatusCode, maxBody)}
	}
	return checkAnswer(resp.StatusCode, w.buf.Bytes())
}

// checkAnswer decides whether a complete answer succeeded. It decodes only
// the top-level "errors" member.
func checkAnswer(status int, body []byte) error {
	if status != http.StatusOK {
		return &responseError{fmt.Sprintf("HTTP %d: %s", status, excerpt(body))}
	}
	var envelope struct {
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return &responseError{fmt.Sprintf("HTTP 200 with a body that is not a JSON object (%v): %s", err, excerpt(body))}
	}
	switch string(bytes.TrimSpace(envelope.Errors)) {
	case "", "null", "[]":
		return nil
	}
	return &responseError{"GraphQL errors: " + excerpt(envelope.Errors)}
}

// excerpt returns the start of body on one line, for diagnosis.
func excerpt(body []byte) string {
	cut := len(body) > maxExcerpt
	if cut {
		body = body[:maxExcerpt]
	}
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "")), " ")
	if s == "" {
		return "(empty body)"
	}
	if cut {
		s += " …"
	}
	return s
}
