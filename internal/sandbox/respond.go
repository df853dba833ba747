package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Content types upstream answers with.
const (
	contentHAL     = "application/hal+json"
	contentProblem = "application/problem+json"
	contentJSON    = "application/json"
	contentHTML    = "text/html; charset=utf-8"
)

// problem is upstream's error body (RFC 7807 flavoured).
type problem struct {
	ValidationErrors []elementErrors `json:"validation-errors,omitempty"`
	Title            string          `json:"title"`
	Type             string          `json:"type"`
	Status           int             `json:"status"`
	Detail           string          `json:"detail"`
}

// elementErrors are the validation errors of one element of a request body,
// named by its request_id (the given one, or its index in the array).
type elementErrors struct {
	RequestID string       `json:"request_id"`
	Errors    []fieldError `json:"errors"`
}

// fieldError is one validation error; Path is dotted into the element, e.g.
// "custom_fields_values.0.values.1.enum".
type fieldError struct {
	Code   string `json:"code"`
	Path   string `json:"path"`
	Detail string `json:"detail"`
}

// apiError is an error a handler answers with instead of its result.
type apiError struct {
	status int
	detail string
	errs   []elementErrors
}

// badRequest is the 400 "Request validation failed" with validation-errors.
func badRequest(errs []elementErrors) *apiError {
	return &apiError{status: http.StatusBadRequest, detail: "Request validation failed", errs: errs}
}

// invalidParam is a 400 about one query parameter; upstream names the
// parameter in path and uses request_id "0" for GET requests.
func invalidParam(code, path, detail string) *apiError {
	return badRequest([]elementErrors{{RequestID: "0", Errors: []fieldError{{Code: code, Path: path, Detail: detail}}}})
}

// writeAPIError answers with e as problem+json.
func writeAPIError(w http.ResponseWriter, e *apiError) {
	p := problemFor(e.status, e.detail)
	p.ValidationErrors = e.errs
	writeJSON(w, e.status, contentProblem, p)
}

// writeProblem answers status with a problem+json body carrying detail.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, contentProblem, problemFor(status, detail))
}

func problemFor(status int, detail string) problem {
	title := http.StatusText(status)
	if title == "" {
		title = "Error"
	}
	return problem{Title: title, Type: fmt.Sprintf("https://httpstatus.es/%d", status), Status: status, Detail: detail}
}

// writeHAL answers 200 with v as application/hal+json.
func writeHAL(w http.ResponseWriter, v any) {
	writeJSON(w, http.StatusOK, contentHAL, v)
}

// writeNoContent answers 204 with an empty body, as upstream does for empty
// lists, pages past the end and missing ids.
func writeNoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// writeJSON sets the content type before the status, then encodes v.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	// Upstream does not escape &, < and > in hrefs; neither do we.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	body := bytes.TrimRight(buf.Bytes(), "\n")
	if err != nil {
		// Only our own response types reach here; failing to encode one is a
		// sandbox bug, reported as upstream would report any server fault.
		body = []byte(`{"title":"Internal Server Error","type":"https://httpstatus.es/500","status":500,"detail":"encode response"}`)
		status, contentType = http.StatusInternalServerError, contentProblem
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeHTML answers status with an nginx-style HTML page: what upstream's
// 429 and account-block 403 look like (no JSON, no Retry-After).
func writeHTML(w http.ResponseWriter, status int) {
	line := fmt.Sprintf("%d %s", status, http.StatusText(status))
	page := strings.Join([]string{
		"<html>",
		"<head><title>" + line + "</title></head>",
		"<body>",
		"<center><h1>" + line + "</h1></center>",
		"<hr><center>nginx</center>",
		"</body>",
		"</html>",
		"",
	}, "\r\n")
	w.Header().Set("Content-Type", contentHTML)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}

// href is a HAL link.
type href struct {
	Href string `json:"href"`
}

// selfLinks is the _links of an entity or a write response.
type selfLinks struct {
	Self href `json:"self"`
}

func selfLink(u string) selfLinks { return selfLinks{Self: href{Href: u}} }
