package sandbox

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Users of the demo account. 504141 owns the documentation's examples and is
// the default responsible user; 47272 is the creator in the POST example.
var demoUsers = []user{
	{ID: 504141, Name: "Администратор", Email: "admin@sandbox.example", IsAdmin: true, IsActive: true},
	{ID: 504142, Name: "Елена Соколова", Email: "e.sokolova@sandbox.example", IsActive: true, RoleID: RoleManager},
	{ID: 504143, Name: "Дмитрий Волков", Email: "d.volkov@sandbox.example", IsActive: true, RoleID: RoleManager},
	{ID: 504144, Name: "Мария Лебедева", GroupID: GroupBranch, Email: "m.lebedeva@sandbox.example", IsActive: true, RoleID: RoleHead},
	{ID: 504145, Name: "Сергей Новиков", GroupID: GroupBranch, Email: "s.novikov@sandbox.example", IsActive: true, RoleID: RoleManager},
	{ID: 504146, Name: "Ольга Морозова", GroupID: GroupBranch, Email: "o.morozova@sandbox.example", IsActive: true, RoleID: RoleManager},
	{ID: 47272, Name: "Интеграция", Email: "api@sandbox.example", IsAdmin: true, IsActive: true},
}

// Pipelines and their stages. 142 (won) and 143 (lost) exist in every
// pipeline; PipelinePartners has no demo leads.
const (
	PipelineMain     = 5000001
	PipelineRepeat   = 5000002
	PipelinePartners = 5000003
	StatusWon        = 142
	StatusLost       = 143
)

// pipelineStatuses are the open stages of each pipeline in board order, as
// the lead generator draws them.
var pipelineStatuses = func() map[int][]int {
	m := map[int][]int{}
	for _, p := range demoPipelines() {
		for _, s := range p.Statuses {
			if !isClosedStatus(s.ID) {
				m[p.ID] = append(m[p.ID], s.ID)
			}
		}
	}
	return m
}()

// First ids of generated entities. Contact FirstGeneratedContactID has every
// relation (company, leads, customers, catalog elements, chats, tags, phone
// and email); the one after it has none at all.
const (
	FirstGeneratedContactID  = 10000001
	FirstGeneratedLeadID     = 20000001
	FirstGeneratedCompanyID  = 30000001
	FirstGeneratedCustomerID = 40000001
	FirstGeneratedElementID  = 50000001
)

// Demo timestamps are spread over 2023-01-01 .. 2026-11-01.
const (
	demoFrom = 1672531200
	demoTo   = 1793491200
	day      = 86400
)

// gen generates the demo data; one rand source keeps it deterministic.
type gen struct {
	rng       *rand.Rand
	st        *store
	contacts  []*contact
	companies []*company
	elemList  []*element        // catalog elements by id, for drawing links
	tagLists  map[string][]*tag // tag pools by entity type, ordered by id
}

// seedDemo fills st with the documentation's examples and n generated
// contacts with companies (n·2/15), leads (n·4/3), customers (n/5), catalog
// elements, tags and chat links, all linked consistently both ways.
func seedDemo(st *store, n int, seed int64) {
	g := &gen{rng: rand.New(rand.NewPCG(uint64(seed), 0x5eed5a4db0c5)), st: st, tagLists: map[string][]*tag{}}
	g.tagPools()
	g.docExamples()
	g.elements()
	g.genContacts(n)
	g.genCompanies(n * 2 / 15)
	g.genLeads(n * 4 / 3)
	g.genCustomers(n / 5)
	g.linkElements()
	g.genChats()
	for _, c := range st.contacts {
		slices.Sort(c.LeadIDs)
		slices.Sort(c.CustomerIDs)
	}
}

