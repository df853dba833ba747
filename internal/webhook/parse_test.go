package webhook

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amogql/amogql/internal/changes"
)

// received is the arrival time the tests hand ParseBody.
var received = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// fixture reads testdata/name.form: a delivery in the shapes amoCRM's
// webhook docs and public captures show (brackets percent-encoded, as PHP's
// http_build_query writes them).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".form"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func change(e changes.Entity, a changes.Action, id int, at int64) changes.Change {
	c := changes.Change{Entity: e, Action: a, ID: id, At: received, Received: received}
	if at != 0 {
		c.At = time.Unix(at, 0)
	}
	return c
}

func TestParseBody_Fixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture string
		want    []changes.Change
	}{
		{"contact_add", []changes.Change{change(changes.Contacts, changes.Added, 1112, 1476190062)}},
		{"company_add", []changes.Change{change(changes.Companies, changes.Added, 1113, 1476190100)}},
		// The tag's and custom fields' [id]s are not the contact's; a date
		// value without [value] parses.
		{"contact_update_custom_fields", []changes.Change{change(changes.Contacts, changes.Updated, 7143599, 1700000300)}},
		{"lead_status", []changes.Change{change(changes.Leads, changes.Updated, 25399013, 1700000400)}},
		{"lead_responsible", []changes.Change{change(changes.Leads, changes.Updated, 25399013, 1700000500)}},
		{"mixed", []changes.Change{
			change(changes.Contacts, changes.Updated, 3, 1700000601),
			change(changes.Companies, changes.Updated, 1113, 1700000602),
			change(changes.Leads, changes.Added, 25399014, 1700000600),
		}},
		// No timestamp: At is when the delivery arrived.
		{"contact_delete", []changes.Change{change(changes.Contacts, changes.Deleted, 7767065, 0)}},
		{"contact_restore", []changes.Change{change(changes.Contacts, changes.Restored, 7767065, 1700000700)}},
		{"customers", []changes.Change{
			change(changes.Customers, changes.Added, 134, 1700000800),
			change(changes.Customers, changes.Deleted, 136, 0),
			change(changes.Customers, changes.Updated, 135, 1700000801),
		}},
		// Notes are not entity changes the gateway follows.
		{"note_only", []changes.Change{}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			body := fixture(t, tt.fixture)
			got, err := ParseBody(body, received)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseBody mismatch (-want +got):\n%s", diff)
			}

			form, err := url.ParseQuery(string(body))
			if err != nil {
				t.Fatal(err)
			}
			fromForm, err := Parse(form)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, fromForm, ignoreReceived); diff != "" {
				t.Errorf("Parse differs from ParseBody (-want +got):\n%s", diff)
			}
		})
	}
}

// ignoreReceived compares changes without their arrival time (Parse uses
// the clock), and so without an At that fell back to it.
var ignoreReceived = cmp.Transformer("withoutReceived", func(c changes.Change) changes.Change {
	if c.At.Equal(c.Received) {
		c.At = time.Time{}
	}
	c.Received = time.Time{}
	return c
})

func TestParseBody_Bulk(t *testing.T) {
	t.Parallel()
	got, err := ParseBody(fixture(t, "bulk_update"), received)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Fatalf("got %d changes, want 50", len(got))
	}
	for i, c := range got { // in index order: 10 after 9, not after 1
		if c.ID != 25400000+i || c.At.Unix() != int64(1700001000+i) {
			t.Fatalf("change %d = %+v, want id %d", i, c, 25400000+i)
		}
	}
}

