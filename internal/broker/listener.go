package broker

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"sync/atomic"
)

// advertiseAddr returns the address to advertise for a listener bound to
// actual after being asked for listen: the requested host with the port
// actually bound. An unspecified host is replaced by the host name, as
// Kafka does: advertising 0.0.0.0 would send clients nowhere.
func advertiseAddr(listen string, actual net.Addr) (string, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", listen, err)
	}
	_, port, err := net.SplitHostPort(actual.String())
	if err != nil {
		return "", fmt.Errorf("listener address %q: %w", actual, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if host, err = os.Hostname(); err != nil {
			return "", fmt.Errorf("advertise %s: host name: %w", listen, err)
		}
	}
	return net.JoinHostPort(host, port), nil
}

// advertisedListener reports addr, the address clients should dial, as its
// address; kfake puts it in metadata responses. It also serves TLS when
// tls is set, and answers failed SASL authentications when answerAuth is
// set (see authConn), which has to see the connection decrypted: that is
// why TLS is done here rather than by kfake.TLS, which would wrap this
// listener.
type advertisedListener struct {
	net.Listener
	addr       string
	tls        *tls.Config
	answerAuth bool
	closed     atomic.Bool // kfake closes its listener first when shutting down
}

func (l *advertisedListener) Addr() net.Addr { return hostPort(l.addr) }

func (l *advertisedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if l.tls != nil {
		c = tls.Server(c, l.tls)
	}
	if l.answerAuth {
		c = &authConn{Conn: c, closing: &l.closed}
	}
	return c, nil
}

func (l *advertisedListener) Close() error {
	l.closed.Store(true)
	return l.Listener.Close()
}

// hostPort is a TCP address whose host need not be an IP address.
type hostPort string

func (hostPort) Network() string  { return "tcp" }
func (a hostPort) String() string { return string(a) }
