package ratelimit

import "time"

// DefaultMinTimeLeft is the least time a request must have before its
// deadline, beyond the upstream's usual answer time, to be sent at all.
const DefaultMinTimeLeft = 50 * time.Millisecond

// latency estimates how long the upstream takes to answer, the way TCP
// estimates a retransmission timeout (RFC 6298): a smoothed mean and a
// smoothed mean deviation of the samples. srtt + 4·rttvar is a time within
// which nearly every answer comes; a request with less time than that left
// would most likely time out after spending a rate slot and, worse, make a
// healthy upstream look like a failing one to a circuit breaker.
type latency struct {
	srtt, rttvar time.Duration
}

// observe adds one sample, the time from sending a request to its answer's
// headers.
func (e *latency) observe(d time.Duration) {
	if e.srtt == 0 {
		e.srtt, e.rttvar = d, d/2
		return
	}
	diff := e.srtt - d
	if diff < 0 {
		diff = -diff
	}
	e.rttvar = (3*e.rttvar + diff) / 4
	e.srtt = (7*e.srtt + d) / 8
}

// expected is the time within which an answer is expected: 0 until the
// first sample.
func (e *latency) expected() time.Duration { return e.srtt + 4*e.rttvar }

// needLeft is how much time before its deadline a request must have to be
// sent: the floor plus the expected answer time. Call with l.mu held.
func (l *Limiter) needLeft() time.Duration { return l.minLeft + l.lat.expected() }

// observeLatency records the answer time of a request that was answered.
func (l *Limiter) observeLatency(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lat.observe(d)
}