func TestParseBody_Shapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []changes.Change
	}{
		{"Empty", "", []changes.Change{}},
		{"AccountOnly", "account%5Bsubdomain%5D=test&account%5Bid%5D=1", []changes.Change{}},
		{"UnencodedBrackets", "contacts[update][0][id]=5&contacts[update][0][updated_at]=1700000000",
			[]changes.Change{change(changes.Contacts, changes.Updated, 5, 1700000000)}},
		{"CompaniesTopLevel", "companies[delete][0][id]=9", []changes.Change{change(changes.Companies, changes.Deleted, 9, 0)}},
		{"LastIDWins", "leads[add][0][id]=1&leads[add][0][id]=2", []changes.Change{change(changes.Leads, changes.Added, 2, 0)}},
		{"RepeatedInOneDelivery", "leads[update][0][id]=7&leads[update][1][id]=7",
			[]changes.Change{change(changes.Leads, changes.Updated, 7, 0)}},
		{"UnknownAction", "contacts[merge][0][x]=1&tasks[add][0][id]=3", []changes.Change{}},
		{"BadTimeFallsBack", "leads[update][0][id]=7&leads[update][0][updated_at]=yesterday&leads[update][0][created_at]=1700000000",
			[]changes.Change{change(changes.Leads, changes.Updated, 7, 1700000000)}},
		{"IgnoredValueNotDecoded", "contacts[update][0][id]=5&contacts[update][0][name]=%zz",
			[]changes.Change{change(changes.Contacts, changes.Updated, 5, 0)}},
		{"DeepUnderUnknownTop", "account" + strings.Repeat("[x]", 50) + "=1", []changes.Change{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseBody([]byte(tt.body), received)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBody_Malformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, wantKey string
	}{
		{"NoID", "contacts[update][0][name]=x", "contacts[update][0]"},
		{"EmptyID", "contacts[update][0][id]=", "contacts[update][0]"},
		{"NonNumericID", "contacts[update][0][id]=abc", "contacts[update][0][id]"},
		{"NegativeID", "contacts[update][0][id]=-5", "contacts[update][0][id]"},
		{"ZeroID", "contacts[update][0][id]=0", "contacts[update][0][id]"},
		{"HugeID", "contacts[update][0][id]=99999999999999999999", "contacts[update][0][id]"},
		{"NoIDBesideGood", "leads[add][0][id]=1&leads[add][1][name]=x", "leads[add][1]"},
		{"HugeIndex", "contacts[update][100000][id]=1", "contacts[update][100000][id]"},
		{"NonNumericIndex", "contacts[update][abc][id]=1", "contacts[update][abc][id]"},
		{"EmptyIndex", "contacts[update][][id]=1", "contacts[update][][id]"},
		{"LeadingZeroIndex", "contacts[update][01][id]=1", "contacts[update][01][id]"},
		{"DeepNesting", "contacts[update][0]" + strings.Repeat("[a]", 20) + "=1", ""},
		{"Unclosed", "contacts[update][0][id=1", "contacts[update][0][id"},
		{"TextAfterBracket", "contacts[update]x[0][id]=1", "contacts[update]x[0][id]"},
		{"TooShallow", "contacts[update][0]=1", "contacts[update][0]"},
		{"NoBrackets", "leads=1", "leads"},
		{"BadKeyEscape", "contacts%5Bupdate%zz=1", "contacts%5Bupdate%zz"},
		{"BadIDEscape", "contacts[update][0][id]=%zz", "contacts[update][0][id]"},
		{"Semicolon", "contacts[update][0][id]=1;x=2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseBody([]byte(tt.body), received)
			if !errors.Is(err, ErrMalformed) || got != nil {
				t.Fatalf("got %v, %v; want nil, ErrMalformed", got, err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %T, want *ParseError", err)
			}
			if tt.wantKey != "" && pe.Key != tt.wantKey {
				t.Errorf("Key = %q, want %q (%v)", pe.Key, tt.wantKey, err)
			}
			if len(pe.Key) > 110 {
				t.Errorf("Key is %d bytes, want it shortened", len(pe.Key))
			}
		})
	}
}

func TestParse_Malformed(t *testing.T) {
	t.Parallel()
	for name, form := range map[string]url.Values{
		"NoID":      {"leads[add][0][name]": {"x"}},
		"BadID":     {"leads[add][0][id]": {"1", "x"}}, // the last value counts, as in PHP
		"HugeIndex": {"leads[add][123456][id]": {"1"}},
	} {
		if _, err := Parse(form); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}
