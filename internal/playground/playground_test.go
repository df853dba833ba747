package playground

import (
	"bytes"
	"compress/gzip"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
)

// get sends one request to h and returns the recorded response.
func get(t *testing.T, h http.Handler, method, target string, header http.Header) *http.Response {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), method, target, nil)
	for k, vs := range header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

var (
	attrRef    = regexp.MustCompile(`\b(?:src|href)="([^"]*)"`)
	cssURL     = regexp.MustCompile(`url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"]*))\s*\)`)
	cssImport  = regexp.MustCompile(`@import\s+(?:url\()?\s*["']?([^"')\s;]+)`)
	dataAttr   = regexp.MustCompile(`\bdata-([a-z-]+)="([^"]*)"`)
	titleTag   = regexp.MustCompile(`<title>([^<]*)</title>`)
	externalIn = regexp.MustCompile(`(?i)https?://|(?:src|href)="//|url\(\s*["']?//`)
)

// pageRefs returns every src and href value in page, unescaped.
func pageRefs(page string) []string {
	var refs []string
	for _, m := range attrRef.FindAllStringSubmatch(page, -1) {
		refs = append(refs, html.UnescapeString(m[1]))
	}
	return refs
}

// stylesheetRefs returns every url(...) and @import target in css.
func stylesheetRefs(css string) []string {
	var refs []string
	for _, m := range cssURL.FindAllStringSubmatch(css, -1) {
		refs = append(refs, strings.TrimSpace(m[1]+m[2]+m[3]))
	}
	for _, m := range cssImport.FindAllStringSubmatch(css, -1) {
		refs = append(refs, m[1])
	}
	return refs
}

// isExternal reports whether a reference in a page or stylesheet would make
// the browser contact a host other than the gateway.
func isExternal(ref string) bool {
	ref = strings.TrimSpace(strings.ToLower(ref))
	return strings.HasPrefix(ref, "//") || (strings.Contains(ref, ":") && !strings.HasPrefix(ref, "data:"))
}

func TestHandler_Index(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		endpoint     string
		opts         []Option
		wantEndpoint string
		wantQuery    string
	}{
		{name: "Defaults", endpoint: "", wantEndpoint: "/query", wantQuery: DefaultQuery},
		{name: "Endpoint", endpoint: "/api/graphql", wantEndpoint: "/api/graphql", wantQuery: DefaultQuery},
		{
			name:         "DefaultQuery",
			endpoint:     "/query",
			opts:         []Option{WithDefaultQuery("{ contact(id: \"1\") { name } }")},
			wantEndpoint: "/query",
			wantQuery:    "{ contact(id: \"1\") { name } }",
		},
		{
			name:         "EmptyDefaultQuery",
			endpoint:     "/query",
			opts:         []Option{WithDefaultQuery("")},
			wantEndpoint: "/query",
			wantQuery:    "",
		},
		{
			name:         "HostileValuesEscaped",
			endpoint:     `/q?a=1&b="><script>alert(1)</script>`,
			opts:         []Option{WithDefaultQuery("# </div><script>alert(2)</script>\n{ a }")},
			wantEndpoint: `/q?a=1&b="><script>alert(1)</script>`,
			wantQuery:    "# </div><script>alert(2)</script>\n{ a }",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := get(t, Handler(tt.endpoint, tt.opts...), http.MethodGet, "/", nil)
			page := readBody(t, resp)

			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			for k, want := range map[string]string{
				"Content-Type":           "text/html; charset=utf-8",
				"Cache-Control":          "no-cache",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy = %q, want script-src 'self'", csp)
			}
			if m := titleTag.FindStringSubmatch(page); m == nil || m[1] != "amogql playground" {
				t.Errorf("title = %q, want %q", m, "amogql playground")
			}
			if strings.Contains(page, "alert(") && strings.Contains(page, "<script>alert") {
				t.Errorf("page contains an unescaped injected script:\n%s", page)
			}

			attrs := map[string]string{}
			for _, m := range dataAttr.FindAllStringSubmatch(page, -1) {
				attrs[m[1]] = html.UnescapeString(m[2])
			}
			if got, ok := attrs["endpoint"]; !ok || got != tt.wantEndpoint {
				t.Errorf("data-endpoint = %q (present %t), want %q", got, ok, tt.wantEndpoint)
			}
			if got, ok := attrs["default-query"]; !ok || got != tt.wantQuery {
				t.Errorf("data-default-query = %q (present %t), want %q", got, ok, tt.wantQuery)
			}
		})
	}
}

