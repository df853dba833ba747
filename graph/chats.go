package graph

import (
	"context"
	"strconv"
	"strings"

	"github.com/amogql/amogql/graph/model"
	"github.com/amogql/amogql/internal/amocrm"
	"github.com/amogql/amogql/internal/loader"
)

func (r *queryResolver) chatLinks(ctx context.Context, contactIDs []int, chatIDs []string) ([]*amocrm.ChatLink, error) {
	if len(contactIDs) == 0 && len(chatIDs) == 0 {
		return nil, badInput("chatLinks needs contactIds or chatIds")
	}
	if len(contactIDs)+len(chatIDs) > maxBatch {
		return nil, badInput("chatLinks takes at most %d ids", maxBatch)
	}
	for _, id := range chatIDs {
		if strings.TrimSpace(id) == "" {
			return nil, badInput("chatIds must not hold an empty id")
		}
	}
	l, err := loader.For(ctx)
	if err != nil {
		return nil, err
	}
	if len(chatIDs) == 0 {
		// By contact alone, the links are the same as the contacts' chats
		// anywhere else in the operation: one read serves both.
		return l.ChatLinksOf(ctx, contactIDs)
	}
	links, _, err := r.Client.Contacts.ListChats(ctx, &amocrm.ChatListOptions{ContactID: contactIDs, ChatID: chatIDs})
	if err != nil {
		return nil, err
	}
	l.FollowChatLinks(links, 0)
	if links == nil {
		links = []*amocrm.ChatLink{}
	}
	return links, nil
}

func (r *mutationResolver) linkChats(ctx context.Context, input []*model.LinkChatInput) *model.LinkChatsPayload {
	fail := func(ue []*model.UserError) *model.LinkChatsPayload {
		return &model.LinkChatsPayload{ChatLinks: []*amocrm.ChatLink{}, UserErrors: ue}
	}
	if err := checkBatchSize(len(input)); err != nil {
		return fail(inputFailure(err))
	}
	reqIDs := requestIDs(input, func(in *model.LinkChatInput) *string { return in.RequestID })
	reqs := make([]*amocrm.LinkChatRequest, len(input))
	contactIDs := make([]int, len(input))
	var uerrs []*model.UserError
	for i, in := range input {
		if strings.TrimSpace(in.ChatID) == "" {
			uerrs = append(uerrs, userError(i, reqIDs[i], "INVALID_CHAT_ID", "chatId must not be empty", "input", strconv.Itoa(i), "chatId"))
		}
		reqs[i] = &amocrm.LinkChatRequest{ContactID: in.ContactID, ChatID: in.ChatID, RequestID: reqIDs[i]}
		contactIDs[i] = in.ContactID
	}
	if len(uerrs) > 0 {
		return fail(uerrs)
	}
	links, _, err := r.Client.Contacts.LinkChats(ctx, reqs)
	if err != nil {
		return fail(r.writeFailure(ctx, err, reqIDs))
	}
	if l, err := loader.For(ctx); err == nil {
		l.ForgetChatLinks(contactIDs)
		l.FollowChatLinks(links, 0)
	}
	// The write's answer is the payload: a link has nothing more to read back.
	byIndex, uerrs := written(links, func(c *amocrm.ChatLink) string { return c.RequestID }, reqIDs)
	ordered := make([]*amocrm.ChatLink, 0, len(byIndex))
	for _, c := range byIndex {
		if c != nil {
			ordered = append(ordered, c)
		}
	}
	return &model.LinkChatsPayload{ChatLinks: ordered, UserErrors: uerrs}
}
