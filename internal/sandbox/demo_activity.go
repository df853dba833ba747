package sandbox

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Demo tasks and notes. They draw from their own random source, after the
// entities exist, so adding them changed none of the entities' data; task
// due dates are relative to the sandbox's clock (WithClock), in the
// account's time zone (Moscow, UTC+3), so there are always tasks due today
// and overdue.
const (
	FirstGeneratedTaskID = 60000001
	FirstGeneratedNoteID = 70000001

	DemoTaskDueTodayID  = 60000001 // open call on lead 1, due at 23:59:59 today
	DemoTaskOverdueID   = 60000002 // open meeting on contact 3, due two days ago
	DemoTaskCompletedID = 60000003 // completed task of lead 3916883 with a result
	DemoNoteContactID   = 70000001 // common note on contact 3
	DemoNoteCallID      = 70000002 // call_out note on lead 1
	DemoNoteServiceID   = 70000003 // service_message note on company 1
	DemoNoteSMSID       = 70000004 // sms_out note on contact 3
)

// accountZone is the demo account's time zone.
var accountZone = time.FixedZone("MSK", 3*3600)

// seedActivity adds the demo tasks and notes. now is the sandbox's clock.
func seedActivity(st *store, seed int64, now time.Time) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xac7171e5))
	local := now.In(accountZone)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, accountZone).Unix()
	at := now.Unix()

	addTask := func(id int, e string, owner, typ int, text string, till int64, resp int) *task {
		t := &task{record: record{ID: id, ResponsibleUserID: resp, GroupID: st.groupOf(resp), CreatedBy: DefaultUserID,
			UpdatedBy: DefaultUserID, CreatedAt: min(at, till) - 3*day, UpdatedAt: min(at, till) - 3*day},
			EntityType: e, EntityID: owner, TaskTypeID: typ, Text: text, CompleteTill: till}
		st.tasks[id] = t
		return t
	}
	addNote := func(id int, e string, owner int, typ string, params map[string]any, created int64, author int) {
		st.notes[id] = &note{record: record{ID: id, ResponsibleUserID: author, GroupID: st.groupOf(author), CreatedBy: author,
			UpdatedBy: author, CreatedAt: created, UpdatedAt: created}, EntityType: e, EntityID: owner, NoteType: typ, Params: params}
	}

	nextTask, nextNote := FirstGeneratedTaskID, FirstGeneratedNoteID
	if st.leads[DocLeadID1] != nil {
		addTask(DemoTaskDueTodayID, entLeads, DocLeadID1, TaskTypeCall, "Перезвонить по коммерческому предложению", today+day-1, DefaultUserID)
		addTask(DemoTaskOverdueID, entContacts, DocContactID, TaskTypeMeeting, "Встреча в офисе клиента", today-2*day+12*3600, DefaultUserID)
		done := addTask(DemoTaskCompletedID, entLeads, DocLeadID2, TaskTypeCall, "Согласовать дату поставки", 1589990400, DefaultUserID)
		done.IsCompleted, done.Result, done.UpdatedAt = true, "Поставка 1 июня, клиент подтвердил", 1589990000
		addNote(DemoNoteContactID, entContacts, DocContactID, "common", map[string]any{"text": "Просил прислать КП до пятницы"}, 1590000000, DefaultUserID)
		addNote(DemoNoteCallID, entLeads, DocLeadID1, "call_out", callParams(rng, "+79123"), 1590100000, DefaultUserID)
		addNote(DemoNoteServiceID, entCompanies, DocCompanyID, "service_message", map[string]any{"service": "Сайт", "text": "Заявка с формы обратной связи"}, 1590200000, DefaultUserID)
		addNote(DemoNoteSMSID, entContacts, DocContactID, "sms_out", map[string]any{"text": "Ваш счёт отправлен на почту", "phone": "+79123"}, 1590300000, DefaultUserID)
		nextTask, nextNote = DemoTaskCompletedID+1, DemoNoteSMSID+1
	}

	users := sortedActive(st)
	taskTexts := []string{"Связаться с клиентом", "Отправить коммерческое предложение", "Уточнить бюджет", "Назначить демонстрацию", "Выставить счёт", "Проверить оплату"}
	for _, l := range sortedByID(st.leads) {
		if l.ID < FirstGeneratedLeadID || isClosedStatus(l.StatusID) || rng.IntN(2) == 0 {
			continue
		}
		till := today + int64(rng.IntN(22)-7)*day + int64(9+rng.IntN(10))*3600
		t := addTask(nextTask, entLeads, l.ID, 1+rng.IntN(2), taskTexts[rng.IntN(len(taskTexts))], till, l.ResponsibleUserID)
		if till < at && rng.IntN(3) == 0 {
			t.IsCompleted, t.Result = true, "Выполнено"
		}
		nextTask++
	}
	for _, c := range sortedByID(st.contacts) {
		if c.ID >= FirstGeneratedContactID && c.ID != FirstGeneratedContactID+1 && rng.IntN(8) == 0 {
			till := today + int64(rng.IntN(10)-3)*day + 18*3600
			addTask(nextTask, entContacts, c.ID, TaskTypeCall, "Поздравить с праздником", till, users[rng.IntN(len(users))])
			nextTask++
		}
	}

	noteKinds := []string{"common", "call_in", "call_out", "service_message", "sms_out"}
	owners := []struct {
		entity string
		ids    []int
		chance int // one in chance
	}{
		{entLeads, idsFrom(st.leads, FirstGeneratedLeadID), 2},
		{entContacts, idsFrom(st.contacts, FirstGeneratedContactID+2), 5},
		{entCompanies, idsFrom(st.companies, FirstGeneratedCompanyID), 3},
		// Last, so the notes above keep the ids and data they had before
		// customers had notes.
		{entCustomers, idsFrom(st.customers, FirstGeneratedCustomerID), 3},
	}
	for _, o := range owners {
		for _, id := range o.ids {
			if rng.IntN(o.chance) != 0 {
				continue
			}
			for range 1 + rng.IntN(3) {
				typ := noteKinds[rng.IntN(len(noteKinds))]
				created := demoFrom + rng.Int64N(demoTo-demoFrom)
				addNote(nextNote, o.entity, id, typ, noteParams(rng, typ), created, users[rng.IntN(len(users))])
				nextNote++
			}
		}
	}
	st.nextTaskID = max(st.nextTaskID, nextTask)
	st.nextNoteID = max(st.nextNoteID, nextNote)
}

