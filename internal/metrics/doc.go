// Package metrics is the gateway's Prometheus instrumentation: what it
// counts, on a private registry served by Handler at /metrics.
//
// It is fed from the edges of a request rather than from inside the layers:
// Middleware wraps /query; a gqlgen AroundOperations hook and the error
// presenter label the request through SetOperation and SetOutcome;
// ObserveUpstream is an amocrm.Observer, ObserveLimiterWait a
// ratelimit.Observer, SetBreakerState follows the breaker's state changes,
// ObserveBatch is called by the loaders and ObserveRejected by the guards that
// refuse a request before execution. No other package has to import
// Prometheus, and a nil *Metrics turns all of it off.
//
// Label values that callers choose are bounded: at most 200 operation names
// get their own series, later ones are counted as "other" (likewise 50
// outcomes and 100 upstream routes), because Prometheus keeps every series a
// process has exported until it restarts.
//
// # Metrics
//
// Besides the Go runtime (go_*) and process (process_*) collectors:
//
//	| Metric | Type | Labels | Meaning |
//	|---|---|---|---|
//	| `amogql_requests_total` | counter | `operation`, `outcome` | GraphQL requests served at `/query`. `operation` is the operation name, `anonymous` for an unnamed one, `unknown` when the request never reached the executor (refused, malformed), `other` past 200 distinct names. `outcome` is `ok`, `error` (the response carries GraphQL errors), an error code such as `RATE_LIMITED`, `http_<status>` for a non-2xx answer without one, or `panic`. |
//	| `amogql_request_duration_seconds` | histogram | `operation` | Time from receiving a request to finishing its response, upstream calls and rate-limiter waits included. Buckets 5 ms – 10 s. |
//	| `amogql_inflight_requests` | gauge | – | Requests being served right now; a steady climb means requests are queuing on the upstream budget. |
//	| `amogql_requests_rejected_total` | counter | `reason` | Requests refused before execution, never sent upstream: `unauthenticated`, `too_complex`, `too_deep`, `body_too_large`, `rate_limited`. Such requests also appear in `amogql_requests_total`. |
//	| `amogql_upstream_requests_total` | counter | `route`, `status` | HTTP attempts sent to amoCRM, each retry counted. `route` is the method and path with numeric ids as `{id}`, e.g. `GET /api/v4/contacts/{id}`; `status` is the HTTP status, `0` when no answer came (timeout, connection error). |
//	| `amogql_upstream_request_duration_seconds` | histogram | `route` | Time of one attempt to amoCRM, up to the response headers or the failure. Buckets 10 ms – 20 s (the client's timeout). |
//	| `amogql_limiter_wait_seconds` | histogram | – | Time an upstream call waited for the per-credential rate limiter (amoCRM allows 7 requests per second). Long waits mean clients ask for more than the budget. |
//	| `amogql_loader_batch_size` | histogram | `entity` | Ids fetched per dataloader batch: `contact`, `lead`, `company`, `customer`, `chat_link`, `catalog_element`. Buckets 1, 2, 5, 10, 25, 50, 100, 250, 500; many batches of 1 mean queries are not being batched. |
//	| `amogql_upstream_breaker_state` | gauge | `state` | The circuit breaker in front of amoCRM: 1 for the current state, 0 for the others. `closed`: calls flow; `open`: calls fail fast after repeated upstream failures; `half-open`: one probe is testing recovery. Starts at `closed`. |
//	| `amogql_upstream_breaker_transitions_total` | counter | `to` | Breaker state changes, by the state entered. A rising `to="open"` means amoCRM keeps failing. |
package metrics
