// Package sandbox is an in-memory emulator of the documented amoCRM / Kommo
// REST API v4: an http.Handler seeded with deterministic demo data.
//
// It is the project's one fake upstream. The gateway serves it in dev mode and
// every test runs it behind httptest.Server. It is written from amoCRM's
// public API documentation (https://www.amocrm.ru/developers/content/crm_platform/api-reference)
// and imports nothing from the project, so the gateway's client and this
// emulator cannot share a bug.
//
// Besides the documented endpoints it offers what tests need: per-route call
// counters, a log of every request, fault switches (latency, forced statuses
// for every call or by path, malformed bodies, reset connections, the 7 rps
// limit and the account block), a token without administrator rights
// (WithNonAdminToken) and an OAuth 2.0 token endpoint with single-use
// refresh tokens. Standalone serves it with GET /_sandbox/calls (CallsPath),
// the call count, for a process that measures it from outside; nothing under
// /api/v4 changes.
//
// It implements amoCRM's webhook subscriptions (/api/v4/webhooks) and, for
// every write it applies, whoever made it, posts amoCRM-format webhooks to
// the subscribed destinations, asynchronously and in order per destination
// (webhooks.go, deliver.go, hookform.go). DeleteContacts and
// RestoreContacts stand in for amoCRM's web interface, where those changes
// are made. WaitDeliveries flushes deliveries for tests; Close stops them.
//
// Successful GET answers are memoised until the next write to the data, so
// that under load the emulator costs little next to the gateway it serves
// (WithoutAnswerCache turns this off).
//
// Demo data (see demo.go, demo_docs.go) is deterministic for a given
// WithSeed and WithContacts. It always holds the documentation's examples:
// contact 3 "Иван Иванов" (leads 1 and 3916883, customer 134923, company 1,
// tag 145471), contacts 7143599 "1" and 7767065 "dsgdsg" (no fields, tags or
// company; the least recently updated contacts) and contact 3102959 linked
// to chat 6cbab3d5-c4c1-46ff-b710-ad59ad10805f by link 26219. Generated
// contacts start at 10000001, which has every relation (company, leads,
// customers, catalog elements, chats, tags, phone and email); 10000002 has
// none. Contacts created through the API get ids from 40401635 up, the ids
// of the documentation's POST example.
//
// Around contacts it emulates leads (GET/POST/PATCH /api/v4/leads, status
// moves validated against the pipelines, POST /api/v4/leads/complex,
// with=contacts,catalog_elements,loss_reason,source_id), companies
// (GET/POST/PATCH), customers (GET), users (GET /api/v4/users[/{id}],
// with=role,group), lead pipelines and stages (GET
// /api/v4/leads/pipelines[/{id}[/statuses[/{status_id}]]]), tags and
// custom fields of every entity type, tasks (GET/POST/PATCH
// /api/v4/tasks[/{id}], completion with result) and notes of leads,
// contacts, companies and customers (GET /api/v4/{entity}/notes[/{id}],
// GET and POST /api/v4/{entity}[/{entity_id}]/notes). Lead and company
// writes send their webhooks (add, update, status and responsible for
// leads); task and note writes send none. Missing users, pipelines, stages,
// tasks and notes answer 404; missing leads, companies and customers 204.
//
// The account has pipelines PipelineMain (5000001, stages 5100001–5100004),
// PipelineRepeat (5000002, 5200001–5200002) and PipelinePartners (5000003,
// 5300001–5300003, no demo leads), each with 142 won and 143 lost; users
// 504141 (DefaultUserID, admin) to 504146 and 47272, groups 0 and
// GroupBranch, roles RoleManager and RoleHead. Demo tasks and notes are
// seeded relative to the WithClock clock: task DemoTaskDueTodayID on lead 1
// is due at the end of today (Moscow time), DemoTaskOverdueID on contact 3
// was due two days ago, DemoTaskCompletedID on lead 3916883 is done with a
// result; notes DemoNoteContactID and DemoNoteSMSID are on contact 3,
// DemoNoteCallID on lead 1, DemoNoteServiceID on company 1. Generated
// tasks and notes follow from FirstGeneratedTaskID and FirstGeneratedNoteID;
// ones created through the API from 61000001 and 71000001, leads from
// 21000001, companies from 31000001.
package sandbox