func idsFrom[T row](m map[int]T, from int) []int {
	var ids []int
	for _, r := range sortedByID(m) {
		if r.base().ID >= from {
			ids = append(ids, r.base().ID)
		}
	}
	return ids
}

// sortedActive returns the ids of active users, ordered.
func sortedActive(st *store) []int {
	var ids []int
	for _, u := range st.sortedUsers() {
		if u.IsActive {
			ids = append(ids, u.ID)
		}
	}
	return ids
}

func callParams(rng *rand.Rand, phone string) map[string]any {
	uniq := fmt.Sprintf("%08x-%04x", rng.Uint32(), rng.Uint32()&0xffff)
	return map[string]any{
		"uniq": uniq, "duration": 30 + rng.IntN(600), "source": "sandbox_telephony",
		"link": "https://telephony.example/records/" + uniq + ".mp3", "phone": phone,
		"call_result": "Обсудили условия", "call_status": 4,
	}
}

func noteParams(rng *rand.Rand, typ string) map[string]any {
	phone := fmt.Sprintf("+79%09d", rng.IntN(1_000_000_000))
	switch typ {
	case "call_in", "call_out":
		return callParams(rng, phone)
	case "service_message":
		return map[string]any{"service": "Интеграция с сайтом", "text": "Клиент открыл коммерческое предложение"}
	case "sms_out":
		return map[string]any{"text": "Напоминаем о встрече завтра", "phone": phone}
	}
	texts := []string{"Клиент сравнивает с конкурентами", "Нужна скидка 5%", "Решение после совещания", "Отправил презентацию"}
	return map[string]any{"text": texts[rng.IntN(len(texts))]}
}
