// Package amocrm is a typed client for the amoCRM / Kommo REST API v4.
//
// It knows nothing of GraphQL: one Client holds a service per upstream
// resource (client.Contacts.List, client.Leads.Get, ...), list options become
// query strings through go-querystring url tags, every call returns a
// *Response carrying the page facts of the HAL envelope, and every non-2xx
// answer becomes a typed error in one place, CheckResponse.
package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-querystring/query"
	"github.com/rs/zerolog"
)

const (
	// MaxLimit is the largest page size amoCRM serves ("limit" of every list).
	// Larger values are refused with *ArgumentError before any HTTP call.
	MaxLimit = 250

	defaultUserAgent       = "amogql/1.0"
	defaultTimeout         = 30 * time.Second
	defaultMaxResponseSize = 32 << 20 // 32 MiB
)

// A Client talks to one amoCRM account. It is safe for concurrent use; build
// it once with NewClient and share it.
type Client struct {
	// BaseURL is the account URL, e.g. https://example.amocrm.ru/ . It always
	// ends in a slash; request paths ("api/v4/contacts") are relative to it.
	BaseURL *url.URL

	// Services, one per upstream resource.
	Catalogs     *CatalogsService
	Companies    *CompaniesService
	Contacts     *ContactsService
	CustomFields *CustomFieldsService
	Customers    *CustomersService
	Leads        *LeadsService
	Notes        *NotesService
	Pipelines    *PipelinesService
	Tags         *TagsService
	Tasks        *TasksService
	Users        *UsersService
	Webhooks     *WebhooksService

	client          *http.Client // shared, timed, with the transport layers composed in NewClient
	userAgent       string
	maxResponseSize int64
	token           string      // static bearer token ("" = none)
	tokenSource     TokenSource // dynamic bearer token (nil = none)

	common service // reused by all services instead of allocating one each

	cfg *config // options collected by Option functions, read once by NewClient
}

type service struct {
	client *Client
}

// config holds what the Option functions collect before NewClient validates
// it and builds the transport.
type config struct {
	baseURL     string
	httpClient  *http.Client
	logger      zerolog.Logger
	middleware  []func(http.RoundTripper) http.RoundTripper
	observer    Observer
	errs        []error
	baseURLSeen bool
}

// An Option configures a Client in NewClient.
type Option func(*Client)

// TokenSource supplies the bearer token for each request, e.g. an OAuth 2.0
// access token that is refreshed elsewhere. Token is called once per call of
// Client.Do (not per retry attempt) with the request's context; it must be
// safe for concurrent use. An error from Token fails the call without any
// HTTP request and is returned wrapped (it is not an ErrUnavailable).
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Observer is called once per upstream HTTP attempt, after the response
// headers arrive (status is the HTTP status) or the transport fails (status is
// 0 and err is set). req carries the Authorization header: an Observer must
// not record request headers.
type Observer func(req *http.Request, status int, dur time.Duration, err error)

// WithBaseURL sets the account URL, e.g. "https://example.amocrm.ru" or a
// sandbox URL with a path prefix. It is required. A trailing slash is added;
// the scheme must be http or https; user info, query and fragment are refused.
func WithBaseURL(raw string) Option {
	return func(c *Client) { c.cfg.baseURL, c.cfg.baseURLSeen = raw, true }
}

// WithHTTPClient sets the http.Client whose Transport (connection pool) and
// settings the Client uses. The Client works on a copy and never modifies hc;
// a zero Timeout on hc is replaced by 30 s, a nil Transport by a clone of
// http.DefaultTransport. Default: &http.Client{Timeout: 30 * time.Second}
// over a cloned default transport.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.cfg.httpClient = hc }
}

// WithToken sets a static bearer token (e.g. an amoCRM long-lived token).
// An empty token is ignored. WithTokenSource takes precedence over it.
func WithToken(token string) Option {
	return func(c *Client) { c.token = strings.TrimSpace(token) }
}

