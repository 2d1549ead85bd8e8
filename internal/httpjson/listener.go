package httpjson

import (
	"bytes"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Listener returns ln with the answers net/http gives before any handler
// runs in JSON: a request it cannot parse (a path with a bad escape such
// as /api/restaurants/%zz, a malformed header, headers too large) gets a
// plain-text "400 Bad Request" written straight to the connection, which
// no handler can change. Those answers are recognised by their exact form
// (one write of a status line, "Content-Type: text/plain; charset=utf-8"
// and "Connection: close" in that order, and nothing else; handlers'
// responses always carry a Date header) and replaced by the same status
// with {"error": ...}.
func Listener(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return conn{c}, nil
}

type conn struct{ net.Conn }

// serverError is the form of net/http's own error answers.
var serverError = regexp.MustCompile(`\AHTTP/1\.1 ([45]\d\d) ([^\r\n]*)\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n([^\r\n]*)\z`)

func (c conn) Write(b []byte) (int, error) {
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 4")) && !bytes.HasPrefix(b, []byte("HTTP/1.1 5")) {
		return c.Conn.Write(b)
	}
	m := serverError.FindSubmatch(b)
	if m == nil {
		return c.Conn.Write(b)
	}
	status := string(m[1]) + " " + string(m[2])
	msg := "malformed request: " + strings.ToLower(string(m[2]))
	switch detail, ok := strings.CutPrefix(string(m[3]), status+": "); {
	case ok:
		msg = "malformed request: " + detail
	case string(m[1]) == "400":
		msg = "malformed request: the request line or a header cannot be parsed (a bad %-escape in the path?)"
	}
	body, err := Body(errorBody{Error: msg})
	if err != nil {
		return c.Conn.Write(b)
	}
	var out []byte
	out = append(out, "HTTP/1.1 "...)
	out = append(out, m[1]...)
	out = append(out, ' ')
	out = append(out, m[2]...)
	out = append(out, "\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: "...)
	out = strconv.AppendInt(out, int64(len(body)), 10)
	out = append(out, "\r\n\r\n"...)
	out = append(out, body...)
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
