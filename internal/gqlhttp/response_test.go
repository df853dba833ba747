package gqlhttp

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestEncodeResponse holds encodeResponse to the bytes encoding/json writes
// for the same response, which is what clients received before it existed.
func TestEncodeResponse(t *testing.T) {
	t.Parallel()
	yes := true
	tests := []struct {
		name string
		r    *graphql.Response
	}{
		{"NilData", &graphql.Response{}},
		{"NullData", &graphql.Response{Data: json.RawMessage(`null`)}},
		{"Data", &graphql.Response{Data: json.RawMessage(`{"contact":{"id":"1","name":"Ann"}}`)}},
		{"HTMLAndSeparators", &graphql.Response{Data: json.RawMessage("{\"n\":\"<b>&amp;</b> \u2028\u2029 \\\"q\\\" \\u0001 é🏃\"}")}},
		{"Errors", &graphql.Response{
			Errors: gqlerror.List{{Message: "no <such> contact", Path: ast.Path{ast.PathName("contact"), ast.PathIndex(0)},
				Extensions: map[string]any{"code": "NOT_FOUND", "upstreamStatus": 404}}},
			Data: json.RawMessage(`{"contact":null}`),
		}},
		{"Extensions", &graphql.Response{Data: json.RawMessage(`{}`), Extensions: map[string]any{"b": 1, "a": []int{2}}}},
		{"Incremental", &graphql.Response{Data: json.RawMessage(`{"x":1}`), Label: "l", Path: ast.Path{ast.PathName("a")}, HasNext: &yes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var want bytes.Buffer
			if err := json.NewEncoder(&want).Encode(tt.r); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := encodeResponse(&got, tt.r, false); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("got  %s\nwant %s", got.Bytes(), want.Bytes())
			}
		})
	}
}

// TestEncodeResponse_Unencodable keeps the 500 of an extension value JSON
// cannot represent.
func TestEncodeResponse_Unencodable(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &graphql.Response{Data: json.RawMessage(`{}`), Extensions: map[string]any{"f": func() {}}}
	if err := encodeResponse(&buf, r, false); err == nil {
		t.Fatalf("encoded %s", buf.Bytes())
	}
}
