package metrics_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/amogql/amogql/internal/metrics"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches m's /metrics over HTTP, as Prometheus would, and parses the
// text exposition.
func scrape(t *testing.T, m *metrics.Metrics) exposition {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

// exposition is a parsed scrape, by metric name.
type exposition map[string]*dto.MetricFamily

// value returns the series of name whose labels are exactly labels: a
// counter's or gauge's value, or a histogram's sample count.
func (e exposition) value(name string, labels map[string]string) (float64, bool) {
	fam, ok := e[name]
	if !ok {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		if !maps.Equal(got, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// series returns how many series name has.
func (e exposition) series(name string) int {
	return len(e[name].GetMetric())
}

// want is one expected series of a scrape.
type want struct {
	name   string
	labels map[string]string
	value  float64
}

func (e exposition) check(t *testing.T, wants ...want) {
	t.Helper()
	for _, w := range wants {
		got, ok := e.value(w.name, w.labels)
		if !ok {
			t.Errorf("%s%v: no such series", w.name, w.labels)
			continue
		}
		if got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
}

// histogram returns the histogram of name for the series whose only label
// value is label.
func histogram(t *testing.T, e exposition, name, label string) *dto.Histogram {
	t.Helper()
	for _, m := range e[name].GetMetric() {
		if lps := m.GetLabel(); len(lps) == 1 && lps[0].GetValue() == label {
			return m.GetHistogram()
		}
	}
	t.Fatalf("%s{%q}: no such series", name, label)
	return nil
}
