package loadtest

import (
	"errors"
	"testing"
)

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		address string
		wantErr bool
	}{
		{address: "127.0.0.1:8080"},
		{address: "127.255.0.9:1"},
		{address: "[::1]:443"},
		{address: "[::ffff:127.0.0.1]:80"},
		{address: "10.0.0.1:80", wantErr: true},
		{address: "192.168.1.1:80", wantErr: true},
		{address: "0.0.0.0:80", wantErr: true},
		{address: "[2001:db8::1]:80", wantErr: true},
		{address: "example.com:80", wantErr: true},
		{address: "no-port", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			t.Parallel()
			err := loopbackOnly("tcp", tt.address, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("loopbackOnly(%q) = %v, want error %t", tt.address, err, tt.wantErr)
			}
			if err != nil && tt.address != "no-port" && !errors.Is(err, ErrNotLoopback) {
				t.Errorf("err = %v, want ErrNotLoopback", err)
			}
		})
	}
}