import (
	"crypto/subtle"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// DefaultToken is the bearer token every /api/v4 call must carry unless
// WithToken configures another one.
const DefaultToken = "sandbox-token"

// AccountID is the id of the emulated account, the account_id of every entity.
const AccountID = 28805383

// DefaultUserID is the user the demo data and new contacts are owned by unless
// the request says otherwise.
const DefaultUserID = 504141

// Option configures a Sandbox built by New.
type Option func(*config)

// config is everything New's options can set.
type config struct {
	token       string
	demo        bool
	contacts    int
	seed        int64
	baseURL     string
	alwaysNext  bool
	latency     time.Duration
	clients     []OAuthClient
	accessTTL   time.Duration
	now         func() time.Time
	maxRecorded int
	// noAnswerCache turns off the memo of GET answers (answercache.go).
	noAnswerCache bool
	// nonAdmin are accepted tokens of a user without admin rights (chats.go).
	nonAdmin []string
	// Webhook delivery (deliver.go).
	hookTimeout      time.Duration
	hookDisableAfter int
	hookObserver     func(WebhookDelivery)
}

// WithToken sets the bearer token every /api/v4 call must carry (default
// DefaultToken). Tokens minted by the OAuth endpoint are accepted as well.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithoutDemoData starts the sandbox with no contacts, leads, companies,
// customers, catalog elements, tags or chats. The custom field registry, the
// users, pipelines and catalog definitions stay, so writes still validate.
func WithoutDemoData() Option { return func(c *config) { c.demo = false } }

// WithContacts sets how many contacts are generated besides the documentation's
// example contacts (default 300). Companies, leads and customers scale with it.
func WithContacts(n int) Option {
	return func(c *config) {
		if n >= 0 {
			c.contacts = n
		}
	}
}

// WithSeed sets the seed of the demo data generator (default 1). The same
// seed and contact count always produce the same data.
func WithSeed(seed int64) Option { return func(c *config) { c.seed = seed } }

// WithBaseURL sets the scheme and host used in _links hrefs, e.g.
// "https://example.amocrm.ru". By default it is derived from the request's
// Host header.
func WithBaseURL(u string) Option {
	return func(c *config) { c.baseURL = strings.TrimRight(u, "/") }
}

// WithAlwaysNext chooses the paging quirk. True (the default) emits
// _links.next on every non-empty page, as upstream does for lists that cannot
// tell whether more rows exist, so the end of a list is a short page or a 204.
// False emits next only when more rows exist.
func WithAlwaysNext(b bool) Option { return func(c *config) { c.alwaysNext = b } }

// WithLatency adds d before every /api/v4 response. It is the initial value
// of Faults.Latency, to which ClearFaults returns.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// WithClock replaces time.Now as the sandbox's clock: timestamps of written
// entities, token lifetimes, the rate limit window and RecordedRequest.At all
// read it. It lets tests expire tokens without sleeping.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithRequestLog caps how many requests Requests keeps (default 100000; the
// oldest are dropped first), so a long-running dev server does not grow
// without bound. Call counters are never capped.
func WithRequestLog(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxRecorded = n
		}
	}
}

// Sandbox is the emulated amoCRM account. It is safe for concurrent use.
type Sandbox struct {
	cfg       config
	mux       *http.ServeMux
	routeKeys map[string]string // ServeMux pattern -> route key used by Calls
	store     *store
	oauth     *oauthState
	calls     callLog
	faults    faultState
	answers   *answerCache // nil when WithoutAnswerCache
	hooks     *webhookHub
}

