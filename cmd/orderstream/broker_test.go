package main

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/orderstream/orderstream/internal/broker"
)

func TestSASLUsersFlag(t *testing.T) {
	var u saslUsers
	for _, v := range []string{"alice:a", "bob:b:c, carol:with space,"} {
		if err := u.Set(v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	var want saslUsers
	for _, up := range [][2]string{{"alice", "a"}, {"bob", "b:c"}, {"carol", "with space"}} {
		for _, m := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
			want = append(want, broker.User{Mechanism: m, User: up[0], Password: up[1]})
		}
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("users %+v, want %+v", u, want)
	}
	if got := u.String(); got != "alice,bob,carol" {
		t.Errorf("String() = %q, want the names only", got)
	}

	for _, bad := range []string{"secret", ":secret", "alice:", "alice:a,secret"} {
		err := new(saslUsers).Set(bad)
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("Set(%q) = %v, want an error not quoting the entry", bad, err)
		}
	}
}

func TestBrokerSecurityFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"certificate without key", []string{"--tls-cert", "server.pem"}, "give both or neither"},
		{"unreadable certificate", []string{"--tls-cert", "/nonexistent/server.pem", "--tls-key", "/nonexistent/key.pem"}, "no such file"},
		{"user twice", []string{"--sasl-user", "alice:a", "--sasl-user", "alice:b"}, "alice (PLAIN) given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"broker", "--listen", "127.0.0.1:0"}, tc.args...), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
