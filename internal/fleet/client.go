package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// answer is a GraphQL answer.
type answer struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

// code is the answer's first error code, "" when it has none.
func (a *answer) code() string {
	if len(a.Errors) == 0 {
		return ""
	}
	if c := a.Errors[0].Extensions.Code; c != "" {
		return c
	}
	return "UNKNOWN"
}

// post sends one GraphQL request to a replica. A failure below GraphQL is
// returned as an error with a code of its own ("HTTP 502", "TRANSPORT").
func post(ctx context.Context, c *http.Client, base, query string, vars map[string]any) (*answer, string, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, "ENCODE", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, "TRANSPORT", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", APIKey)
	resp, err := c.Do(req)
	if err != nil {
		return nil, "TRANSPORT", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "TRANSPORT", err
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Sprintf("HTTP %d", resp.StatusCode), fmt.Errorf("answer %d: %.200s", resp.StatusCode, raw)
	}
	return &a, a.code(), nil
}

// newHTTPClient keeps a connection per client to each replica.
func newHTTPClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: conns * 4, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
	}}
}