func (g *gen) tagPools() {
	add := func(e string, first int, names []string, colors []string) {
		for i, name := range names {
			color := ""
			if colors != nil {
				color = colors[i]
			}
			g.st.tags[e][first+i] = &tag{ID: first + i, Name: name, Color: color}
		}
	}
	add(entContacts, DocTagID, contactTagNames, nil)
	var names, colors []string
	for _, nc := range leadTagNames {
		names, colors = append(names, nc[0]), append(colors, nc[1])
	}
	add(entLeads, 246001, names, colors)
	add(entCompanies, 247001, companyTagNames, nil)
	add(entCustomers, 248001, customerTagNames, nil)
}

// span returns a created/updated pair inside the demo period.
func (g *gen) span() (int64, int64) {
	created := demoFrom + g.rng.Int64N(demoTo-demoFrom)
	return created, created + g.rng.Int64N(demoTo-created+1)
}

// user picks a responsible user; the default user gets a larger share.
func (g *gen) user() int {
	if g.rng.IntN(3) == 0 {
		return DefaultUserID
	}
	return 504142 + g.rng.IntN(5)
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *gen, list []T) T { return list[g.rng.IntN(len(list))] }

// pickTags draws up to max distinct tag ids of entity type e.
func (g *gen) pickTags(e string, max int) []int {
	pool := g.tagLists[e]
	if pool == nil {
		pool = sortedTags(g.st.tags[e])
		g.tagLists[e] = pool
	}
	var ids []int
	for range 1 + g.rng.IntN(max) {
		ids = appendUnique(ids, pick(g, pool).ID)
	}
	return ids
}

func (g *gen) base(id int, name string) record {
	created, updated := g.span()
	resp := g.user()
	r := record{
		ID: id, Name: name, ResponsibleUserID: resp, GroupID: g.st.groupOf(resp),
		CreatedBy: pick(g, []int{resp, DefaultUserID}), UpdatedBy: g.user(), CreatedAt: created, UpdatedAt: updated,
	}
	if g.chance(0.3) {
		t := updated + g.rng.Int64N(30*day)
		r.ClosestTaskAt = &t
	}
	return r
}

func (g *gen) phoneValue(code string) cfValue {
	f := g.st.fields[entContacts].byID(FieldPhone)
	e := f.enumByCode(code)
	return cfValue{Value: fmt.Sprintf("+79%09d", g.rng.IntN(1_000_000_000)), EnumID: e.ID, EnumCode: e.Code}
}

func (g *gen) genContacts(n int) {
	fields := g.st.fields[entContacts]
	for i := range n {
		female := g.chance(0.5)
		first, last := pick(g, maleFirstNames), pick(g, maleLastNames)
		if female {
			first, last = pick(g, femaleFirstNames), femaleLastName(last)
		}
		c := &contact{record: g.base(FirstGeneratedContactID+i, first+" "+last), FirstName: first, LastName: last}
		showcase, bare := i == 0, i == 1
		if !bare && (showcase || g.chance(0.9)) {
			c.Fields = g.contactFields(fields, first, last, showcase)
		}
		if !bare && (showcase || g.chance(0.4)) {
			c.TagIDs = g.pickTags(entContacts, 3)
		}
		if bare {
			c.ClosestTaskAt = nil
		}
		g.st.contacts[c.ID] = c
		g.contacts = append(g.contacts, c)
	}
}

