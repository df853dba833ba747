package sandbox

import (
	"net/http"
	"slices"
)

// Lead pipelines and their stages: GET /api/v4/leads/pipelines,
// /api/v4/leads/pipelines/{id}, /api/v4/leads/pipelines/{id}/statuses and
// /api/v4/leads/pipelines/{id}/statuses/{status_id}. The lists are not
// paged and carry _total_items; every pipeline has the system stages 142
// (won) and 143 (lost); a missing pipeline or stage is a 404 problem
// ("Pipeline not found"), unlike entities, whose missing ids answer 204.
//
// amoCRM API docs: https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines
// (Kommo: https://developers.kommo.com/reference/leads-pipelines-and-stages)

// pipeline is one lead pipeline with its stages in board order.
type pipeline struct {
	ID       int
	Name     string
	Sort     int
	IsMain   bool
	Statuses []status
}

// status is one stage. Type 0 is a normal stage; the sandbox has no
// "incoming leads" (type 1) stages, as its pipelines have unsorted off.
type status struct {
	ID    int
	Name  string
	Sort  int
	Color string
}

// isClosedStatus reports whether id is one of the system stages 142 and 143.
func isClosedStatus(id int) bool { return id == StatusWon || id == StatusLost }

// demoPipelines is the account's pipelines. The open stages of the first
// two are the ones the lead generator has always drawn from, in that order.
func demoPipelines() []*pipeline {
	closed := func(open ...status) []status {
		return append(open,
			status{ID: StatusWon, Name: "Успешно реализовано", Sort: 10000, Color: "#CCFF66"},
			status{ID: StatusLost, Name: "Закрыто и не реализовано", Sort: 11000, Color: "#D5D8DB"})
	}
	return []*pipeline{
		{ID: PipelineMain, Name: "Основная воронка", Sort: 1, IsMain: true, Statuses: closed(
			status{ID: 5100001, Name: "Первичный контакт", Sort: 10, Color: "#99ccff"},
			status{ID: 5100002, Name: "Переговоры", Sort: 20, Color: "#ffff99"},
			status{ID: 5100003, Name: "Принимают решение", Sort: 30, Color: "#ffcc66"},
			status{ID: 5100004, Name: "Согласование договора", Sort: 40, Color: "#ff9900"},
		)},
		{ID: PipelineRepeat, Name: "Повторные продажи", Sort: 2, Statuses: closed(
			status{ID: 5200001, Name: "Новый запрос", Sort: 10, Color: "#d6eaff"},
			status{ID: 5200002, Name: "Выставлен счёт", Sort: 20, Color: "#deff81"},
		)},
		{ID: PipelinePartners, Name: "Партнёры", Sort: 3, Statuses: closed(
			status{ID: 5300001, Name: "Заявка партнёра", Sort: 10, Color: "#f9deff"},
			status{ID: 5300002, Name: "Проверка", Sort: 20, Color: "#fffeb2"},
			status{ID: 5300003, Name: "Договор подписан", Sort: 30, Color: "#87f2c0"},
		)},
	}
}

