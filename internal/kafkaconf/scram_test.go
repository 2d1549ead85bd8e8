package kafkaconf

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// exchange runs client against server as sarama does, returning the
// client's error or the server's.
func exchange(client sarama.SCRAMClient, server *scram.ServerConversation, user, password string) error {
	if err := client.Begin(user, password, ""); err != nil {
		return err
	}
	msg, err := client.Step("")
	if err != nil {
		return err
	}
	for !client.Done() {
		challenge, err := server.Step(msg)
		if err != nil {
			return err
		}
		if msg, err = client.Step(challenge); err != nil {
			return err
		}
	}
	return nil
}

func TestSCRAMClient(t *testing.T) {
	for _, tc := range []struct {
		name string
		hash scram.HashGeneratorFcn
	}{
		{MechanismSCRAMSHA256, scram.SHA256},
		{MechanismSCRAMSHA512, scram.SHA512},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := tc.hash.NewClient("orders", "secret", "")
			if err != nil {
				t.Fatal(err)
			}
			creds := keys.GetStoredCredentials(scram.KeyFactors{Salt: "pepper", Iters: 4096})
			server, err := tc.hash.NewServer(func(user string) (scram.StoredCredentials, error) { return creds, nil })
			if err != nil {
				t.Fatal(err)
			}
			newClient := scramClientGenerator(tc.hash)

			conv := server.NewConversation()
			if err := exchange(newClient(), conv, "orders", "secret"); err != nil || !conv.Valid() {
				t.Errorf("right password: err %v, server accepts: %v; want nil, true", err, conv.Valid())
			}
			conv = server.NewConversation()
			if err := exchange(newClient(), conv, "orders", "wrong"); err == nil || conv.Valid() {
				t.Errorf("wrong password: err %v, server accepts: %v; want an error, false", err, conv.Valid())
			}
		})
	}
}
