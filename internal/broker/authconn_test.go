package broker

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// frame is a request frame: size, header start, then body bytes.
func frame(h requestHeader, body int) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+body))
	b = binary.BigEndian.AppendUint16(b, uint16(h.key))
	b = binary.BigEndian.AppendUint16(b, uint16(h.version))
	b = binary.BigEndian.AppendUint32(b, uint32(h.corr))
	return append(b, make([]byte, body)...)
}

func TestFrameReader(t *testing.T) {
	want := []requestHeader{
		{key: int16(kmsg.ApiVersions), version: 3, corr: 1},
		{key: int16(kmsg.SASLHandshake), version: 1, corr: 2},
		{key: int16(kmsg.SASLAuthenticate), version: 2, corr: 3},
		{key: int16(kmsg.Metadata), version: 12, corr: 4},
	}
	var stream []byte
	for i, h := range want {
		stream = append(stream, frame(h, 40*i)...) // the first has no body
	}
	for _, chunk := range []int{1, 3, 11, 12, 13, len(stream)} {
		t.Run(fmt.Sprintf("reads of %d bytes", chunk), func(t *testing.T) {
			var f frameReader
			var got []requestHeader
			for p := stream; len(p) > 0; p = p[min(chunk, len(p)):] {
				f.feed(p[:min(chunk, len(p))], func(h requestHeader) { got = append(got, h) })
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("headers %v, want %v", got, want)
			}
		})
	}
}

func TestAuthFailedResponse(t *testing.T) {
	for v := int16(0); v <= 2; v++ {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			b := authFailedResponse(requestHeader{key: int16(kmsg.SASLAuthenticate), version: v, corr: 42})
			if size := binary.BigEndian.Uint32(b); int(size) != len(b)-4 {
				t.Fatalf("size %d, frame of %d bytes after it", size, len(b)-4)
			}
			if corr := int32(binary.BigEndian.Uint32(b[4:])); corr != 42 {
				t.Errorf("correlation ID %d, want 42", corr)
			}
			resp := kmsg.NewPtrSASLAuthenticateResponse()
			resp.Version = v
			body := b[8:]
			if resp.IsFlexible() {
				body = body[1:] // empty header tags
			}
			if err := resp.ReadFrom(body); err != nil {
				t.Fatal(err)
			}
			if resp.ErrorCode != kerr.SaslAuthenticationFailed.Code || resp.ErrorMessage == nil || *resp.ErrorMessage != authFailedMessage {
				t.Errorf("response %+v, want error %d %q", resp, kerr.SaslAuthenticationFailed.Code, authFailedMessage)
			}
		})
	}
}
