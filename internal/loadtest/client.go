package loadtest

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// newClient returns the one client all workers share. Its transport keeps an
// idle connection per worker, so measured latency is the gateway's and not
// the TCP handshake's; it uses no proxy, follows no redirect and dials only
// loopback addresses, so no request can be steered off the machine.
func newClient(concurrency int) *http.Client {
	dialer := &net.Dialer{
		Timeout:   5 * time.Second,
		KeepAlive: 30 * time.Second,
		Control:   loopbackOnly,
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		MaxIdleConns:          concurrency,
		MaxIdleConnsPerHost:   concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// loopbackOnly is a net.Dialer Control hook: it runs after name resolution
// and before connect, and refuses any address off this machine. It backs up
// the URL check for names such as localhost, whose resolution we don't own.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("loadtest: dial %q: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("loadtest: dial %q: %w", address, ErrNotLoopback)
	}
	return nil
}
