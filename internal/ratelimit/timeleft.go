package ratelimit

import "time"

// DefaultMinTimeLeft is the least time a request must have before its
// deadline, beyond the upstream's expected answer time, to be sent at all:
// room to read and decode the answer.
const DefaultMinTimeLeft = 100 * time.Millisecond

// latency estimates how long the upstream takes to answer, in the manner of
// TCP's round-trip estimator (RFC 6298): a smoothed mean and a smoothed mean
// deviation of the samples. The mean plus twice the deviation is a time
// within which most answers come; a request with less time than that left
// would likely time out after spending a rate slot and, worse, make a
// healthy upstream look like a failing one to a circuit breaker. Unlike
// TCP's retransmission timeout it starts with no deviation: refusing a
// request that would have been answered costs a client an error too.
type latency struct {
	srtt, rttvar time.Duration
}

// observe adds one sample, the time from sending a request to its answer's
// headers.
func (e *latency) observe(d time.Duration) {
	if e.srtt == 0 {
		e.srtt = d
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
func (e *latency) expected() time.Duration { return e.srtt + 2*e.rttvar }

// needLeft is how much time before its deadline a request must have to be
// sent: the floor plus the expected answer time. Call with l.mu held.
func (l *Limiter) needLeft() time.Duration { return l.minLeft + l.lat.expected() }

// observeLatency records the answer time of a request that was answered.
func (l *Limiter) observeLatency(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lat.observe(d)
}