// pipelineByID returns the pipeline id, or nil. The caller holds a lock
// (pipelines are never written, but the lock keeps that an implementation
// detail).
func (st *store) pipelineByID(id int) *pipeline {
	for _, p := range st.pipelines {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// mainPipeline is the pipeline leads land in when a write names none.
func (st *store) mainPipeline() *pipeline {
	for _, p := range st.pipelines {
		if p.IsMain {
			return p
		}
	}
	return st.pipelines[0]
}

// hasStatus reports whether stage id belongs to p.
func (p *pipeline) hasStatus(id int) bool {
	return slices.ContainsFunc(p.Statuses, func(s status) bool { return s.ID == id })
}

// pipelineOfStatus finds the pipeline of an open stage (stage ids are
// unique except 142 and 143, which every pipeline has); nil when none.
func (st *store) pipelineOfStatus(id int) *pipeline {
	if isClosedStatus(id) {
		return nil
	}
	for _, p := range st.pipelines {
		if p.hasStatus(id) {
			return p
		}
	}
	return nil
}

type pipelineJSON struct {
	ID           int              `json:"id"`
	Name         string           `json:"name"`
	Sort         int              `json:"sort"`
	IsMain       bool             `json:"is_main"`
	IsUnsortedOn bool             `json:"is_unsorted_on"`
	IsArchive    bool             `json:"is_archive"`
	AccountID    int              `json:"account_id"`
	Links        selfLinks        `json:"_links"`
	Embedded     pipelineEmbedded `json:"_embedded"`
}

type pipelineEmbedded struct {
	Statuses []statusJSON `json:"statuses"`
}

type statusJSON struct {
	ID         int       `json:"id"`
	Name       string    `json:"name"`
	Sort       int       `json:"sort"`
	IsEditable bool      `json:"is_editable"`
	PipelineID int       `json:"pipeline_id"`
	Color      string    `json:"color"`
	Type       int       `json:"type"`
	AccountID  int       `json:"account_id"`
	Links      selfLinks `json:"_links"`
}

// totalAnswer is the envelope of the unpaged metadata lists.
type totalAnswer struct {
	TotalItems int            `json:"_total_items"`
	Links      selfLinks      `json:"_links"`
	Embedded   map[string]any `json:"_embedded"`
}

func renderStatus(p *pipeline, s status, base string) statusJSON {
	return statusJSON{
		ID: s.ID, Name: s.Name, Sort: s.Sort, IsEditable: !isClosedStatus(s.ID), PipelineID: p.ID,
		Color: s.Color, AccountID: AccountID,
		Links: selfLink(base + "/api/v4/leads/pipelines/" + itoa(p.ID) + "/statuses/" + itoa(s.ID)),
	}
}

func renderPipeline(p *pipeline, base string) pipelineJSON {
	j := pipelineJSON{
		ID: p.ID, Name: p.Name, Sort: p.Sort, IsMain: p.IsMain, AccountID: AccountID,
		Links:    selfLink(base + "/api/v4/leads/pipelines/" + itoa(p.ID)),
		Embedded: pipelineEmbedded{Statuses: make([]statusJSON, 0, len(p.Statuses))},
	}
	for _, s := range p.Statuses {
		j.Embedded.Statuses = append(j.Embedded.Statuses, renderStatus(p, s, base))
	}
	return j
}

// listPipelines serves GET /api/v4/leads/pipelines.
func (s *Sandbox) listPipelines(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	s.store.mu.RLock()
	out := make([]pipelineJSON, 0, len(s.store.pipelines))
	for _, p := range s.store.pipelines {
		out = append(out, renderPipeline(p, base))
	}
	s.store.mu.RUnlock()
	writeHAL(w, totalAnswer{TotalItems: len(out), Links: selfLink(base + r.URL.Path), Embedded: map[string]any{"pipelines": out}})
}

// requestedPipeline reads {pipeline_id}, answering 404 itself when it names
// no pipeline.
func (s *Sandbox) requestedPipeline(w http.ResponseWriter, r *http.Request) *pipeline {
	id, ok := pathID(r, "pipeline_id")
	s.store.mu.RLock()
	p := s.store.pipelineByID(id)
	s.store.mu.RUnlock()
	if !ok || p == nil {
		writeProblem(w, http.StatusNotFound, "Pipeline not found")
		return nil
	}
	return p
}

// getPipeline serves GET /api/v4/leads/pipelines/{id}.
func (s *Sandbox) getPipeline(w http.ResponseWriter, r *http.Request) {
	if p := s.requestedPipeline(w, r); p != nil {
		writeHAL(w, renderPipeline(p, s.baseURL(r)))
	}
}

// listStatuses serves GET /api/v4/leads/pipelines/{id}/statuses.
func (s *Sandbox) listStatuses(w http.ResponseWriter, r *http.Request) {
	p := s.requestedPipeline(w, r)
	if p == nil {
		return
	}
	base := s.baseURL(r)
	j := renderPipeline(p, base)
	writeHAL(w, totalAnswer{TotalItems: len(j.Embedded.Statuses), Links: selfLink(base + r.URL.Path), Embedded: map[string]any{"statuses": j.Embedded.Statuses}})
}

// getStatus serves GET /api/v4/leads/pipelines/{id}/statuses/{status_id}.
func (s *Sandbox) getStatus(w http.ResponseWriter, r *http.Request) {
	p := s.requestedPipeline(w, r)
	if p == nil {
		return
	}
	id, _ := pathID(r, "status_id")
	for _, st := range p.Statuses {
		if st.ID == id {
			writeHAL(w, renderStatus(p, st, s.baseURL(r)))
			return
		}
	}
	writeProblem(w, http.StatusNotFound, "Status not found")
}

// Loss reasons of lost leads (with=loss_reason).
var lossReasons = map[int]string{9001: "Дорого", 9002: "Выбрали конкурента"}

type lossReasonJSON struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Sort      int       `json:"sort"`
	CreatedAt int64     `json:"created_at"`
	UpdatedAt int64     `json:"updated_at"`
	Links     selfLinks `json:"_links"`
}

// lossReasonRefs renders a lead's loss reason for with=loss_reason; nil
// (the key is left out) when the lead has none.
func lossReasonRefs(base string, id int) []lossReasonJSON {
	name, ok := lossReasons[id]
	if !ok {
		return nil
	}
	return []lossReasonJSON{{ID: id, Name: name, Sort: id - 9000, CreatedAt: 1577836800, UpdatedAt: 1577836800,
		Links: selfLink(base + "/api/v4/leads/loss_reasons/" + itoa(id))}}
}