// WithTokenSource sets a dynamic bearer token source (OAuth 2.0). It takes
// precedence over WithToken. A nil source is ignored.
func WithTokenSource(ts TokenSource) Option {
	return func(c *Client) { c.tokenSource = ts }
}

// WithLogger sets the logger that receives one debug line per upstream HTTP
// attempt: method, path (never the query values), query keys, status,
// duration_ms, request_id and the transport error if any. The token is never
// logged. Default: zerolog.Nop().
func WithLogger(l zerolog.Logger) Option {
	return func(c *Client) { c.cfg.logger = l }
}

// WithMiddleware adds RoundTripper layers (rate limit, retry, breaker, ...).
// They run inside the auth layer, so they see the final request including
// its Authorization header, and outside the log and observer layers, so a
// retrying layer produces one log line and one Observer call per attempt.
// The first middleware given is the outermost. A middleware may fail a request
// with *RateLimitError or with an error wrapping ErrUnavailable; any other
// transport error is reported as ErrUnavailable.
func WithMiddleware(mw ...func(http.RoundTripper) http.RoundTripper) Option {
	return func(c *Client) { c.cfg.middleware = append(c.cfg.middleware, mw...) }
}

// WithObserver sets a function called once per upstream HTTP attempt (for
// metrics). See Observer.
func WithObserver(obs Observer) Option {
	return func(c *Client) { c.cfg.observer = obs }
}

// WithMaxResponseSize limits the size of a successful response body; a larger
// body fails the call with an error wrapping ErrUnavailable. n must be
// positive. Default: 32 MiB.
func WithMaxResponseSize(n int64) Option {
	return func(c *Client) {
		if n <= 0 {
			c.cfg.errs = append(c.cfg.errs, fmt.Errorf("amocrm: max response size must be positive, got %d", n))
			return
		}
		c.maxResponseSize = n
	}
}

// WithUserAgent sets the User-Agent header. Default: "amogql/1.0".
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua != "" {
			c.userAgent = ua
		}
	}
}

// NewClient returns a Client for the account at WithBaseURL. It fails when the
// base URL is missing or invalid, or when an option got an invalid value.
//
// Authentication is chosen once here: WithTokenSource, else WithToken, else
// the pass-through bearer each call finds in its context (ContextWithBearer).
func NewClient(opts ...Option) (*Client, error) {
	c := &Client{
		userAgent:       defaultUserAgent,
		maxResponseSize: defaultMaxResponseSize,
		cfg:             &config{logger: zerolog.Nop()},
	}
	for _, opt := range opts {
		if opt != nil {
			opt(c)
		}
	}
	cfg := c.cfg
	c.cfg = nil
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	if !cfg.baseURLSeen {
		return nil, errors.New("amocrm: base URL is required (WithBaseURL)")
	}
	base, err := parseBaseURL(cfg.baseURL)
	if err != nil {
		return nil, err
	}
	c.BaseURL = base

	var hc http.Client
	if cfg.httpClient != nil {
		hc = *cfg.httpClient
	}
	if hc.Timeout <= 0 {
		hc.Timeout = defaultTimeout
	}
	rt := hc.Transport
	if rt == nil {
		rt = defaultTransport()
	}
	rt = &logTransport{next: rt, log: cfg.logger}
	if cfg.observer != nil {
		rt = &observerTransport{next: rt, observe: cfg.observer}
	}
	for i := len(cfg.middleware) - 1; i >= 0; i-- {
		if mw := cfg.middleware[i]; mw != nil {
			rt = mw(rt)
		}
	}
	hc.Transport = &authTransport{next: rt, base: base, token: c.token, source: c.tokenSource}
	c.client = &hc

	c.common.client = c
	c.Catalogs = (*CatalogsService)(&c.common)
	c.Companies = (*CompaniesService)(&c.common)
	c.Contacts = (*ContactsService)(&c.common)
	c.CustomFields = (*CustomFieldsService)(&c.common)
	c.Customers = (*CustomersService)(&c.common)
	c.Leads = (*LeadsService)(&c.common)
	c.Notes = (*NotesService)(&c.common)
	c.Pipelines = (*PipelinesService)(&c.common)
	c.Tags = (*TagsService)(&c.common)
	c.Tasks = (*TasksService)(&c.common)
	c.Users = (*UsersService)(&c.common)
	c.Webhooks = (*WebhooksService)(&c.common)
	return c, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("amocrm: invalid base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("amocrm: invalid base URL %q: scheme must be http or https", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("amocrm: invalid base URL %q: no host", u.Redacted())
	case u.User != nil:
		return nil, fmt.Errorf("amocrm: invalid base URL %q: user info is not allowed", u.Redacted())
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("amocrm: invalid base URL %q: query and fragment are not allowed", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

func defaultTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t = t.Clone()
		t.MaxIdleConnsPerHost = 16 // one upstream host, many concurrent calls (default 2)
		return t
	}
	return &http.Transport{Proxy: http.ProxyFromEnvironment}
}

type bearerKey struct{}

// ContextWithBearer returns a copy of ctx carrying a caller's bearer token for
// pass-through auth: it is used when the Client has neither WithToken nor
// WithTokenSource. A leading "Bearer " is stripped, so the value of an
// incoming Authorization header can be passed as is.
func ContextWithBearer(ctx context.Context, token string) context.Context {
	token = strings.TrimSpace(token)
	if scheme, rest, ok := strings.Cut(token, " "); ok && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest)
	} else if strings.EqualFold(token, "Bearer") {
		token = ""
	}
	return context.WithValue(ctx, bearerKey{}, token)
}

