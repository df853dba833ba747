package amocrm

import (
	"context"
	"fmt"
	"net/http"
)

// ChatLink links a chat to a contact. A chat has at most one contact; a
// contact may have many chats.
type ChatLink struct {
	// ID is the link's id; it may change when the chat is relinked.
	ID        int    `json:"id"`
	ContactID int    `json:"contact_id"`
	ChatID    string `json:"chat_id"`
	// RequestID is only set in LinkChats answers.
	RequestID string `json:"request_id,omitempty"`
}

// ChatListOptions are the query parameters of ContactsService.ListChats. They
// are top-level parameters, not filter[...]: contact_id[]=1&chat_id[]=x.
type ChatListOptions struct {
	ContactID IDs      `url:"contact_id,omitempty"`
	ChatID    []string `url:"chat_id,brackets,omitempty"`
}

// LinkChatRequest is one link of ContactsService.LinkChats.
type LinkChatRequest struct {
	ContactID int    `json:"contact_id"`
	ChatID    string `json:"chat_id"`
	// RequestID is echoed back; default: the element's index in the batch.
	RequestID string `json:"request_id,omitempty"`
}

// ListChats returns the chat links of contacts or chats. Response.TotalItems
// is the collection's _total_items. It needs account-admin rights and a
// channel that lists the integration. An empty answer (204) returns an empty
// slice.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-chat-list
//
// GET /api/v4/contacts/chats
func (s *ContactsService) ListChats(ctx context.Context, opts *ChatListOptions) ([]*ChatLink, *Response, error) {
	u, err := addOptions("api/v4/contacts/chats", opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var body chatLinkList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Chats), resp, nil
}

// LinkChats links chats to contacts in one batch and returns the links. It
// needs account-admin rights. Every element needs a positive ContactID and a
// ChatID, else *ArgumentError.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-chat-connect
//
// POST /api/v4/contacts/chats
func (s *ContactsService) LinkChats(ctx context.Context, reqs []*LinkChatRequest) ([]*ChatLink, *Response, error) {
	if err := checkBatch("reqs", reqs); err != nil {
		return nil, nil, err
	}
	for i, r := range reqs {
		if err := checkID(fmt.Sprintf("reqs[%d].ContactID", i), r.ContactID); err != nil {
			return nil, nil, err
		}
		if r.ChatID == "" {
			return nil, nil, &ArgumentError{Arg: fmt.Sprintf("reqs[%d].ChatID", i), Reason: "must not be empty"}
		}
	}
	req, err := s.client.NewRequest(ctx, http.MethodPost, "api/v4/contacts/chats", reqs)
	if err != nil {
		return nil, nil, err
	}
	var body chatLinkList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Chats), resp, nil
}

type chatLinkList struct {
	halPage
	Embedded struct {
		Chats []*ChatLink `json:"chats"`
	} `json:"_embedded"`
}