func TestHandler_ServesEveryReferencedAsset(t *testing.T) {
	t.Parallel()
	h := Handler("/query")
	base, _ := url.Parse("http://gateway.test/")
	page := readBody(t, get(t, h, http.MethodGet, base.String(), nil))

	refs := pageRefs(page)
	var scripts, styles int
	for _, ref := range refs {
		switch path.Ext(ref) {
		case ".js":
			scripts++
		case ".css":
			styles++
		}
	}
	if scripts == 0 || styles == 0 {
		t.Fatalf("index.html references %d scripts and %d stylesheets, want at least one of each: %q", scripts, styles, refs)
	}

	tests := []struct {
		name string
		ref  string
		base *url.URL
	}{}
	for _, ref := range refs {
		tests = append(tests, struct {
			name string
			ref  string
			base *url.URL
		}{name: "index.html:" + ref, ref: ref, base: base})
	}
	// Stylesheets may pull in fonts and images of their own.
	for _, ref := range refs {
		if path.Ext(ref) != ".css" {
			continue
		}
		cssURL := base.ResolveReference(&url.URL{Path: ref})
		css := readBody(t, get(t, h, http.MethodGet, cssURL.String(), nil))
		for _, r := range stylesheetRefs(css) {
			if strings.HasPrefix(r, "data:") {
				continue
			}
			tests = append(tests, struct {
				name string
				ref  string
				base *url.URL
			}{name: ref + ":" + r, ref: r, base: cssURL})
		}
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if strings.HasPrefix(tt.ref, "data:") {
				return // Inline, nothing to fetch.
			}
			if isExternal(tt.ref) {
				t.Fatalf("reference %q leaves the gateway", tt.ref)
			}
			ref, err := url.Parse(tt.ref)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.ref, err)
			}
			u := tt.base.ResolveReference(ref)
			resp := get(t, h, http.MethodGet, u.String(), nil)
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status = %d, want 200", u.Path, resp.StatusCode)
			}
			if len(body) == 0 {
				t.Errorf("GET %s: empty body", u.Path)
			}
			if got, want := resp.Header.Get("Content-Type"), contentTypes[path.Ext(u.Path)]; want == "" || got != want {
				t.Errorf("GET %s: Content-Type = %q, want %q", u.Path, got, want)
			}
			if got := resp.Header.Get("Cache-Control"); got != cacheForever {
				t.Errorf("GET %s: Cache-Control = %q, want %q", u.Path, got, cacheForever)
			}
			if resp.Header.Get("ETag") == "" {
				t.Errorf("GET %s: no ETag", u.Path)
			}
		})
	}
}

// cdnHosts are hosts that front-end bundles commonly load code or fonts
// from; none of them may appear in anything the playground serves.
var cdnHosts = []string{
	"unpkg.com", "jsdelivr.net", "cdnjs.cloudflare.com", "esm.sh", "skypack.dev",
	"fonts.googleapis.com", "fonts.gstatic.com", "googleapis.com",
}

func TestHandler_NoExternalReferences(t *testing.T) {
	t.Parallel()
	h := Handler("/query")
	page := readBody(t, get(t, h, http.MethodGet, "/", nil))

	docs := map[string]string{"index.html": page}
	for name := range loadBundleForTest(t).assets {
		docs[name] = readBody(t, get(t, h, http.MethodGet, assetsPath+name, nil))
	}

	for name, body := range docs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			switch path.Ext(name) {
			case ".html":
				if m := externalIn.FindString(body); m != "" {
					t.Errorf("index.html contains %q", m)
				}
				for _, ref := range pageRefs(body) {
					if isExternal(ref) {
						t.Errorf("index.html references %q", ref)
					}
				}
			case ".css":
				for _, ref := range stylesheetRefs(body) {
					if isExternal(ref) {
						t.Errorf("%s references %q", name, ref)
					}
				}
			}
			for _, host := range cdnHosts {
				if strings.Contains(body, host) {
					t.Errorf("%s mentions CDN host %s", name, host)
				}
			}
		})
	}
}

func loadBundleForTest(t *testing.T) *bundle {
	t.Helper()
	b, err := loadBundle()
	if err != nil {
		t.Fatalf("loadBundle: %v", err)
	}
	return b
}

