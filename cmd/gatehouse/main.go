// Command gatehouse is the Gatehouse authentication server and its admin
// tool: flags/env/config → config.Config → app. Nothing else lives here.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keys"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `gatehouse — sessions and JWTs at once: an authentication server.

Usage:
  gatehouse serve [flags]                 run the server (SQLite in --data-dir, or --postgres-url)
  gatehouse user add NAME [--roles a,b]   create a user; the password is read from stdin
  gatehouse user list                     list users
  gatehouse user roles NAME [ROLE,...]    set a user's roles (none: clear them)
  gatehouse user passwd NAME              reset a password from stdin; ends every session of the user
  gatehouse keys list                     list signing keys and their schedule
  gatehouse keys rotate [--prepublish D]  make a new signing key (at once, or after D)
  gatehouse version                       print the version

Every subcommand takes the server's flags (--data-dir, --config, ...), so it
works on the same data as 'serve'. 'gatehouse serve --help' explains each flag.

Quick start:
  gatehouse serve
  curl -s localhost:8080/v1/signup -H 'Content-Type: application/json' \
       -d '{"username":"alice","password":"correct horse battery"}'

Docs: README.md, docs/api.md, docs/configuration.md, docs/security.md.
`

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr))
}

func run(args, env []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, env, stdout, stderr)
	case "user":
		return userCmd(rest, env, stdin, stdout, stderr)
	case "keys":
		return keysCmd(rest, env, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "gatehouse", version)
		return 0
	}
	fmt.Fprintf(stderr, "gatehouse: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// load parses the shared settings; it returns an exit code > 0 when the
// caller must stop (help printed, or bad configuration).
func load(cmd string, args, env []string, stdout, stderr io.Writer, extra func(*flag.FlagSet)) (config.Config, []string, int) {
	c, rest, err := config.Load(cmd, args, env, stdout, extra)
	if errors.Is(err, config.ErrHelp) {
		return c, nil, -1
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse %s: invalid configuration:\n", cmd)
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "  %s\n", line)
		}
		return c, nil, 2
	}
	return c, rest, 0
}

func serve(args, env []string, stdout, stderr io.Writer) int {
	c, rest, code := load("serve", args, env, stdout, stderr, nil)
	if code != 0 {
		return max(code, 0)
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "gatehouse serve: unexpected argument %q\n", rest[0])
		return 2
	}
	log := app.Logger(c, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, c, log, nil)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer a.Close()
	if err := a.Serve(ctx, nil); err != nil {
		log.Error("server failed", "err", err)
		return 1
	}
	return 0
}

// open assembles the app for an admin subcommand, quietly. role is
// keys.Reader for commands that only read (they never write a key) and
// keys.Admin for the others: neither retires or deletes keys, since only
// the server knows the --access-ttl its tokens were issued with.
func open(c config.Config, role keys.Role, stderr io.Writer) (*app.App, context.Context, func(), bool) {
	c.LogLevel = "warn"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	a, err := app.OpenAs(ctx, c, app.Logger(c, os.Stderr), nil, role)
	if err != nil {
		cancel()
		fmt.Fprintln(stderr, "gatehouse:", err)
		return nil, nil, nil, false
	}
	return a, ctx, func() { a.Close(); cancel() }, true
}

func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on standard input")
	}
	return pw, nil
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
