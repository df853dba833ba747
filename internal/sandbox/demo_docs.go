package sandbox

// Ids of the documentation's example entities, present whenever demo data is.
const (
	DocContactID      = 3       // "Иван Иванов", GET /api/v4/contacts/{id} example
	DocChatContactID  = 3102959 // the chat-link examples' contact
	DocListContactID1 = 7143599 // "1", first contact of the list example
	DocListContactID2 = 7767065 // "dsgdsg", second contact of the list example
	DocLeadID1        = 1       // open lead of contact 3 and company 1
	DocLeadID2        = 3916883 // won lead of contact 3 and company 1
	DocCustomerID     = 134923  // customer of contact 3
	DocCompanyID      = 1       // company of contact 3
	DocTagID          = 145471  // contact tag on contact 3 (the PATCH example deletes it)
	DocChatID         = "6cbab3d5-c4c1-46ff-b710-ad59ad10805f"
	DocChatLinkID     = 26219
)

// docExamples adds the entities of the documentation's examples verbatim
// where the documentation shows them.
func (g *gen) docExamples() {
	st := g.st
	phone := func(v string, enumID int, code string, docKey bool) cfEntry {
		return cfEntry{FieldID: FieldPhone, Values: []cfValue{{Value: v, EnumID: enumID, EnumCode: code, docEnumKey: docKey}}}
	}
	person := func(id int, name, first, last string, created, updated int64) *contact {
		return &contact{record: record{
			ID: id, Name: name, ResponsibleUserID: DefaultUserID, CreatedBy: DefaultUserID, UpdatedBy: DefaultUserID,
			CreatedAt: created, UpdatedAt: updated,
		}, FirstName: first, LastName: last}
	}
	ivan := person(DocContactID, "Иван Иванов", "Иван", "Иванов", 1582117331, 1590943929)
	ivan.Fields = []cfEntry{phone("+79123", 1, "WORK", true)}
	ivan.TagIDs = []int{DocTagID}
	ivan.CompanyID = DocCompanyID
	ivan.LeadIDs = []int{DocLeadID1, DocLeadID2}
	ivan.CustomerIDs = []int{DocCustomerID}

	olga := person(DocChatContactID, "Ольга Кузнецова", "Ольга", "Кузнецова", 1587000000, 1590000000)
	olga.Fields = []cfEntry{phone("+79991234567", 3, "MOB", false)}

	for _, c := range []*contact{
		ivan, olga,
		person(DocListContactID1, "1", "", "", 1585758065, 1585758065),
		person(DocListContactID2, "dsgdsg", "", "", 1586359590, 1586359590),
	} {
		st.contacts[c.ID] = c
	}

	st.companies[DocCompanyID] = &company{
		record: record{
			ID: DocCompanyID, Name: "ООО «Ромашка»", ResponsibleUserID: DefaultUserID, CreatedBy: DefaultUserID,
			UpdatedBy: DefaultUserID, CreatedAt: 1582117000, UpdatedAt: 1590943929,
			Fields: []cfEntry{phone("123213", 1, "WORK", true)},
		},
		ContactIDs: []int{DocContactID}, LeadIDs: []int{DocLeadID1, DocLeadID2}, CustomerIDs: []int{DocCustomerID},
	}
	wonAt := int64(1590000000)
	docLead := func(id int, name string, price, status int, closed *int64) *lead {
		return &lead{
			record: record{
				ID: id, Name: name, ResponsibleUserID: DefaultUserID, CreatedBy: DefaultUserID, UpdatedBy: DefaultUserID,
				CreatedAt: 1582117331, UpdatedAt: 1590943929,
			},
			Price: price, StatusID: status, PipelineID: PipelineMain, ClosedAt: closed,
			Contacts: []contactRef{{ID: DocContactID, IsMain: true}}, CompanyID: DocCompanyID,
		}
	}
	st.leads[DocLeadID1] = docLead(DocLeadID1, "Первая сделка", 10000, 5100001, nil)
	st.leads[DocLeadID2] = docLead(DocLeadID2, "Поставка оборудования для ООО «Ромашка»", 25000, StatusWon, &wonAt)
	st.customers[DocCustomerID] = &customer{
		record: record{
			ID: DocCustomerID, Name: "Иван Иванов", ResponsibleUserID: DefaultUserID, CreatedBy: DefaultUserID,
			UpdatedBy: DefaultUserID, CreatedAt: 1582117331, UpdatedAt: 1590943929,
		},
		NextPrice: 5000, NextDate: 1593561600, StatusID: 8001, Periodicity: 30, LTV: 15000, PurchasesCount: 3,
		AverageCheck: 5000, Contacts: []contactRef{{ID: DocContactID, IsMain: true}}, CompanyID: DocCompanyID,
	}
	st.chats[DocChatID] = &chatLink{ID: DocChatLinkID, ChatID: DocChatID, ContactID: DocChatContactID}
}
