package sandbox

import (
	"fmt"
	"slices"
)

// The v4 API has no method to delete or restore a contact: people do it in
// amoCRM's web interface, and the account's webhooks report it
// (delete_contact, restore_contact). DeleteContacts and RestoreContacts
// stand in for that interface, so tests can make the changes a gateway only
// ever learns of by webhook.
// https://www.amocrm.ru/developers/content/crm_platform/webhooks-format

// DeleteContacts moves contacts to the trash, as a user deleting them in
// amoCRM's interface does: GET answers 204 for them and lists leave them
// out, other entities keep their links, and subscriptions to
// delete_contact get one webhook carrying each contact's id. It fails,
// deleting nothing, when an id names no live contact.
func (s *Sandbox) DeleteContacts(ids ...int) error {
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, id := range ids {
		if st.contacts[id] == nil {
			return fmt.Errorf("sandbox: delete contact %d: no such contact", id)
		}
	}
	now := s.cfg.now().Unix()
	var items [][]formPair
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		c := st.contacts[id]
		delete(st.contacts, id)
		c.IsDeleted, c.UpdatedAt, c.UpdatedBy = true, now, DefaultUserID
		st.trash[id] = c
		// amoCRM's delete payloads are only known to carry the id.
		items = append(items, []formPair{{"[id]", itoa(id)}, {"[type]", "contact"}})
	}
	s.emitEvent(newHookEvent(entContacts, "delete", items))
	return nil
}

// RestoreContacts brings deleted contacts back from the trash, as a user
// restoring them in amoCRM's interface does; subscriptions to
// restore_contact get one webhook with the contacts as restored. It fails,
// restoring nothing, when an id names no deleted contact.
func (s *Sandbox) RestoreContacts(ids ...int) error {
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, id := range ids {
		if st.trash[id] == nil {
			return fmt.Errorf("sandbox: restore contact %d: not in the trash", id)
		}
	}
	now := s.cfg.now().Unix()
	var items [][]formPair
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		c := st.trash[id]
		delete(st.trash, id)
		c.IsDeleted, c.UpdatedAt, c.UpdatedBy = false, now, DefaultUserID
		st.contacts[id] = c
		items = append(items, st.hookRecord(entContacts, &c.record, "contact"))
	}
	s.emitEvent(newHookEvent(entContacts, "restore", items))
	return nil
}
