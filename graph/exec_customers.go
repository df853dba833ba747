package graph

import (
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

// customer writes a Customer (customerResolver for its relations).
func (r *run) customer(b []byte, kids []*Node, x *amocrm.Customer) ([]byte, error) {
	if x == nil {
		return nil, errShape
	}
	var emb amocrm.CustomerEmbedded
	if x.Embedded != nil {
		emb = *x.Embedded
	}
	return tryFields(b, kids, func(b []byte, k *Node) ([]byte, bool, error) {
		var err error
		switch k.Name {
		case "__typename":
			b = appendString(b, "Customer")
		case "id":
			b = appendID(b, x.ID)
		case "name":
			b = appendString(b, x.Name)
		case "nextPrice":
			b = appendInt(b, int(x.NextPrice))
		case "nextDate":
			b = appendOptTime(b, x.NextDate)
		case "responsibleUserId":
			b = appendID(b, x.ResponsibleUserID)
		case "statusId":
			b = appendID(b, x.StatusID)
		case "periodicity":
			b = appendInt(b, x.Periodicity)
		case "createdBy":
			b = appendID(b, x.CreatedBy)
		case "updatedBy":
			b = appendID(b, x.UpdatedBy)
		case "createdAt":
			b = appendTime(b, x.CreatedAt)
		case "updatedAt":
			b = appendTime(b, x.UpdatedAt)
		case "closestTaskAt":
			b = appendOptTime(b, x.ClosestTaskAt)
		case "isDeleted":
			b = appendBool(b, x.IsDeleted)
		case "ltv":
			b = appendInt(b, int(x.Ltv))
		case "purchasesCount":
			b = appendInt(b, x.PurchasesCount)
		case "averageCheck":
			b = appendInt(b, int(x.AverageCheck))
		case "accountId":
			b = appendID(b, x.AccountID)
		case "customFieldsValues":
			b = appendCustomFields(b, k.Kids, x.CustomFieldsValues)
		case "tags": // customerResolver.Tags
			b = appendTags(b, k.Kids, emb.Tags)
		case "responsibleUser":
			b, err = r.responsibleUser(b, k, x.ResponsibleUserID)
		case "contacts": // customerResolver.Contacts
			b, err = embeddedRelated(r, b, k, emb.Contacts, "Contact", (*loader.Loaders).Contacts, r.contact)
		case "companies": // customerResolver.Companies
			b, err = embeddedRelated(r, b, k, emb.Companies, "Company", (*loader.Loaders).Companies, r.company)
		case "notes":
			b, err = r.entityNotes(b, k, "customers", x.ID)
		case "tasks":
			b, err = r.entityTasks(b, k, "customers", x.ID)
		default:
			return b, false, nil
		}
		return b, true, err
	})
}
