package amocrm

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCustomersService_List(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/customers", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, url.Values{"filter[id][]": {"134923"}, "limit": {"250"}})
			writeJSON(w, http.StatusOK, `{"_page":1,"_links":{"self":{"href":"https://example.amocrm.ru/api/v4/customers?page=1"}},"_embedded":{"customers":[`+fixture(t, "customer_get.json")+`]}}`)
		})
		got, resp, err := client.Customers.List(t.Context(), &CustomerListOptions{Limit: 250, Filter: &CustomerFilter{ID: []int{134923}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != 134923 || resp.Page != 1 || resp.NextPage != 0 {
			t.Errorf("got %+v, Page %d, NextPage %d", got, resp.Page, resp.NextPage)
		}
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/customers", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.Customers.List(t.Context(), nil)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %v, %v; want an empty slice", got, err)
		}
	})

	t.Run("PaymentRequired", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/customers", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusPaymentRequired, `{"title":"Payment Required","status":402,"detail":"Customers are not available for this account"}`)
		})
		_, _, err := client.Customers.List(t.Context(), nil)
		if er, ok := err.(*ErrorResponse); !ok || er.Status != 402 {
			t.Errorf("err = %v, want *ErrorResponse 402", err)
		}
	})
}

func TestCustomersService_Get(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/customers/134923", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodGet)
			testQuery(t, r, url.Values{"with": {"contacts,companies"}})
			writeJSON(w, http.StatusOK, fixture(t, "customer_get.json"))
		})
		got, _, err := client.Customers.Get(t.Context(), 134923, &GetOptions{With: []string{"contacts", "companies"}})
		if err != nil {
			t.Fatal(err)
		}
		want := &Customer{
			ID: 134923, Name: "Покупатель", NextPrice: 1500, NextDate: new(int64(1589187600)), ResponsibleUserID: 504141,
			StatusID: 4051, Periodicity: 30, CreatedBy: 504141, UpdatedBy: 504141, CreatedAt: 1582117331, UpdatedAt: 1590943929,
			Ltv: 4500, PurchasesCount: 3, AverageCheck: 1500, AccountID: 28805383,
			Links: selfLink("https://example.amocrm.ru/api/v4/customers/134923"),
			Embedded: &CustomerEmbedded{
				Segments:  []EntityRef{{ID: 41, Links: selfLink("https://example.amocrm.ru/api/v4/customers/segments/41")}},
				Tags:      []Tag{},
				Contacts:  []EntityRef{{ID: 3, IsMain: new(true), Links: selfLink("https://example.amocrm.ru/api/v4/contacts/3")}},
				Companies: []EntityRef{{ID: 1, Links: selfLink("https://example.amocrm.ru/api/v4/companies/1")}},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Get mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("NoLoss", func(t *testing.T) {
		t.Parallel()
		testNoLoss(t, fixture(t, "customer_get.json"), new(Customer))
	})

	t.Run("FractionalMoney", func(t *testing.T) {
		t.Parallel()
		var c Customer
		if err := json.Unmarshal([]byte(`{"id":1,"next_price":10.4,"ltv":"20.5","average_check":null,"purchases_count":2}`), &c); err != nil {
			t.Fatal(err)
		}
		if c.NextPrice != 10 || c.Ltv != 21 || c.AverageCheck != 0 || c.PurchasesCount != 2 || c.ID != 1 {
			t.Errorf("decoded %+v", c)
		}
	})

	t.Run("NoContent", func(t *testing.T) {
		t.Parallel()
		client, mux := setup(t)
		mux.HandleFunc("/api/v4/customers/2", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		got, _, err := client.Customers.Get(t.Context(), 2, nil)
		if got != nil || err != nil {
			t.Errorf("got %v, %v; want nil, nil", got, err)
		}
	})
}