// New returns a Sandbox seeded with demo data unless WithoutDemoData is given.
func New(opts ...Option) *Sandbox {
	cfg := config{
		token:       DefaultToken,
		demo:        true,
		contacts:    300,
		seed:        1,
		alwaysNext:  true,
		accessTTL:   24 * time.Hour,
		now:         time.Now,
		maxRecorded: 100000,

		hookTimeout:      DefaultWebhookTimeout,
		hookDisableAfter: DefaultWebhookDisableAfter,
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Sandbox{
		cfg:       cfg,
		mux:       http.NewServeMux(),
		routeKeys: map[string]string{},
		store:     newStore(),
	}
	if cfg.demo {
		seedDemo(s.store, cfg.contacts, cfg.seed)
		seedActivity(s.store, cfg.seed, cfg.now())
	}
	s.oauth = newOAuthState(cfg)
	s.hooks = newWebhookHub(cfg)
	s.calls.init(cfg.maxRecorded)
	s.faults.init(cfg.latency)
	if !cfg.noAnswerCache {
		s.answers = newAnswerCache(&s.store.mu)
	}
	s.addRoutes()
	return s
}

// addRoutes maps the whole emulated API surface. The first argument is the
// route key Calls counts under, the second the ServeMux pattern: they differ
// only where one documented route needs several patterns to avoid a
// conflict with /api/v4/contacts/{id}.
func (s *Sandbox) addRoutes() {
	s.handle("GET /api/v4/account", "", s.getAccount)
	s.handle("GET /api/v4/contacts", "", s.listContacts)
	s.handle("GET /api/v4/contacts/{id}", "", s.getContact)
	s.handle("POST /api/v4/contacts", "", s.createContacts)
	s.handle("PATCH /api/v4/contacts", "", s.updateContacts)
	s.handle("PATCH /api/v4/contacts/{id}", "", s.updateContact)
	s.handle("GET /api/v4/contacts/chats", "", s.listChats)
	s.handle("POST /api/v4/contacts/chats", "", s.linkChats)
	s.handle("GET /api/v4/leads", "", s.listLeads)
	s.handle("GET /api/v4/leads/{id}", "", s.getLead)
	s.handle("POST /api/v4/leads", "", s.createLeads)
	s.handle("PATCH /api/v4/leads", "", s.updateLeads)
	s.handle("PATCH /api/v4/leads/{id}", "", s.updateLead)
	s.handle("POST /api/v4/leads/complex", "", s.createComplex)
	s.handle("GET /api/v4/leads/pipelines", "", s.listPipelines)
	s.handle("GET /api/v4/leads/pipelines/{pipeline_id}", "", s.getPipeline)
	s.handle("GET /api/v4/leads/pipelines/{pipeline_id}/statuses", "", s.listStatuses)
	s.handle("GET /api/v4/leads/pipelines/{pipeline_id}/statuses/{status_id}", "", s.getStatus)
	s.handle("GET /api/v4/companies", "", s.listCompanies)
	s.handle("GET /api/v4/companies/{id}", "", s.getCompany)
	s.handle("POST /api/v4/companies", "", s.createCompanies)
	s.handle("PATCH /api/v4/companies", "", s.updateCompanies)
	s.handle("PATCH /api/v4/companies/{id}", "", s.updateCompany)
	s.handle("GET /api/v4/users", "", s.listUsers)
	s.handle("GET /api/v4/users/{id}", "", s.getUser)
	s.handle("GET /api/v4/tasks", "", s.listTasks)
	s.handle("GET /api/v4/tasks/{id}", "", s.getTask)
	s.handle("POST /api/v4/tasks", "", s.createTasks)
	s.handle("PATCH /api/v4/tasks", "", s.updateTasks)
	s.handle("PATCH /api/v4/tasks/{id}", "", s.updateTask)
	s.handle("GET /api/v4/customers", "", s.listCustomers)
	s.handle("GET /api/v4/customers/{id}", "", s.getCustomer)
	s.handle("GET /api/v4/catalogs/{catalog_id}/elements", "", s.listElements)
	s.handle("GET /api/v4/catalogs/{catalog_id}/elements/{id}", "", s.getElement)
	for _, e := range []string{entContacts, entLeads, entCompanies, entCustomers} {
		s.handle("GET /api/v4/{entity_type}/tags", "GET /api/v4/"+e+"/tags", s.tagsHandler(e))
		s.handle("GET /api/v4/"+e+"/custom_fields", "", s.customFieldsHandler(e))
		list, get, byEntity, create, createFor := s.notesHandlers(e)
		s.handle("GET /api/v4/{entity_type}/notes", "GET /api/v4/"+e+"/notes", list)
		s.handle("GET /api/v4/{entity_type}/notes/{id}", "GET /api/v4/"+e+"/notes/{id}", get)
		s.handle("GET /api/v4/{entity_type}/{entity_id}/notes", "GET /api/v4/"+e+"/{entity_id}/{sub}", byEntity)
		s.handle("POST /api/v4/{entity_type}/notes", "POST /api/v4/"+e+"/notes", create)
		s.handle("POST /api/v4/{entity_type}/{entity_id}/notes", "POST /api/v4/"+e+"/{entity_id}/{sub}", createFor)
	}
	s.handle("GET /api/v4/webhooks", "", s.listWebhooks)
	s.handle("POST /api/v4/webhooks", "", s.subscribeWebhook)
	s.handle("DELETE /api/v4/webhooks", "", s.unsubscribeWebhook)
	s.handle("POST /oauth2/access_token", "", s.accessToken)
}

// handle registers h under pattern (route when pattern is empty).
func (s *Sandbox) handle(route, pattern string, h http.HandlerFunc) {
	if pattern == "" {
		pattern = route
	}
	s.routeKeys[pattern] = route
	s.mux.HandleFunc(pattern, h)
}

// ServeHTTP answers one request: it is counted and logged, gets an
// X-Request-Id, passes the fault switches and authentication when it is an
// /api/v4 call, and is then routed. Only then may a GET be answered from
// the answer cache, so counting, faults and auth see cached calls too.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	route := s.routeKeys[pattern]
	sw := &statusWriter{ResponseWriter: w, log: &s.calls, entry: s.calls.begin(r, route, s.cfg.now())}
	defer sw.finish()
	sw.Header().Set("X-Request-Id", newRequestID())

	malformed := false
	if strings.HasPrefix(r.URL.Path, "/api/v4/") {
		var proceed bool
		if proceed, malformed = s.gate(sw, r); !proceed {
			return
		}
		if !s.authorized(r) {
			writeProblem(sw, http.StatusUnauthorized, "Unauthorized: a valid \"Authorization: Bearer <token>\" header is required")
			return
		}
		// Before the answer cache, which is shared by all tokens.
		if adminOnly[route] && s.nonAdmin(r) {
			writeProblem(sw, http.StatusForbidden, "Access denied: the method needs account administrator rights")
			return
		}
	}
	switch {
	case route == "" && pattern == "":
		s.unmatched(sw, r)
	case malformed:
		s.serveMalformed(sw, r)
	default:
		s.serveRoute(sw, r, route)
	}
}