// BearerFromContext returns the pass-through bearer token stored by
// ContextWithBearer, and whether there is a non-empty one.
func BearerFromContext(ctx context.Context) (string, bool) {
	token, _ := ctx.Value(bearerKey{}).(string)
	return token, token != ""
}

// NewRequest builds an API request. path is relative to BaseURL
// ("api/v4/contacts?page=2"); a path starting with "/" or an absolute URL is
// refused, so credentials only ever go to the account. A non-nil body is
// encoded as JSON. It returns an error wrapping ErrNoCredentials when the
// Client has no token and ctx carries no pass-through bearer.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	if ctx == nil {
		return nil, errors.New("amocrm: nil context")
	}
	rel, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("amocrm: invalid path: %w", err)
	}
	if rel.Scheme != "" || rel.Host != "" || strings.HasPrefix(rel.Path, "/") {
		return nil, fmt.Errorf("amocrm: path %q must be relative to the base URL", rel.Path)
	}
	u := c.BaseURL.ResolveReference(rel)
	if !strings.HasPrefix(u.Path, c.BaseURL.Path) {
		return nil, fmt.Errorf("amocrm: path %q leaves the base URL", rel.Path)
	}
	if c.token == "" && c.tokenSource == nil {
		if _, ok := BearerFromContext(ctx); !ok {
			return nil, fmt.Errorf("amocrm: %s %s: %w", method, rel.Path, ErrNoCredentials)
		}
	}

	var r io.Reader
	if body != nil {
		buf := new(bytes.Buffer)
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return nil, fmt.Errorf("amocrm: encode %s %s body: %w", method, rel.Path, err)
		}
		r = bytes.NewReader(buf.Bytes()) // sets GetBody, so redirects and retries can replay it
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("amocrm: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/hal+json")
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

