package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"openwit/gateway/auth"
)

// passwd reads a password (the first line of stdin) and prints its
// SCRAM-SHA-256 verifier, for the "verifier" field of a users entry, so
// that no plaintext password needs to sit in a config file.
func passwd(args []string) int {
	if len(args) > 0 {
		fmt.Fprint(os.Stderr, "usage: openwit passwd < password-file\n\nreads a password from the first line of stdin and prints its SCRAM-SHA-256 verifier\n")
		if args[0] == "-h" || args[0] == "--help" {
			return 0
		}
		return 2
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintln(os.Stderr, "openwit passwd:", err)
		return 1
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		fmt.Fprintln(os.Stderr, "openwit passwd: empty password")
		return 1
	}
	fmt.Println(auth.NewVerifier(pw).String())
	return 0
}