func (g *gen) contactFields(fields *fieldSet, first, last string, all bool) []cfEntry {
	var out []cfEntry
	if all || g.chance(0.85) {
		vals := []cfValue{g.phoneValue(pick(g, []string{"MOB", "MOB", "WORK", "HOME"}))}
		if all || g.chance(0.25) {
			vals = append(vals, g.phoneValue(pick(g, []string{"WORK", "WORKDD", "OTHER"})))
		}
		out = append(out, cfEntry{FieldID: FieldPhone, Values: vals})
	}
	if all || g.chance(0.7) {
		email := fields.byID(FieldEmail)
		e := email.enumByCode(pick(g, []string{"WORK", "PRIV"}))
		addr := fmt.Sprintf("%s.%s%d@%s", translit(first), translit(last), g.rng.IntN(100), pick(g, emailDomains))
		out = append(out, cfEntry{FieldID: FieldEmail, Values: []cfValue{{Value: addr, EnumID: e.ID, EnumCode: e.Code}}})
	}
	if g.chance(0.4) {
		out = append(out, cfEntry{FieldID: FieldPosition, Values: []cfValue{{Value: pick(g, positions)}}})
	}
	if g.chance(0.5) {
		e := pick(g, fields.byID(FieldSource).Enums)
		out = append(out, cfEntry{FieldID: FieldSource, Values: []cfValue{{Value: e.Value, EnumID: e.ID, EnumCode: e.Code}}})
	}
	if g.chance(0.3) {
		out = append(out, cfEntry{FieldID: FieldNewsOptIn, Values: []cfValue{{Value: g.chance(0.7)}}})
	}
	if g.chance(0.2) {
		out = append(out, cfEntry{FieldID: FieldAge, Values: []cfValue{{Value: json.Number(itoa(20 + g.rng.IntN(50)))}}})
	}
	if g.chance(0.2) {
		out = append(out, cfEntry{FieldID: FieldFirstSeen, Values: []cfValue{{Value: int64(demoFrom + g.rng.IntN(demoTo-demoFrom)/day*day)}}})
	}
	return out
}

func (g *gen) genCompanies(m int) {
	for j := range m {
		name := fmt.Sprintf("%s «%s»", pick(g, companyForms), companyWords[j%len(companyWords)])
		if j >= len(companyWords) {
			name += fmt.Sprintf(" %d", j/len(companyWords)+1)
		}
		c := &company{record: g.base(FirstGeneratedCompanyID+j, name)}
		phone := g.phoneValue("WORK")
		c.Fields = []cfEntry{{FieldID: FieldPhone, Values: []cfValue{phone}}}
		if g.chance(0.7) {
			c.Fields = append(c.Fields, cfEntry{FieldID: FieldWeb, Values: []cfValue{{Value: fmt.Sprintf("https://%s.example.ru", translit(companyWords[j%len(companyWords)]))}}})
		}
		if g.chance(0.5) {
			c.Fields = append(c.Fields, cfEntry{FieldID: FieldAddress, Values: []cfValue{{Value: fmt.Sprintf("г. Москва, ул. %s, д. %d", pick(g, companyWords), 1+g.rng.IntN(120))}}})
		}
		if g.chance(0.3) {
			c.TagIDs = g.pickTags(entCompanies, 2)
		}
		g.st.companies[c.ID] = c
		g.companies = append(g.companies, c)
	}
	if m == 0 {
		return
	}
	// Each contact has at most one company.
	for i, ct := range g.contacts {
		if i == 1 || (i != 0 && !g.chance(0.45)) {
			continue
		}
		co := pick(g, g.companies)
		ct.CompanyID = co.ID
		co.ContactIDs = append(co.ContactIDs, ct.ID)
	}
}