// Do sends req and decodes a successful JSON body into v (which may be nil).
//
// A 204 (or any empty 2xx body) leaves v untouched and returns a nil error.
// A non-2xx answer returns the error made by CheckResponse: *ErrorResponse or
// *RateLimitError. Transport failures, 5xx answers, malformed or oversize
// bodies and a passed context deadline return errors matching
// errors.Is(err, ErrUnavailable); context cancellation returns an error
// matching context.Canceled. When req is a write that may have reached
// amoCRM but whose answer was not read in full, the error also matches
// ErrOutcomeUnknown (see there). The *Response is returned whenever the
// upstream answered; its body has been read and closed.
func (c *Client) Do(req *http.Request, v any) (*Response, error) {
	ctx := req.Context()
	op := req.Method + " " + c.relPath(req.URL)

	var sent *sendTrace
	if isWrite(req.Method) {
		sent = new(sendTrace)
		req = sent.trace(req)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ce *credentialsError
		if sent.mayHaveLeft() && !errors.As(err, &ce) {
			return nil, outcomeUnknown(ctx, op, err)
		}
		return nil, transportError(ctx, op, err)
	}
	response, err := c.read(ctx, op, resp, v)
	if err != nil && sent != nil && resp.StatusCode/100 == 2 {
		// amoCRM took the write; what it made is lost with the body.
		return response, outcomeUnknown(ctx, op, err)
	}
	return response, err
}

// read checks and decodes an answer for Do.
func (c *Client) read(ctx context.Context, op string, resp *http.Response, v any) (*Response, error) {
	body := resp.Body
	defer body.Close()

	response := newResponse(resp)
	if err := CheckResponse(resp); err != nil {
		return response, err
	}
	if resp.ContentLength > c.maxResponseSize {
		return response, fmt.Errorf("amocrm: %s: response body of %d bytes exceeds the limit of %d: %w",
			op, resp.ContentLength, c.maxResponseSize, ErrUnavailable)
	}
	buf := getBuffer(resp.ContentLength)
	pool := true // a decode error may still point into the body
	defer func() {
		if pool {
			putBuffer(buf)
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(body, c.maxResponseSize+1)); err != nil {
		return response, transportError(ctx, "read "+op, err)
	}
	data := buf.Bytes()
	if int64(len(data)) > c.maxResponseSize {
		return response, fmt.Errorf("amocrm: %s: response body exceeds the limit of %d bytes: %w",
			op, c.maxResponseSize, ErrUnavailable)
	}
	if resp.StatusCode == http.StatusNoContent || v == nil || len(bytes.TrimSpace(data)) == 0 {
		return response, nil
	}
	if err := decodeSkipping(data, v, skipFrom(ctx)); err != nil {
		pool = false
		return response, fmt.Errorf("amocrm: decode %s: %w: %w", op, ErrUnavailable, err)
	}
	if p, ok := v.(paged); ok {
		response.populatePageValues(p.hal())
	}
	return response, nil
}

// relPath is the request path relative to the base URL, without the query
// (whose values may be personal data), for error messages.
func (c *Client) relPath(u *url.URL) string {
	if p, ok := strings.CutPrefix(u.Path, c.BaseURL.Path); ok {
		return p
	}
	return u.Path
}

// transportError classifies an error from the http.Client (or from reading a
// body): credential failures keep their identity, cancellation stays
// cancellation, everything else is the upstream being unavailable.
func transportError(ctx context.Context, op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // ue.URL carries the query string, which may hold personal data
	}
	var ce *credentialsError
	var rle *RateLimitError
	switch ctxErr := ctx.Err(); {
	case errors.As(err, &ce):
		return fmt.Errorf("amocrm: %s: %w", op, ce.err)
	case errors.Is(ctxErr, context.Canceled):
		return fmt.Errorf("amocrm: %s: %w", op, ctxErr)
	case ctxErr != nil:
		return fmt.Errorf("amocrm: %s: %w: %w", op, ErrUnavailable, ctxErr)
	case errors.As(err, &rle), errors.Is(err, ErrUnavailable):
		return fmt.Errorf("amocrm: %s: %w", op, err)
	default:
		return fmt.Errorf("amocrm: %s: %w: %w", op, ErrUnavailable, err)
	}
}

