package broker

import (
	"fmt"
	"net"
	"os"
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
// address; kfake puts it in metadata responses.
type advertisedListener struct {
	net.Listener
	addr string
}

func (l *advertisedListener) Addr() net.Addr { return hostPort(l.addr) }

// hostPort is a TCP address whose host need not be an IP address.
type hostPort string

func (hostPort) Network() string  { return "tcp" }
func (a hostPort) String() string { return string(a) }
