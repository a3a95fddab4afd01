package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/dpop"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
)

// dpopNodes opens two nodes of one distributed deployment (PostgreSQL
// alone, or Redis sessions) with --dpop-nonce on.
func dpopNodes(t *testing.T, kind string, clk *testenv.Clock) (*App, *App) {
	t.Helper()
	var c config.Config
	switch kind {
	case "postgres":
		url, schema := testenv.PostgresSchema(t)
		c = postgresNode(t, url, schema)
	default:
		c = testenv.Config(t)
		c.RedisURL = testRedisURL(t)
	}
	c.DPoPNonce = true
	ctx := context.Background()
	n1, err := Open(ctx, c, quietLog(), clk.Now)
	if errors.Is(err, store.ErrUnavailable) {
		testenv.RequireIntegration(t, kind+" ("+err.Error()+")", "start the server, or set GATEHOUSE_TEST_REDIS_URL / GATEHOUSE_TEST_POSTGRES_URL")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n1.Close() })
	if rs, ok := n1.Store.(*redisstore.Store); ok {
		t.Cleanup(func() { _ = redisstore.DeletePrefix(context.Background(), rs) })
	}
	n2, err := Open(ctx, c, quietLog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n2.Close() })
	return n1, n2
}

// TestDPoPAcrossNodes: on a distributed store a proof used on one node is
// refused on the other (16 concurrent uses over both: exactly one wins), a
// nonce one node hands out is accepted by the other, and a session bound
// on one node refreshes on the other only with its key.
func TestDPoPAcrossNodes(t *testing.T) {
	for _, kind := range []string{"postgres", "redis"} {
		t.Run(kind, func(t *testing.T) {
			clk := testenv.NewClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
			n1, n2 := dpopNodes(t, kind, clk)
			ctx := context.Background()
			if _, err := n1.Service.CreateUser(ctx, "alice", "correct horse battery", nil); err != nil {
				t.Fatal(err)
			}
			key, err := dpop.GenerateSigner("EdDSA")
			if err != nil {
				t.Fatal(err)
			}
			key.Now = clk.Now
			cl := authn.Client{IP: "192.0.2.9"}
			p, err := n1.Service.Login(ctx, authn.LoginInput{Username: "alice", Password: "correct horse battery", Client: cl, JKT: key.JKT()})
			if err != nil || p.JKT != key.JKT() {
				t.Fatalf("bound login: %v (jkt %q)", err, p.JKT)
			}
			url := n1.Service.Origin() + "/v1/me"
			use := func(n *App, pr string) error {
				_, err := n.Service.AuthenticateDPoP(ctx, p.AccessToken, dpop.Request{Method: "GET", URL: url, Header: []string{pr}}, false)
				return err
			}
			pr, _ := key.Sign("GET", url, dpop.AccessTokenHash(p.AccessToken), "")
			if err := use(n1, pr); err != nil {
				t.Fatalf("first use on node 1: %v", err)
			}
			if err := use(n2, pr); !errors.Is(err, dpop.ErrReplayed) {
				t.Fatalf("replay on node 2: %v, want ErrReplayed", err)
			}

			race, _ := key.Sign("GET", url, dpop.AccessTokenHash(p.AccessToken), "")
			var wins, replays atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					err := use([]*App{n1, n2}[i%2], race)
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, dpop.ErrReplayed):
						replays.Add(1)
					default:
						t.Error(err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if wins.Load() != 1 || replays.Load() != 15 {
				t.Fatalf("16 uses over two nodes: %d won, %d replays", wins.Load(), replays.Load())
			}

			// Nonces: node 1's is good on node 2.
			nonce := n1.Service.DPoPToken.Nonces().Current()
			refreshURL := n1.Service.Origin() + "/v1/token/refresh"
			rp, _ := key.Sign("POST", refreshURL, "", nonce)
			proof, err := n2.Service.DPoPToken.Check(ctx, dpop.Request{Method: "POST", URL: refreshURL, Header: []string{rp}})
			if err != nil {
				t.Fatalf("node 1's nonce on node 2: %v", err)
			}
			// A bound session refreshes on node 2 only with its key.
			if _, err := n2.Service.RefreshBound(ctx, p.RefreshToken, "another-key", cl); !errors.Is(err, authn.ErrDPoPKey) {
				t.Fatalf("refresh with another key: %v", err)
			}
			next, err := n2.Service.RefreshBound(ctx, p.RefreshToken, proof.JKT, cl)
			if err != nil || next.JKT != key.JKT() {
				t.Fatalf("refresh on node 2 with the key: %v (jkt %q)", err, next.JKT)
			}
		})
	}
}

// TestDPoPSingleNodeReplayIsInMemory: the embedded store offers no shared
// replay cache, so a single node checks proofs in memory (no store round
// trip) and still refuses a replay.
func TestDPoPSingleNodeReplayIsInMemory(t *testing.T) {
	clk := testenv.NewClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	a, err := Open(context.Background(), testenv.Config(t), quietLog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, shared := a.Store.(store.ProofReplay); shared {
		t.Fatal("the SQLite store offers a shared replay cache: proofs would pay a store round trip")
	}
	key, _ := dpop.GenerateSigner("ES256")
	key.Now = clk.Now
	url := a.Service.Origin() + "/v1/token/refresh"
	pr, _ := key.Sign("POST", url, "", "")
	req := dpop.Request{Method: "POST", URL: url, Header: []string{pr}}
	if _, err := a.Service.DPoPToken.Check(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.DPoP.Check(context.Background(), req); !errors.Is(err, dpop.ErrReplayed) {
		t.Fatalf("replay: %v (the token and resource checkers must share one cache)", err)
	}
}
