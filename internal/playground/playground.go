// Package playground serves GraphiQL, the in-browser GraphQL IDE, so people
// can explore the gateway's schema and try queries without installing a
// client.
//
// Every file the page loads (scripts, styles, fonts) is compiled into the
// binary with embed, and the page refers to nothing but the gateway itself,
// so the playground works on air-gapped installs and sends no traffic to
// third parties. The bundle in dist/ is built from npm packages pinned in
// web/package-lock.json by `npm ci && npm run build` in web/, and committed
// so that Go builds never need Node; web/check.sh proves that the committed
// bundle is what the lockfile builds.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultEndpoint is the GraphQL endpoint the playground sends queries to
// when Handler is given an empty endpoint; it is the gateway's own route.
const DefaultEndpoint = "/query"

// DefaultQuery is the query the editor opens with when no WithDefaultQuery
// option is given. It fetches a small page of contacts with their tags and
// companies, so a first-time visitor sees the gateway's main use (one round
// trip for related amoCRM data) by pressing the run button once.
const DefaultQuery = `# Welcome to the amogql playground.
#
# Run a query with the ▶ button or Ctrl+Enter.
# Ctrl+Space suggests fields; the Docs button
# on the left browses the schema.
query FirstContacts {
  contacts(first: 5) {
    nodes {
      id
      name
      tags {
        name
      }
      companies {
        id
        name
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`

// The URL paths the handler answers, relative to where it is mounted.
const (
	indexPath   = "/"
	assetsPath  = "/playground/assets/"
	noticesPath = "/playground/THIRD_PARTY_NOTICES.txt"
)

// Cache policies: asset names carry a content hash, so a browser may keep
// them forever; the page itself names the current assets and must be
// revalidated on every visit.
const (
	cacheForever = "public, max-age=31536000, immutable"
	cacheNever   = "no-cache"
)

//go:embed dist
var dist embed.FS

//go:embed index.html.tmpl
var indexSource string

var indexTemplate = template.Must(template.New("index").Parse(indexSource))

// contentTypes fixes the Content-Type of every extension the bundle may
// contain, so responses do not depend on the host's MIME database.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".eot":   "application/vnd.ms-fontobject",
	".gif":   "image/gif",
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".json":  "application/json",
	".png":   "image/png",
	".svg":   "image/svg+xml",
	".ttf":   "font/ttf",
	".txt":   "text/plain; charset=utf-8",
	".woff":  "font/woff",
	".woff2": "font/woff2",
}

// Option changes how Handler sets up the playground.
//
// Options exist so that Handler's common call stays a one-liner while
// deployments can still adapt the page, for example to their own schema.
type Option func(*config)

type config struct {
	defaultQuery string
}

// WithDefaultQuery sets the text the query editor opens with, replacing
// DefaultQuery; an empty q opens an empty editor.
//
// GraphiQL remembers the editor contents in the browser's local storage,
// so the default only shows on a browser's first visit, or after the
// stored tabs are closed.
func WithDefaultQuery(q string) Option {
	return func(c *config) { c.defaultQuery = q }
}

// Handler returns an http.Handler that serves the playground page at "/"
// and its assets under "/playground/", sending queries to endpoint, and
// subscriptions to the same endpoint over a WebSocket (graphql-transport-ws,
// with the API key from the page's headers tab in connection_init).
//
// Mount it at the root of the gateway, or under a prefix with
// http.StripPrefix: the page refers to its assets by relative URLs.
// endpoint is usually a path on the same origin, such as "/query" (used
// when endpoint is empty); an absolute http(s) URL also works, and the
// page's Content-Security-Policy then allows connections to that origin.
//
// The handler answers GET and HEAD, 405 for other methods on its paths and
// 404 for any other path. It panics only if the embedded bundle is
// malformed, which the package's tests catch before any release.
func Handler(endpoint string, opts ...Option) http.Handler {
	cfg := config{defaultQuery: DefaultQuery}
	for _, opt := range opts {
		opt(&cfg)
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}

	b, err := loadBundle()
	if err != nil {
		panic(fmt.Sprintf("playground: %v", err))
	}

	page := struct {
		Endpoint, DefaultQuery string
		Styles, Scripts        []string
	}{Endpoint: endpoint, DefaultQuery: cfg.defaultQuery}
	// Relative asset URLs keep the page working under http.StripPrefix.
	for _, name := range b.manifest.Styles {
		page.Styles = append(page.Styles, strings.TrimPrefix(assetsPath, "/")+name)
	}
	for _, name := range b.manifest.Scripts {
		page.Scripts = append(page.Scripts, strings.TrimPrefix(assetsPath, "/")+name)
	}
	var html bytes.Buffer
	if err := indexTemplate.Execute(&html, page); err != nil {
		panic(fmt.Sprintf("playground: render index.html: %v", err))
	}

	return &handler{
		index:   newFile("index.html", html.Bytes()),
		csp:     contentSecurityPolicy(endpoint),
		assets:  b.assets,
		notices: b.notices,
	}
}