func TestHandler_Errors(t *testing.T) {
	t.Parallel()
	b := loadBundleForTest(t)
	script := assetsPath + b.manifest.Scripts[0]
	tests := []struct {
		name       string
		method     string
		target     string
		wantStatus int
	}{
		{"PostIndex", http.MethodPost, "/", http.StatusMethodNotAllowed},
		{"PutAsset", http.MethodPut, script, http.StatusMethodNotAllowed},
		{"DeleteNotices", http.MethodDelete, noticesPath, http.StatusMethodNotAllowed},
		{"OptionsIndex", http.MethodOptions, "/", http.StatusMethodNotAllowed},
		{"UnknownPath", http.MethodGet, "/nope", http.StatusNotFound},
		{"PostUnknownPath", http.MethodPost, "/nope", http.StatusNotFound},
		{"IndexByName", http.MethodGet, "/index.html", http.StatusNotFound},
		{"AssetsDir", http.MethodGet, assetsPath, http.StatusNotFound},
		{"PlaygroundDir", http.MethodGet, "/playground/", http.StatusNotFound},
		{"MissingAsset", http.MethodGet, assetsPath + "missing.js", http.StatusNotFound},
		{"Manifest", http.MethodGet, "/playground/manifest.json", http.StatusNotFound},
		{"DotDot", http.MethodGet, assetsPath + "../manifest.json", http.StatusNotFound},
		{"Query", http.MethodPost, "/query", http.StatusNotFound},
	}
	h := Handler("/query")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := get(t, h, tt.method, tt.target, nil)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s %s: status = %d, want %d", tt.method, tt.target, resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed {
				if got := resp.Header.Get("Allow"); got != "GET, HEAD" {
					t.Errorf("Allow = %q, want %q", got, "GET, HEAD")
				}
			}
		})
	}
}

func TestHandler_Representations(t *testing.T) {
	t.Parallel()
	h := Handler("/query")
	b := loadBundleForTest(t)
	script := assetsPath + b.manifest.Scripts[0]
	plain := readBody(t, get(t, h, http.MethodGet, script, nil))
	etag := get(t, h, http.MethodGet, script, nil).Header.Get("ETag")
	gzipETag := get(t, h, http.MethodGet, script, http.Header{"Accept-Encoding": {"gzip"}}).Header.Get("ETag")

	tests := []struct {
		name         string
		method       string
		target       string
		header       http.Header
		wantStatus   int
		wantEncoding string
		wantBody     string // "" skips the comparison
		wantEmpty    bool
	}{
		{name: "Plain", method: http.MethodGet, target: script, wantStatus: 200, wantBody: plain},
		{name: "Gzip", method: http.MethodGet, target: script, header: http.Header{"Accept-Encoding": {"br, gzip;q=0.8"}}, wantStatus: 200, wantEncoding: "gzip", wantBody: plain},
		{name: "GzipRefused", method: http.MethodGet, target: script, header: http.Header{"Accept-Encoding": {"gzip;q=0"}}, wantStatus: 200, wantBody: plain},
		{name: "RangeUncompressed", method: http.MethodGet, target: script, header: http.Header{"Accept-Encoding": {"gzip"}, "Range": {"bytes=0-9"}}, wantStatus: 206, wantBody: plain[:10]},
		{name: "HeadIndex", method: http.MethodHead, target: "/", wantStatus: 200, wantEmpty: true},
		{name: "HeadAsset", method: http.MethodHead, target: script, wantStatus: 200, wantEmpty: true},
		{name: "NotModified", method: http.MethodGet, target: script, header: http.Header{"If-None-Match": {etag}}, wantStatus: 304, wantEmpty: true},
		{name: "NotModifiedGzip", method: http.MethodGet, target: script, header: http.Header{"Accept-Encoding": {"gzip"}, "If-None-Match": {gzipETag}}, wantStatus: 304, wantEmpty: true},
		{name: "Notices", method: http.MethodGet, target: noticesPath, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := get(t, h, tt.method, tt.target, tt.header)
			raw := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("Content-Encoding = %q, want %q", got, tt.wantEncoding)
			}
			if tt.wantEmpty {
				if raw != "" {
					t.Errorf("body has %d bytes, want none", len(raw))
				}
				return
			}
			if resp.StatusCode == 200 && resp.Header.Get("Content-Type") == "" {
				t.Error("no Content-Type")
			}
			body := raw
			if tt.wantEncoding == "gzip" {
				zr, err := gzip.NewReader(strings.NewReader(raw))
				if err != nil {
					t.Fatalf("gzip: %v", err)
				}
				b, err := io.ReadAll(zr)
				if err != nil {
					t.Fatalf("gunzip: %v", err)
				}
				body = string(b)
				if len(raw) >= len(body) {
					t.Errorf("gzip body is %d bytes, not smaller than %d", len(raw), len(body))
				}
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Errorf("body differs from the plain asset (%d vs %d bytes)", len(body), len(tt.wantBody))
			}
		})
	}
	if etag == gzipETag {
		t.Errorf("plain and gzip variants share ETag %s", etag)
	}
}