// GetOptions are the query parameters of a get-by-id call.
type GetOptions struct {
	// With asks for related entities in _embedded, e.g. "leads", "customers",
	// "catalog_elements" (values depend on the resource; sent comma-separated).
	With []string `url:"with,comma,omitempty"`
}

// Range is a filter[<field>][from]/[to] pair of Unix timestamps (or numbers,
// e.g. a lead's price). Either bound may be zero to leave it open.
type Range struct {
	From int64 `url:"from,omitempty"`
	To   int64 `url:"to,omitempty"`
}

// Order sorts a list: order[<field>]=asc|desc. Set at most one field; each
// value is "asc" or "desc". Contacts and companies sort by UpdatedAt or ID;
// leads also by CreatedAt.
type Order struct {
	UpdatedAt string `url:"updated_at,omitempty"`
	ID        string `url:"id,omitempty"`
	CreatedAt string `url:"created_at,omitempty"`
}

func (o *Order) validate() error {
	if o == nil {
		return nil
	}
	n := 0
	for _, f := range []struct{ name, dir string }{
		{"updated_at", o.UpdatedAt}, {"id", o.ID}, {"created_at", o.CreatedAt},
	} {
		if f.dir == "" {
			continue
		}
		n++
		if f.dir != "asc" && f.dir != "desc" {
			return &ArgumentError{Arg: "order[" + f.name + "]", Reason: fmt.Sprintf("must be asc or desc, got %q", f.dir)}
		}
	}
	if n > 1 {
		return &ArgumentError{Arg: "order", Reason: "amoCRM sorts by one field at a time"}
	}
	return nil
}

// addOptions appends opts, a struct with go-querystring url tags, to path as
// a query string.
func addOptions(path string, opts any) (string, error) {
	if v := reflect.ValueOf(opts); opts == nil || v.Kind() == reflect.Pointer && v.IsNil() {
		return path, nil
	}
	qs, err := query.Values(opts)
	if err != nil {
		return "", fmt.Errorf("amocrm: encode options: %w", err)
	}
	if len(qs) == 0 {
		return path, nil
	}
	return path + "?" + qs.Encode(), nil
}

// checkPaging refuses page and limit values amoCRM would not serve.
func checkPaging(page, limit int) error {
	switch {
	case limit > MaxLimit:
		return &ArgumentError{Arg: "limit", Reason: fmt.Sprintf("must be at most %d, got %d", MaxLimit, limit)}
	case limit < 0:
		return &ArgumentError{Arg: "limit", Reason: fmt.Sprintf("must be positive, got %d", limit)}
	case page < 0:
		return &ArgumentError{Arg: "page", Reason: fmt.Sprintf("must be positive, got %d", page)}
	}
	return nil
}

// checkID refuses ids amoCRM cannot have.
func checkID(arg string, id int) error {
	if id <= 0 {
		return &ArgumentError{Arg: arg, Reason: fmt.Sprintf("must be positive, got %d", id)}
	}
	return nil
}

// checkBatch refuses an empty batch or one with nil elements.
func checkBatch[T any](arg string, items []*T) error {
	if len(items) == 0 {
		return &ArgumentError{Arg: arg, Reason: "must not be empty"}
	}
	for i, it := range items {
		if it == nil {
			return &ArgumentError{Arg: fmt.Sprintf("%s[%d]", arg, i), Reason: "must not be nil"}
		}
	}
	return nil
}

// IDs is a list of entity ids sent as key[]=1&key[]=2. A filter by id can
// hold 250 of them; encoding them directly, not through go-querystring's
// reflection and fmt, keeps building a call's URL cheap.
type IDs []int

// EncodeValues implements go-querystring's Encoder.
func (ids IDs) EncodeValues(key string, v *url.Values) error {
	vs := make([]string, len(ids))
	for i, id := range ids {
		vs[i] = strconv.Itoa(id)
	}
	(*v)[key+"[]"] = append((*v)[key+"[]"], vs...)
	return nil
}
