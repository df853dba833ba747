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

func (r *mutationResolver) linkChats(ctx context.Context, input []*model.LinkChatInput) (*model.LinkChatsPayload, error) {
	if err := checkBatchSize(len(input)); err != nil {
		return nil, err
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
		return &model.LinkChatsPayload{ChatLinks: []*amocrm.ChatLink{}, UserErrors: uerrs}, nil
	}
	links, _, err := r.Client.Contacts.LinkChats(ctx, reqs)
	if ue := rejected(err, newIndexer(reqIDs), "input"); ue != nil {
		return &model.LinkChatsPayload{ChatLinks: []*amocrm.ChatLink{}, UserErrors: ue}, nil
	}
	if err != nil {
		return nil, err
	}
	if l, err := loader.For(ctx); err == nil {
		l.ForgetChatLinks(contactIDs)
		l.FollowChatLinks(links, 0)
	}
	if links == nil {
		links = []*amocrm.ChatLink{}
	}
	return &model.LinkChatsPayload{ChatLinks: links, UserErrors: []*model.UserError{}}, nil
}
