package gqlhttp

import "testing"

func TestNegotiate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		accept []string
		want   mediaType
		ok     bool
	}{
		{accept: nil, want: mediaJSON, ok: true},
		{accept: []string{""}, want: mediaJSON, ok: true},
		{accept: []string{" , "}, want: mediaJSON, ok: true},
		{accept: []string{"application/json"}, want: mediaJSON, ok: true},
		{accept: []string{"application/graphql-response+json"}, want: mediaGraphQLResponse, ok: true},
		{accept: []string{"Application/GraphQL-Response+JSON; charset=utf-8"}, want: mediaGraphQLResponse, ok: true},
		{accept: []string{"*/*"}, want: mediaJSON, ok: true},
		{accept: []string{"application/*"}, want: mediaJSON, ok: true},
		{accept: []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, want: mediaJSON, ok: true},
		// Apollo Client 4 and graphql-http's client.
		{accept: []string{"application/graphql-response+json,application/json;q=0.9"}, want: mediaGraphQLResponse, ok: true},
		{accept: []string{"application/json, application/graphql-response+json"}, want: mediaGraphQLResponse, ok: true},
		{accept: []string{"application/json", "application/graphql-response+json"}, want: mediaGraphQLResponse, ok: true},
		{accept: []string{"application/graphql-response+json;q=0.5, application/json"}, want: mediaJSON, ok: true},
		{accept: []string{"application/graphql-response+json;q=0, */*"}, want: mediaJSON, ok: true},
		{accept: []string{"application/json;q=0, */*"}, want: mediaGraphQLResponse, ok: true},
		{accept: []string{"application/json;q=0, application/*;q=0.1"}, want: mediaGraphQLResponse, ok: true},
		{accept: []string{"application/json;q=0.001"}, want: mediaJSON, ok: true},
		{accept: []string{"application/json;q=1.5"}, want: mediaNone, ok: false},
		{accept: []string{"application/json;q=x, application/graphql-response+json"}, want: mediaGraphQLResponse, ok: true},
		{accept: []string{"application/json;q=0"}, want: mediaNone, ok: false},
		{accept: []string{"*/*;q=0"}, want: mediaNone, ok: false},
		{accept: []string{"text/html"}, want: mediaNone, ok: false},
		{accept: []string{"application/xml, text/*"}, want: mediaNone, ok: false},
		{accept: []string{"garbage"}, want: mediaNone, ok: false},
	}
	for _, tt := range tests {
		got, ok := negotiate(tt.accept)
		if got != tt.want || ok != tt.ok {
			t.Errorf("negotiate(%q) = %v, %v; want %v, %v", tt.accept, got, ok, tt.want, tt.ok)
		}
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header     string
		json, utf8 bool
	}{
		{"application/json", true, true},
		{"Application/JSON ; charset=UTF-8", true, true},
		{`application/json; charset="utf-8"`, true, true},
		{"application/json; charset=utf8; boundary=x", true, true},
		{"application/json; charset=latin1", true, false},
		{"application/jsonx", false, true},
		{"application/graphql", false, true},
		{"text/plain; charset=utf-8", false, true},
		{"", false, true},
	}
	for _, tt := range tests {
		if got := isJSON(tt.header); got != tt.json {
			t.Errorf("isJSON(%q) = %v, want %v", tt.header, got, tt.json)
		}
		if got := utf8Charset(tt.header); got != tt.utf8 {
			t.Errorf("utf8Charset(%q) = %v, want %v", tt.header, got, tt.utf8)
		}
	}
}

func TestNegotiateAllocs(t *testing.T) {
	accept := []string{"application/graphql-response+json, application/json;q=0.9, */*;q=0.1"}
	if n := testing.AllocsPerRun(100, func() { negotiate(accept) }); n != 0 {
		t.Errorf("negotiate allocates %v times per call, want 0", n)
	}
}