// The page must keep working when the gateway mounts it under a prefix.
func TestHandler_StripPrefix(t *testing.T) {
	t.Parallel()
	h := http.StripPrefix("/ide", Handler("/query"))
	base, _ := url.Parse("http://gateway.test/ide/")
	page := readBody(t, get(t, h, http.MethodGet, base.String(), nil))
	refs := pageRefs(page)
	if len(refs) == 0 {
		t.Fatal("index.html references nothing")
	}
	for _, ref := range refs {
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		t.Run(ref, func(t *testing.T) {
			t.Parallel()
			u := base.ResolveReference(&url.URL{Path: ref})
			if resp := get(t, h, http.MethodGet, u.String(), nil); resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: status = %d, want 200", u.Path, resp.StatusCode)
			}
		})
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		endpoint    string
		wantConnect string
	}{
		{"/query", "connect-src 'self';"},
		{"https://api.example.com/graphql", "connect-src 'self' https://api.example.com wss://api.example.com;"},
		{"http://127.0.0.1:8080/query", "connect-src 'self' http://127.0.0.1:8080 ws://127.0.0.1:8080;"},
		{"//gw.example.com/query", "connect-src 'self' gw.example.com ws://gw.example.com wss://gw.example.com;"},
		{"https://[::1]:9000/query", "connect-src 'self' https://[::1]:9000 wss://[::1]:9000;"},
		{"ftp://files.example.com/x", "connect-src 'self';"},
		{"https://a.example.com;script-src */x", "connect-src 'self';"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			t.Parallel()
			csp := contentSecurityPolicy(tt.endpoint)
			if !strings.Contains(csp, tt.wantConnect) {
				t.Errorf("policy %q lacks %q", csp, tt.wantConnect)
			}
			if strings.Count(csp, "script-src") != 1 {
				t.Errorf("policy %q has more than one script-src", csp)
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"deflate, gzip;q=0.5"}, true},
		{[]string{"br", "gzip"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"gzip;q=bogus"}, false},
		{[]string{"x-gzip"}, false},
		{[]string{"identity"}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.header, "|"), func(t *testing.T) {
			t.Parallel()
			if got := acceptsGzip(tt.header); got != tt.want {
				t.Errorf("acceptsGzip(%q) = %t, want %t", tt.header, got, tt.want)
			}
		})
	}
}

// Every file in dist/assets must be reachable, or the build left stale
// output behind that the binary carries for nothing.
func TestBundle_ManifestCoversAssets(t *testing.T) {
	t.Parallel()
	b := loadBundleForTest(t)
	listed := map[string]bool{}
	for _, name := range append(append([]string(nil), b.manifest.Scripts...), b.manifest.Styles...) {
		listed[name] = true
	}
	for name, f := range b.assets {
		if !listed[name] && !bytes.Contains(cssBodies(b), []byte(name)) {
			t.Errorf("dist/assets/%s is neither in the manifest nor referenced by a stylesheet", name)
		}
		if f.contentType == "application/octet-stream" {
			t.Errorf("dist/assets/%s has no known content type", name)
		}
	}
}

func cssBodies(b *bundle) []byte {
	var all []byte
	for _, name := range b.manifest.Styles {
		all = append(all, b.assets[name].body...)
	}
	return all
}

// The bundle must carry a WebSocket client for subscriptions and the code
// that points it at the endpoint with the credentials from the headers tab;
// an earlier build stubbed graphql-ws out, and subscriptions failed with
// "install graphql-ws". Minified code keeps string literals, so these stand
// for the pieces: graphql-ws's subprotocol and first message, the
// http(s)-to-ws(s) swap, and the connection_init payload's names.
func TestBundle_SubscriptionClient(t *testing.T) {
	t.Parallel()
	b := loadBundleForTest(t)
	var script []byte
	for _, name := range b.manifest.Scripts {
		script = append(script, b.assets[name].body...)
	}
	tests := []struct {
		name, literal string
	}{
		{"graphql-transport-ws subprotocol", `"graphql-transport-ws"`},
		{"connection_init message", `"connection_init"`},
		{"wss for https pages", `"wss:"`},
		{"ws for http pages", `"ws:"`},
		{"X-API-Key credential", `"X-API-Key"`},
		{"Authorization credential", `"Authorization"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !bytes.Contains(script, []byte(tt.literal)) {
				t.Errorf("the playground script lacks %s", tt.literal)
			}
		})
	}
}
