package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPostgresServerLifecycle: the private server keeps its data across a
// fast shutdown and a kill -9 (crash recovery), answers nothing while
// paused and everything again once resumed.
func TestPostgresServerLifecycle(t *testing.T) {
	p := StartPostgres(t)
	exec := func(sql string) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, p.URL)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		_, err = c.Exec(ctx, sql)
		return err
	}
	must := func(what, sql string) {
		t.Helper()
		if err := exec(sql); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("create", `CREATE TABLE kept (v int); INSERT INTO kept VALUES (1)`)
	p.Restart(t)
	must("after a fast shutdown", `SELECT 1/count(*) FROM kept`)
	p.Kill(t)
	if err := exec(`SELECT 1`); err == nil {
		t.Fatal("a killed server answered")
	}
	p.Start(t)
	must("after kill -9 (crash recovery)", `SELECT 1/count(*) FROM kept`)
	open, err := pgx.Connect(context.Background(), p.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close(context.Background())
	p.Pause(t)
	if err := exec(`SELECT 1`); err == nil {
		t.Fatal("a paused server accepted a connection")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := open.Exec(ctx, `SELECT 1`); err == nil {
		t.Fatal("a paused server's backend answered on a connection opened before the pause")
	}
	p.Resume(t)
	must("resumed", `SELECT 1/count(*) FROM kept`)
}
