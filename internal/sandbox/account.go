package sandbox

import "net/http"

// accountJSON is the account's own parameters as GET /api/v4/account
// answers them without with=: the fields a client checks a token with.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/account-info
type accountJSON struct {
	ID             int    `json:"id"`
	Name           string `json:"name"`
	Subdomain      string `json:"subdomain"`
	CreatedAt      int64  `json:"created_at"`
	CreatedBy      int    `json:"created_by"`
	UpdatedAt      int64  `json:"updated_at"`
	UpdatedBy      int    `json:"updated_by"`
	CurrentUserID  int    `json:"current_user_id"`
	Country        string `json:"country"`
	Currency       string `json:"currency"`
	CurrencySymbol string `json:"currency_symbol"`
	CustomersMode  string `json:"customers_mode"`
	IsUnsortedOn   bool   `json:"is_unsorted_on"`
	IsLossReasonOn bool   `json:"is_loss_reason_enabled"`
	IsHelpbotOn    bool   `json:"is_helpbot_enabled"`
	IsTechAccount  bool   `json:"is_technical_account"`
	ContactNameFmt int    `json:"contact_name_display_order"`
}

// getAccount serves GET /api/v4/account: the cheapest call there is, which
// a client (the gateway's readiness probe among them) makes to see that
// the API answers.
func (s *Sandbox) getAccount(w http.ResponseWriter, _ *http.Request) {
	writeHAL(w, accountJSON{
		ID: AccountID, Name: "amogql sandbox", Subdomain: accountSubdomain, CreatedAt: 1577836800, CreatedBy: DefaultUserID,
		UpdatedAt: 1577836800, UpdatedBy: DefaultUserID, CurrentUserID: DefaultUserID, Country: "RU",
		Currency: "RUB", CurrencySymbol: "₽", CustomersMode: "segments", IsUnsortedOn: true, ContactNameFmt: 1,
	})
}