// pickContacts draws k distinct contacts. A third of the draws come from
// the first tenth of the contacts, so some contacts have many leads and
// customers. The bare contact (index 1) is never drawn; the showcase
// contact (index 0) comes first when withShowcase is set.
func (g *gen) pickContacts(k int, withShowcase bool) []*contact {
	var out []*contact
	if withShowcase && len(g.contacts) > 0 {
		out = append(out, g.contacts[0])
	}
	for range k * 3 {
		if len(out) >= k || len(g.contacts) < 3 {
			break
		}
		idx := g.rng.IntN(len(g.contacts))
		if g.chance(0.3) {
			idx = g.rng.IntN(max(3, len(g.contacts)/10))
		}
		if idx == 1 {
			continue
		}
		if c := g.contacts[idx]; !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func (g *gen) genLeads(m int) {
	fields := g.st.fields[entLeads]
	for j := range m {
		l := &lead{record: g.base(FirstGeneratedLeadID+j, fmt.Sprintf("%s №%d", pick(g, leadTitles), 1000+j))}
		l.Price = 1000 * (5 + g.rng.IntN(495))
		l.PipelineID = PipelineMain
		if g.chance(0.2) {
			l.PipelineID = PipelineRepeat
		}
		l.StatusID = pick(g, pipelineStatuses[l.PipelineID])
		if g.chance(0.25) {
			l.StatusID = pick(g, []int{StatusWon, StatusLost})
			closed := l.UpdatedAt
			l.ClosedAt = &closed
			l.ClosestTaskAt = nil
			if l.StatusID == StatusLost {
				l.LossReasonID = pick(g, []int{9001, 9002})
			}
		}
		if g.chance(0.3) {
			l.TagIDs = g.pickTags(entLeads, 2)
		}
		if g.chance(0.4) {
			e := pick(g, fields.byID(FieldLeadKind).Enums)
			l.Fields = append(l.Fields, cfEntry{FieldID: FieldLeadKind, Values: []cfValue{{Value: e.Value, EnumID: e.ID, EnumCode: e.Code}}})
		}
		if l.StatusID == StatusWon {
			l.Fields = append(l.Fields, cfEntry{FieldID: FieldLeadPaidAt, Values: []cfValue{{Value: *l.ClosedAt / day * day}}})
		}
		if g.chance(0.2) {
			l.Fields = append(l.Fields, cfEntry{FieldID: FieldLeadComment, Values: []cfValue{{Value: "Клиент просил перезвонить после " + itoa(10+g.rng.IntN(8)) + ":00"}}})
		}
		k := pick(g, []int{0, 1, 1, 1, 1, 2, 2, 2, 3, 3})
		for i, c := range g.pickContacts(max(k, btoi(j < 2)), j < 2) {
			l.Contacts = append(l.Contacts, contactRef{ID: c.ID, IsMain: i == 0})
			c.LeadIDs = append(c.LeadIDs, l.ID)
		}
		l.CompanyID = g.companyFor(l.Contacts)
		if co := g.st.companies[l.CompanyID]; co != nil {
			co.LeadIDs = append(co.LeadIDs, l.ID)
		}
		g.st.leads[l.ID] = l
	}
}

// companyFor picks the company of an entity: usually its main contact's.
func (g *gen) companyFor(cs []contactRef) int {
	if len(cs) > 0 {
		if id := g.st.contacts[cs[0].ID].CompanyID; id != 0 && g.chance(0.8) {
			return id
		}
	}
	if len(g.companies) > 0 && g.chance(0.15) {
		return pick(g, g.companies).ID
	}
	return 0
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (g *gen) genCustomers(m int) {
	for j := range m {
		c := &customer{record: g.base(FirstGeneratedCustomerID+j, "")}
		for i, ct := range g.pickContacts(1+g.rng.IntN(2), j == 0) {
			c.Contacts = append(c.Contacts, contactRef{ID: ct.ID, IsMain: i == 0})
			ct.CustomerIDs = append(ct.CustomerIDs, c.ID)
		}
		c.CompanyID = g.companyFor(c.Contacts)
		switch co := g.st.companies[c.CompanyID]; {
		case co != nil:
			co.CustomerIDs = append(co.CustomerIDs, c.ID)
			c.Name = co.Name
		case len(c.Contacts) > 0:
			c.Name = g.st.contacts[c.Contacts[0].ID].Name
		default:
			c.Name = fmt.Sprintf("Покупатель №%d", j+1)
		}
		c.NextPrice = 1000 * (1 + g.rng.IntN(100))
		c.NextDate = c.UpdatedAt + int64(1+g.rng.IntN(60))*day
		c.StatusID = pick(g, []int{8001, 8002, 8003})
		c.Periodicity = pick(g, []int{7, 14, 30, 90})
		c.PurchasesCount = 1 + g.rng.IntN(20)
		c.AverageCheck = 1000 * (1 + g.rng.IntN(50))
		c.LTV = c.PurchasesCount * c.AverageCheck
		for _, seg := range []int{70001, 70002, 70003} {
			if g.chance(0.3) {
				c.SegmentIDs = append(c.SegmentIDs, seg)
			}
		}
		if g.chance(0.2) {
			c.TagIDs = g.pickTags(entCustomers, 2)
		}
		if g.chance(0.2) {
			c.Fields = []cfEntry{{FieldID: FieldCustomerNote, Values: []cfValue{{Value: "Покупает раз в " + itoa(c.Periodicity) + " дней"}}}}
		}
		g.st.customers[c.ID] = c
	}
}

// elements creates the catalog elements; linkElements links them later.
func (g *gen) elements() {
	id := FirstGeneratedElementID
	for _, cat := range []struct {
		catalog int
		names   []string
		sku     string
	}{{CatalogGoods, goodsNames, "GD"}, {CatalogServices, serviceNames, "SV"}} {
		c := g.st.catalogs[cat.catalog]
		for i, name := range cat.names {
			created, updated := g.span()
			e := &element{record: record{
				ID: id, Name: name, CreatedBy: DefaultUserID, UpdatedBy: DefaultUserID, CreatedAt: created, UpdatedAt: updated,
			}, CatalogID: cat.catalog}
			e.Fields = []cfEntry{
				{FieldID: c.Fields.list[0].ID, Values: []cfValue{{Value: fmt.Sprintf("%s-%04d", cat.sku, i+1)}}},
				{FieldID: c.Fields.list[1].ID, Values: []cfValue{{Value: json.Number(itoa(500 * (1 + g.rng.IntN(200))))}}},
			}
			g.st.elements[id] = e
			id++
		}
	}
}

// elementLinks draws 1–2 catalog elements to link to an entity.
func (g *gen) elementLinks() []elementLink {
	if g.elemList == nil {
		g.elemList = sortedByID(g.st.elements)
	}
	elems := g.elemList
	var out []elementLink
	for range 1 + g.rng.IntN(2) {
		e := pick(g, elems)
		if slices.ContainsFunc(out, func(l elementLink) bool { return l.ElementID == e.ID }) {
			continue
		}
		q := float64(1 + g.rng.IntN(5))
		if e.CatalogID == CatalogServices {
			q = float64(1+g.rng.IntN(8)) / 2 // hours, so fractional quantities occur
		}
		out = append(out, elementLink{ElementID: e.ID, CatalogID: e.CatalogID, Quantity: q, PriceID: g.st.catalogs[e.CatalogID].PriceID})
	}
	return out
}

// linkElements links catalog elements to some contacts, leads, companies
// and customers (always to the showcase contact, never to the bare one).
func (g *gen) linkElements() {
	for i, c := range g.contacts {
		if i == 0 || (i != 1 && g.chance(0.2)) {
			c.Elements = g.elementLinks()
		}
	}
	for _, l := range sortedByID(g.st.leads) {
		if l.ID >= FirstGeneratedLeadID && g.chance(0.25) {
			l.Elements = g.elementLinks()
		}
	}
	for _, c := range g.companies {
		if g.chance(0.1) {
			c.Elements = g.elementLinks()
		}
	}
	for _, c := range sortedByID(g.st.customers) {
		if c.ID >= FirstGeneratedCustomerID && g.chance(0.2) {
			c.Elements = g.elementLinks()
		}
	}
}

// genChats links chats to about a tenth of the generated contacts.
func (g *gen) genChats() {
	next := DocChatLinkID + 1
	for i, c := range g.contacts {
		if i == 1 || (i != 0 && !g.chance(0.1)) {
			continue
		}
		for range 1 + g.rng.IntN(2) {
			id := g.uuid()
			g.st.chats[id] = &chatLink{ID: next, ChatID: id, ContactID: c.ID}
			next++
		}
	}
	g.st.nextChatLinkID = max(g.st.nextChatLinkID, next)
}

// uuid returns a version-4-shaped UUID from the generator's source.
func (g *gen) uuid() string {
	a, b := g.rng.Uint64(), g.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x",
		a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}
