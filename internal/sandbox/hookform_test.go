package sandbox

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeHook(t *testing.T) {
	t.Parallel()
	item := func(id, typ string) []formPair {
		ps := []formPair{{"[id]", id}}
		if typ != "" {
			ps = append(ps, formPair{"[type]", typ})
		}
		return ps
	}
	events := []hookEvent{
		newHookEvent(entContacts, hookAdd, [][]formPair{item("1", "contact")}),
		newHookEvent(entCompanies, hookAdd, [][]formPair{item("2", "company"), item("3", "company")}),
		newHookEvent(entLeads, hookUpdate, [][]formPair{item("4", "")}),
	}
	account := accountPairs("https://sandbox.example")
	tests := []struct {
		name     string
		settings []string
		want     url.Values
	}{
		{"CompaniesNumberOnUnderContacts", []string{"add_contact", "add_company"}, url.Values{
			"contacts[add][0][id]": {"1"}, "contacts[add][0][type]": {"contact"},
			"contacts[add][1][id]": {"2"}, "contacts[add][1][type]": {"company"},
			"contacts[add][2][id]": {"3"}, "contacts[add][2][type]": {"company"},
		}},
		{"CompaniesAlone", []string{"add_company"}, url.Values{
			"contacts[add][0][id]": {"2"}, "contacts[add][0][type]": {"company"},
			"contacts[add][1][id]": {"3"}, "contacts[add][1][type]": {"company"},
		}},
		{"SeveralEntities", []string{"add_contact", "update_lead"}, url.Values{
			"contacts[add][0][id]": {"1"}, "contacts[add][0][type]": {"contact"},
			"leads[update][0][id]": {"4"},
		}},
		{"NoneWanted", []string{"delete_contact"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := encodeHook(account, events, tt.settings)
			if tt.want == nil {
				if body != "" {
					t.Fatalf("body = %q, want none", body)
				}
				return
			}
			got, err := url.ParseQuery(body)
			if err != nil {
				t.Fatalf("parse %q: %v", body, err)
			}
			tt.want["account[subdomain]"] = []string{"sandbox"}
			tt.want["account[id]"] = []string{"28805383"}
			tt.want["account[_links][self]"] = []string{"https://sandbox.example"}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("form (-want +got):\n%s", diff)
			}
		})
	}
}
