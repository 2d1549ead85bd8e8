package broker

import (
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// authFailedMessage is the error message of a failed authentication.
const authFailedMessage = "Authentication failed: invalid user name or password"

// authFailedWriteTimeout bounds how long closing a connection may wait
// for a client that does not read its authentication error.
const authFailedWriteTimeout = time.Second

// authConn answers a failed SASL authentication the way Kafka does. kfake
// drops the connection without a word when a SaslAuthenticate request
// fails (wrong password, unknown user); Kafka first answers it with
// SASL_AUTHENTICATION_FAILED, which clients report as an authentication
// error and do not retry. Without the answer, a wrong password looks like
// a broker that went away: sarama reports EOF and keeps retrying.
//
// authConn follows the request frames the client sends. When kfake closes
// the connection while a SaslAuthenticate request is still unanswered,
// that request failed, and Close answers it before closing.
type authConn struct {
	net.Conn
	closing *atomic.Bool // set when the broker shuts down: nothing failed then

	mu      sync.Mutex
	frames  frameReader
	pending *requestHeader // the unanswered SaslAuthenticate request, if any
}

func (c *authConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.frames.feed(p[:n], func(h requestHeader) {
		c.pending = nil
		if h.key == int16(kmsg.SASLAuthenticate) {
			c.pending = &h
		}
	})
	c.mu.Unlock()
	return n, err
}

// Write sends a response: kfake answers the requests of a connection one
// at a time, so whatever was pending is answered.
func (c *authConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.pending = nil
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *authConn) Close() error {
	c.mu.Lock()
	h := c.pending
	c.pending = nil
	c.mu.Unlock()
	if h != nil && !c.closing.Load() {
		// Best effort: the client may be gone already.
		_ = c.Conn.SetWriteDeadline(time.Now().Add(authFailedWriteTimeout))
		_, _ = c.Conn.Write(authFailedResponse(*h))
	}
	return c.Conn.Close()
}

// authFailedResponse is the frame answering the SaslAuthenticate request
// h with SASL_AUTHENTICATION_FAILED, framed as kfake frames responses.
func authFailedResponse(h requestHeader) []byte {
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	resp.Version = h.version
	resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
	msg := authFailedMessage
	resp.ErrorMessage = &msg

	buf := make([]byte, 8, 64) // size, correlation ID
	if resp.IsFlexible() {
		buf = append(buf, 0) // no tagged fields in the response header
	}
	buf = resp.AppendTo(buf)
	binary.BigEndian.PutUint32(buf[0:4], uint32(len(buf)-4))
	binary.BigEndian.PutUint32(buf[4:8], uint32(h.corr))
	return buf
}

// requestHeader is the start of every request's header.
type requestHeader struct {
	key, version int16
	corr         int32
}

// frameReader follows a stream of size-prefixed request frames, however
// the stream is cut into reads, reporting the header of each.
type frameReader struct {
	head [12]byte // size, key, version, correlation ID
	have int      // bytes of head read
	skip int64    // bytes of the current frame left after head
}

func (f *frameReader) feed(p []byte, onHeader func(requestHeader)) {
	for len(p) > 0 {
		if f.have < len(f.head) {
			n := copy(f.head[f.have:], p)
			f.have += n
			p = p[n:]
			if f.have < len(f.head) {
				return
			}
			onHeader(requestHeader{
				key:     int16(binary.BigEndian.Uint16(f.head[4:6])),
				version: int16(binary.BigEndian.Uint16(f.head[6:8])),
				corr:    int32(binary.BigEndian.Uint32(f.head[8:12])),
			})
			f.skip = int64(binary.BigEndian.Uint32(f.head[0:4])) - 8
		}
		n := min(int64(len(p)), max(f.skip, 0))
		f.skip -= n
		p = p[n:]
		if f.skip <= 0 {
			f.have = 0
		}
	}
}
