// authgen writes NATS credentials for jetwire's auth integration test with the Go nkeys and
// jwt packages (an implementation independent of jetwire's lib/auth):
//
//	authgen DIR
//
// DIR/user.seed, DIR/user.pub      an NKey user (seed file 0600)
// DIR/other.seed, DIR/other.pub    another user (the server does not know it at first)
// DIR/op.jwt                       operator JWT
// DIR/acc.pub, DIR/acc.jwt         an account with JetStream enabled, signed by the operator
// DIR/user.creds                   a user of that account (JWT + seed), 0600
// DIR/sys.pub, DIR/sys.jwt         the system account
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "authgen:", err)
		os.Exit(1)
	}
}

func write(dir, name string, data []byte, mode os.FileMode) {
	must(os.WriteFile(filepath.Join(dir, name), data, mode))
	must(os.Chmod(filepath.Join(dir, name), mode))
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: authgen DIR")
		os.Exit(2)
	}
	dir := os.Args[1]

	u, err := nkeys.CreateUser()
	must(err)
	seed, _ := u.Seed()
	pub, _ := u.PublicKey()
	write(dir, "user.seed", append(seed, '\n'), 0600)
	write(dir, "user.pub", []byte(pub), 0644)
	o, err := nkeys.CreateUser()
	must(err)
	oseed, _ := o.Seed()
	opub, _ := o.PublicKey()
	write(dir, "other.seed", append(oseed, '\n'), 0600)
	write(dir, "other.pub", []byte(opub), 0644)

	op, err := nkeys.CreateOperator()
	must(err)
	opPub, _ := op.PublicKey()
	oc := jwt.NewOperatorClaims(opPub)
	oc.Name = "jw-op"

	sys, err := nkeys.CreateAccount()
	must(err)
	sysPub, _ := sys.PublicKey()
	sc := jwt.NewAccountClaims(sysPub)
	sc.Name = "SYS"
	sysJWT, err := sc.Encode(op)
	must(err)
	oc.SystemAccount = sysPub
	opJWT, err := oc.Encode(op)
	must(err)

	acc, err := nkeys.CreateAccount()
	must(err)
	accPub, _ := acc.PublicKey()
	ac := jwt.NewAccountClaims(accPub)
	ac.Name = "JW"
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1,
		Streams: -1, Consumer: -1}
	accJWT, err := ac.Encode(op)
	must(err)

	usr, err := nkeys.CreateUser()
	must(err)
	usrPub, _ := usr.PublicKey()
	uc := jwt.NewUserClaims(usrPub)
	uc.Name = "jetwire"
	uc.IssuerAccount = accPub
	usrJWT, err := uc.Encode(acc)
	must(err)
	usrSeed, _ := usr.Seed()
	creds, err := jwt.FormatUserConfig(usrJWT, usrSeed)
	must(err)

	write(dir, "op.jwt", []byte(opJWT), 0644)
	write(dir, "sys.pub", []byte(sysPub), 0644)
	write(dir, "sys.jwt", []byte(sysJWT), 0644)
	write(dir, "acc.pub", []byte(accPub), 0644)
	write(dir, "acc.jwt", []byte(accJWT), 0644)
	write(dir, "user.creds", creds, 0600)
}
