package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amogql/amogql/internal/changes"
)

// FuzzParse feeds ParseBody arbitrary bodies, seeded with realistic
// deliveries. It must never panic; it either fails with ErrMalformed or
// returns valid changes, at most one per pair of the body; and when the
// body is a well-formed query string, Parse on its decoded form agrees.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.form"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"contacts[update][0][id]=5",
		"contacts[add][0][id]=1&contacts[add][0][type]=company&leads[status][0][id]=2&leads[status][0][updated_at]=1700000000",
		"contacts[update][0][custom_fields][0][values][0]=1700000000&contacts[update][0][id]=3",
		"customers[delete][0][id]=136&account[subdomain]=x",
		"contacts[update][0]" + strings.Repeat("[a]", 12) + "=1",
		"contacts[update][99999][id]=1&contacts[update][100000][id]=1",
		"leads[add][0][id]=%zz&leads[add][0][name]=%zz",
		"contacts%5Bupdate%5D%5B0%5D%5Bid%5D=7;8",
	} {
		f.Add([]byte(s))
	}

	valid := map[changes.Entity]bool{changes.Contacts: true, changes.Leads: true, changes.Companies: true, changes.Customers: true}
	validAction := map[changes.Action]bool{changes.Added: true, changes.Updated: true, changes.Deleted: true, changes.Restored: true}

	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ParseBody(body, received)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || got != nil {
				t.Fatalf("got %v, %v; want nil and an error matching ErrMalformed", got, err)
			}
		} else {
			if pairs := strings.Count(string(body), "&") + 1; len(got) > pairs {
				t.Fatalf("%d changes from %d pairs", len(got), pairs)
			}
			for _, c := range got {
				if !valid[c.Entity] || !validAction[c.Action] || c.ID <= 0 || !c.Received.Equal(received) || c.At.IsZero() {
					t.Fatalf("invalid change %+v", c)
				}
			}
		}

		form, qerr := url.ParseQuery(string(body))
		if qerr != nil {
			return
		}
		fromForm, ferr := Parse(form)
		if (err == nil) != (ferr == nil) {
			t.Fatalf("ParseBody err = %v, Parse err = %v", err, ferr)
		}
		if err == nil {
			if diff := cmp.Diff(got, fromForm, ignoreReceived); diff != "" {
				t.Fatalf("Parse differs from ParseBody (-body +form):\n%s", diff)
			}
		}
	})
}

// BenchmarkParseBody parses a 1 MiB delivery of lead updates with custom
// fields, the largest body the handler accepts by default.
func BenchmarkParseBody(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 1<<20; i++ {
		e := "leads%5Bupdate%5D%5B" + strconv.Itoa(i) + "%5D"
		fmt.Fprintf(&sb, "%s%%5Bid%%5D=%d&%s%%5Bname%%5D=%%D0%%A1%%D0%%B4%%D0%%B5%%D0%%BB%%D0%%BA%%D0%%B0&%s%%5Bupdated_at%%5D=%d&"+
			"%s%%5Bcustom_fields%%5D%%5B0%%5D%%5Bvalues%%5D%%5B0%%5D%%5Bvalue%%5D=1500&", e, 25400000+i, e, e, 1700001000+i, e)
	}
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseBody(body, received); err != nil {
			b.Fatal(err)
		}
	}
}
