package amocrm

import (
	"context"
	"fmt"
	"net/http"
)

// PipelinesService reads the lead pipelines and their stages (statuses).
// An account has at most 50 pipelines of at most 100 stages each, so each
// list is one call without paging.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines
type PipelinesService service

// Pipeline is a lead pipeline (sales funnel).
type Pipeline struct {
	ID           int               `json:"id"`
	Name         string            `json:"name"`
	Sort         int               `json:"sort"`
	IsMain       bool              `json:"is_main"`
	IsUnsortedOn bool              `json:"is_unsorted_on"`
	IsArchive    bool              `json:"is_archive"`
	AccountID    int               `json:"account_id"`
	Links        *Links            `json:"_links,omitempty"`
	Embedded     *PipelineEmbedded `json:"_embedded,omitempty"`
}

// PipelineEmbedded holds a pipeline's stages, in amoCRM's order.
type PipelineEmbedded struct {
	Statuses []*PipelineStatus `json:"statuses"`
}

// Status types of PipelineStatus.Type.
const (
	StatusTypeRegular  = 0
	StatusTypeUnsorted = 1 // the "incoming leads" stage
)

// PipelineStatus is a stage of a pipeline. StatusWon (142) and StatusLost
// (143) are in every pipeline.
type PipelineStatus struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	Sort       int    `json:"sort"`
	IsEditable bool   `json:"is_editable"`
	PipelineID int    `json:"pipeline_id"`
	// Color is a hex color with "#", e.g. "#fffeb2".
	Color string `json:"color"`
	// Type is StatusTypeRegular or StatusTypeUnsorted.
	Type      int    `json:"type"`
	AccountID int    `json:"account_id"`
	Links     *Links `json:"_links,omitempty"`
}

// List returns every pipeline with its stages in Embedded.Statuses. An empty
// answer (204) returns an empty slice; Response.TotalItems is the number of
// pipelines.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines
//
// GET /api/v4/leads/pipelines
func (s *PipelinesService) List(ctx context.Context) ([]*Pipeline, *Response, error) {
	req, err := s.client.NewRequest(ctx, http.MethodGet, "api/v4/leads/pipelines", nil)
	if err != nil {
		return nil, nil, err
	}
	var body pipelineList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Pipelines), resp, nil
}

// Get returns one pipeline with its stages. amoCRM answers a pipeline that
// does not exist with 404 (an *ErrorResponse), not 204; a 204 returns nil
// and a nil error.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines
//
// GET /api/v4/leads/pipelines/{id}
func (s *PipelinesService) Get(ctx context.Context, id int) (*Pipeline, *Response, error) {
	if err := checkID("id", id); err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, fmt.Sprintf("api/v4/leads/pipelines/%d", id), nil)
	if err != nil {
		return nil, nil, err
	}
	var p *Pipeline
	resp, err := s.client.Do(req, &p)
	if err != nil {
		return nil, resp, err
	}
	return p, resp, nil
}

// ListStatuses returns the stages of one pipeline.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines
//
// GET /api/v4/leads/pipelines/{pipeline_id}/statuses
func (s *PipelinesService) ListStatuses(ctx context.Context, pipelineID int) ([]*PipelineStatus, *Response, error) {
	if err := checkID("pipelineID", pipelineID); err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, fmt.Sprintf("api/v4/leads/pipelines/%d/statuses", pipelineID), nil)
	if err != nil {
		return nil, nil, err
	}
	var body statusList
	resp, err := s.client.Do(req, &body)
	if err != nil {
		return nil, resp, err
	}
	return nonNil(body.Embedded.Statuses), resp, nil
}

type pipelineList struct {
	halPage
	Embedded struct {
		Pipelines []*Pipeline `json:"pipelines"`
	} `json:"_embedded"`
}

type statusList struct {
	halPage
	Embedded struct {
		Statuses []*PipelineStatus `json:"statuses"`
	} `json:"_embedded"`
}
