package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/keys"
)

func userCmd(args, env []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "usage: gatehouse user add|list|roles|passwd ...\n")
		return 2
	}
	var roles string
	c, rest, code := load("user "+args[0], args[1:], env, stdout, stderr, func(fs *flag.FlagSet) {
		if args[0] == "add" {
			fs.StringVar(&roles, "roles", "", "comma-separated roles of the new user")
		}
	})
	if code != 0 {
		return max(code, 0)
	}
	role := keys.Admin
	if args[0] == "list" {
		role = keys.Reader
	}
	a, ctx, done, ok := open(c, role, stderr)
	if !ok {
		return 1
	}
	defer done()
	fail := func(err error) int { fmt.Fprintln(stderr, "gatehouse:", err); return 1 }
	need := func(n int, form string) bool {
		if len(rest) != n {
			fmt.Fprintf(stderr, "usage: gatehouse user %s\n", form)
			return false
		}
		return true
	}
	switch args[0] {
	case "add":
		if !need(1, "add NAME [--roles a,b]  (password on stdin)") {
			return 2
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return fail(err)
		}
		u, err := a.Service.CreateUser(ctx, rest[0], pw, splitRoles(roles))
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "created user %s (id %s, roles %s)\n", u.Username, u.ID, strings.Join(u.Roles, ","))
	case "list":
		users, err := a.Service.ListUsers(ctx, 0)
		if err != nil {
			return fail(err)
		}
		tw := table(stdout)
		fmt.Fprintln(tw, "ID\tUSERNAME\tROLES\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.ID, u.Username, strings.Join(u.Roles, ","), u.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
		}
		tw.Flush()
	case "roles":
		if len(rest) < 1 || len(rest) > 2 {
			need(-1, "roles NAME [ROLE,...]")
			return 2
		}
		u, err := a.Service.UserByName(ctx, rest[0])
		if err != nil {
			return fail(err)
		}
		list := []string{}
		if len(rest) == 2 {
			list = splitRoles(rest[1])
		}
		if u, err = a.Service.SetRoles(ctx, u.ID, list); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%s now has roles [%s]; they reach tokens at the next refresh\n", u.Username, strings.Join(u.Roles, ","))
	case "passwd":
		if !need(1, "passwd NAME  (new password on stdin)") {
			return 2
		}
		u, err := a.Service.UserByName(ctx, rest[0])
		if err != nil {
			return fail(err)
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return fail(err)
		}
		if err := a.Service.ResetPassword(ctx, u.ID, pw, authn.Client{IP: "cli"}); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "password of %s reset; every session ended\n", u.Username)
	default:
		fmt.Fprintf(stderr, "gatehouse user: unknown action %q (add, list, roles, passwd)\n", args[0])
		return 2
	}
	return 0
}

func splitRoles(s string) []string {
	out := []string{}
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}