// unmatched answers a request no route serves: 404, or 405 when another
// method of the path exists, as problem+json like upstream's other errors
// rather than ServeMux's plain text (upstream's 405 body is unconfirmed).
func (s *Sandbox) unmatched(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeProblem(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method %s is not allowed for %s", r.Method, r.URL.Path))
		return
	}
	writeProblem(w, http.StatusNotFound, "Not found: "+r.URL.Path)
}

// probeWriter records what ServeMux's internal not-found / not-allowed
// handlers would answer, discarding the body.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

// authorized reports whether r carries the configured token, a
// WithNonAdminToken token or an unexpired access token minted by the OAuth
// endpoint.
func (s *Sandbox) authorized(r *http.Request) bool {
	tok := bearerToken(r)
	if tok == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.token)) == 1 || s.nonAdmin(r) {
		return true
	}
	return s.oauth.accessValid(tok, s.cfg.now())
}

// bearerToken returns the token of an "Authorization: Bearer" header, or "".
func bearerToken(r *http.Request) string {
	const prefix = "bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(h[len(prefix):])
}

// baseURL is the scheme and host _links hrefs start with.
func (s *Sandbox) baseURL(r *http.Request) string {
	if s.cfg.baseURL != "" {
		return s.cfg.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// newRequestID returns a fresh X-Request-Id value. Upstream's ids are opaque
// hex strings; ours only need to be unique enough to tell calls apart.
func newRequestID() string {
	return fmt.Sprintf("%016x", rand.Uint64())
}