type handler struct {
	index   *file
	csp     string
	assets  map[string]*file
	notices *file
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var f *file
	cache := cacheNever
	switch p := r.URL.Path; {
	case p == indexPath:
		f = h.index
		w.Header().Set("Content-Security-Policy", h.csp)
	case p == noticesPath:
		f = h.notices
	case strings.HasPrefix(p, assetsPath):
		f = h.assets[strings.TrimPrefix(p, assetsPath)]
		cache = cacheForever
	}
	if f == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	f.serve(w, r, cache)
}

// file is one response body with the headers that describe it.
type file struct {
	contentType string
	body        []byte
	etag        string
	// gzipped compresses body on first use; nil for files too small to
	// be worth it.
	gzipped func() []byte
}

// minGzipSize is the body size below which compression saves too little
// to be worth a variant.
const minGzipSize = 1024

func newFile(name string, body []byte) *file {
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		if ct = mime.TypeByExtension(path.Ext(name)); ct == "" {
			ct = "application/octet-stream"
		}
	}
	sum := sha256.Sum256(body)
	f := &file{contentType: ct, body: body, etag: hex.EncodeToString(sum[:12])}
	if len(body) >= minGzipSize {
		f.gzipped = sync.OnceValue(func() []byte {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			// Writes to a bytes.Buffer cannot fail.
			_, _ = zw.Write(body)
			_ = zw.Close()
			return buf.Bytes()
		})
	}
	return f
}

func (f *file) serve(w http.ResponseWriter, r *http.Request, cache string) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	body, etag := f.body, f.etag
	if f.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		// Ranges would refer to the compressed bytes, which clients that
		// resume downloads rarely expect; serve those uncompressed.
		if acceptsGzip(r.Header.Values("Accept-Encoding")) && r.Header.Get("Range") == "" {
			h.Set("Content-Encoding", "gzip")
			body, etag = f.gzipped(), etag+"-gzip"
		}
	}
	h.Set("ETag", strconv.Quote(etag))
	// ServeContent answers If-None-Match with 304, HEAD without a body,
	// and Range requests with 206.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether the Accept-Encoding header values list gzip
// with a non-zero quality.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for coding := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(coding, ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			q := 1.0
			for param := range strings.SplitSeq(params, ";") {
				k, v, _ := strings.Cut(param, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					var err error
					if q, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
						q = 0
					}
				}
			}
			return q > 0
		}
	}
	return false
}

// hostSource matches hosts that are safe to copy into a CSP header.
var hostSource = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// contentSecurityPolicy returns the policy for the page. It lets the page
// load code and styles only from the gateway, so a bundle that tried to
// reach a CDN would fail visibly in development instead of silently on an
// air-gapped install; inline styles and data: URIs are allowed because
// GraphiQL's components and its inlined fonts and icons rely on them.
//
// The page subscribes over a WebSocket to the endpoint's host. 'self'
// covers ws: and wss: on the page's own host (CSP Level 3), but a source
// naming another host matches only its own scheme, so an absolute endpoint
// also gets its WebSocket scheme listed.
func contentSecurityPolicy(endpoint string) string {
	connect := "'self'"
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" && hostSource.MatchString(u.Host) {
		switch u.Scheme {
		case "http":
			connect += " http://" + u.Host + " ws://" + u.Host
		case "https":
			connect += " https://" + u.Host + " wss://" + u.Host
		case "":
			// Scheme-relative: the page's scheme picks one of each pair.
			connect += " " + u.Host + " ws://" + u.Host + " wss://" + u.Host
		}
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'none'",
	}, "; ")
}

// manifest is dist/manifest.json, written by web/build.mjs: the asset
// files index.html must load, by name within dist/assets, in load order.
type manifest struct {
	Scripts []string `json:"scripts"`
	Styles  []string `json:"styles"`
}

type bundle struct {
	manifest manifest
	assets   map[string]*file
	notices  *file
}

// loadBundle reads the embedded dist once; every Handler shares the result,
// including the lazily compressed bodies.
var loadBundle = sync.OnceValues(func() (*bundle, error) {
	raw, err := dist.ReadFile("dist/manifest.json")
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	b := &bundle{assets: map[string]*file{}}
	if err := json.Unmarshal(raw, &b.manifest); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	entries, err := fs.ReadDir(dist, "dist/assets")
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := dist.ReadFile("dist/assets/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read asset %s: %w", e.Name(), err)
		}
		b.assets[e.Name()] = newFile(e.Name(), body)
	}
	if len(b.manifest.Scripts) == 0 {
		return nil, fmt.Errorf("manifest lists no scripts")
	}
	for _, name := range append(append([]string(nil), b.manifest.Scripts...), b.manifest.Styles...) {
		if b.assets[name] == nil {
			return nil, fmt.Errorf("manifest lists %s, which is not in dist/assets", name)
		}
	}
	notices, err := dist.ReadFile("dist/THIRD_PARTY_NOTICES.txt")
	if err != nil {
		return nil, fmt.Errorf("read notices: %w", err)
	}
	b.notices = newFile("THIRD_PARTY_NOTICES.txt", notices)
	return b, nil
})
