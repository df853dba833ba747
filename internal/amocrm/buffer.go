package amocrm

import (
	"bytes"
	"sync"
)

// Upstream bodies are read into pooled buffers: a list answer is hundreds of
// kilobytes, and growing a fresh slice for each one (io.ReadAll doubles and
// clears as it goes) cost more CPU than the HTTP exchange itself. Reuse is
// safe because decoding copies every string and raw value out of the body.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps one oversize answer from pinning its memory in the
// pool for the life of the process.
const maxPooledBuffer = 4 << 20

// getBuffer returns an empty buffer with room for a body of size bytes
// (size < 0 when unknown) plus the byte ReadFrom needs to see EOF.
func getBuffer(size int64) *bytes.Buffer {
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	if size > 0 && size < maxPooledBuffer {
		buf.Grow(int(size) + bytes.MinRead)
	}
	return buf
}

func putBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBuffer {
		return
	}
	bufferPool.Put(buf)
}
