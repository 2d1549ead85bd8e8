package broker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// User is a SASL user of the broker, for one mechanism: the same name
// with another mechanism is another user, with a password of its own.
type User struct {
	Mechanism string // one of kafkaconf.Mechanisms
	User      string
	Password  string
}

// String describes u without its password, so that printing a Config
// does not leak it.
func (u User) String() string { return fmt.Sprintf("%s user %q", u.Mechanism, u.User) }

func validateUsers(users []User) error {
	type key struct{ mechanism, user string }
	seen := map[key]bool{}
	for _, u := range users {
		k := key{u.Mechanism, u.User}
		switch {
		case u.User == "":
			return fmt.Errorf("SASL user with an empty name (%s)", u.Mechanism)
		case !slices.Contains(kafkaconf.Mechanisms, u.Mechanism):
			return fmt.Errorf("SASL user %s: unknown mechanism %q, want one of %v", u.User, u.Mechanism, kafkaconf.Mechanisms)
		case u.Password == "":
			return fmt.Errorf("SASL user %s (%s): empty password", u.User, u.Mechanism)
		case seen[k]:
			return fmt.Errorf("SASL user %s (%s) given twice", u.User, u.Mechanism)
		}
		seen[k] = true
	}
	return nil
}

// usersFile is where kfake keeps its SASL users in a data directory. It
// loads them over the users it is started with, so they would win: a
// password changed since the last run would not take effect, a removed
// user could still log in, and a directory first used without SASL would
// lock every SCRAM user out. Config.SASL is meant to be the whole truth,
// so the file goes before the broker starts, and after it stops as well,
// since kfake writes PLAIN passwords into it in clear text.
const usersFile = "sasl.json"

// removeUsers removes kfake's SASL users from dataDir.
func removeUsers(dataDir string) error {
	if err := os.Remove(filepath.Join(dataDir, usersFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stored SASL users: %w", err)
	}
	return nil
}
