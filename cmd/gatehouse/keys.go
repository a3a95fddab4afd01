package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gatehouse/gatehouse/keys"
)

func keysCmd(args, env []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "usage: gatehouse keys list|rotate [--prepublish DURATION]\n")
		return 2
	}
	var prepublish time.Duration
	c, rest, code := load("keys "+args[0], args[1:], env, stdout, stderr, func(fs *flag.FlagSet) {
		if args[0] == "rotate" {
			fs.DurationVar(&prepublish, "prepublish", 0, "publish the new key now and start signing with it after this long (at least --jwks-max-age is wise)")
		}
	})
	if code != 0 {
		return max(code, 0)
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "gatehouse keys: unexpected argument %q\n", rest[0])
		return 2
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
	switch args[0] {
	case "list":
		list, err := a.Store.ListKeys(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse:", err)
			return 1
		}
		signer := a.Keys.Ring().Signer()
		tw := table(stdout)
		fmt.Fprintln(tw, "KID\tALG\tCREATED\tSIGNS FROM\tSTATE")
		for _, k := range list {
			state := "published"
			switch {
			case signer != nil && signer.ID == k.ID:
				state = "signing"
			case k.SignFrom.After(a.Now()):
				state = "pending"
			case !k.RetiredAt.IsZero():
				state = "retired " + k.RetiredAt.UTC().Format(time.RFC3339)
				if !k.KeepUntil.IsZero() {
					state += ", kept until " + k.KeepUntil.UTC().Format(time.RFC3339)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Alg, k.CreatedAt.UTC().Format(time.RFC3339), k.SignFrom.UTC().Format(time.RFC3339), state)
		}
		tw.Flush()
	case "rotate":
		k, err := a.Keys.Rotate(ctx, prepublish)
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse:", err)
			return 1
		}
		fmt.Fprintf(stdout, "new %s key %s signs from %s; running servers pick it up within a minute\n", k.Alg, k.ID, k.SignFrom.UTC().Format(time.RFC3339))
	default:
		fmt.Fprintf(stderr, "gatehouse keys: unknown action %q (list, rotate)\n", args[0])
		return 2
	}
	return 0
}
