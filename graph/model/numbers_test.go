package model

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amogql/amogql/internal/amocrm"
)

func TestNumbers_MarshalGQL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    graphql.Marshaler
		want string
	}{
		{"id", MarshalID(3916883), `"3916883"`},
		{"zero id", MarshalID(0), `"0"`},
		{"money", MarshalMoney(amocrm.Money(25000)), `25000`},
		{"negative money", MarshalMoney(amocrm.Money(-7)), `-7`},
	}
	writers := []struct {
		name string
		new  func(*bytes.Buffer) (io.Writer, func())
	}{
		{"bytes.Buffer", func(b *bytes.Buffer) (io.Writer, func()) { return b, func() {} }},
		{"bufio.Writer", func(b *bytes.Buffer) (io.Writer, func()) { w := bufio.NewWriter(b); return w, func() { w.Flush() } }},
		{"plain writer", func(b *bytes.Buffer) (io.Writer, func()) { return struct{ io.Writer }{b}, func() {} }},
	}
	for _, tt := range tests {
		for _, wr := range writers {
			var out bytes.Buffer
			out.WriteString("[")
			w, flush := wr.new(&out)
			tt.m.MarshalGQL(w)
			flush()
			if got := strings.TrimPrefix(out.String(), "["); got != tt.want {
				t.Errorf("%s into %s = %s, want %s", tt.name, wr.name, got, tt.want)
			}
		}
	}
}
