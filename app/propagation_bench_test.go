package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/token"
)

// BenchmarkPropagationNodeToNode measures issue 9's node → node revocation
// propagation (goal: p99 ≤ 50 ms over 1,000 revocations) on each shared
// store: two real nodes (each an App with its background loops running:
// the store's push — LISTEN/NOTIFY on PostgreSQL, XREAD BLOCK on Redis —
// and the default one-second sync as the safety net) on one store. For
// each of b.N sessions, logged in on node A and verified on node B first
// (so B holds it in its verified-token cache, as a busy node would), it
// times from calling Logout on A (the logout's own transaction counts) to
// the moment B's local revocation set holds it: B's set tells its
// subscribers after adding an entry, and the benchmark then checks that
// Authenticate on B answers ErrRevoked. It reports p50, p99 and max in
// milliseconds, the p50 and p99 counted from the moment Logout returned
// (the commit) instead, and as the same run's reference the p50 and p99 of
// one store ping from node B per revocation (a round trip to the store, on
// a machine as loaded as it was during the run).
//
//	go test ./app -run '^$' -bench PropagationNodeToNode -benchtime=1000x
//
// The figures go in docs/benchmarks.md; nothing here asserts a time.
func BenchmarkPropagationNodeToNode(b *testing.B) {
	b.Run("postgres", func(b *testing.B) {
		url, schema := testenv.PostgresSchema(b)
		benchPropagation(b, func() config.Config { return postgresNode(b, url, schema) })
	})
	b.Run("redis+postgres", func(b *testing.B) {
		url, schema := testenv.PostgresSchema(b)
		redisURL := testRedisURL(b)
		benchPropagation(b, func() config.Config {
			c := postgresNode(b, url, schema)
			c.RedisURL = redisURL
			return c
		})
	})
}

// propagationPerUser keeps every user well under the default session
// limit, so no login evicts (and revokes) an older session mid-run.
const propagationPerUser = 50

func benchPropagation(b *testing.B, nodeConfig func() config.Config) {
	ctx, cancel := context.WithCancel(context.Background())
	var nodes [2]*App
	var done []chan struct{}
	defer func() {
		cancel()
		for _, d := range done {
			<-d
		}
	}()
	for i := range nodes {
		c := nodeConfig()
		c.RateUserBurst, c.RateIPBurst = 0, 0 // the limiter must not answer for the code measured
		n, err := Open(ctx, c, quietLog(), nil)
		if errors.Is(err, store.ErrUnavailable) {
			testenv.RequireIntegration(b, "the store ("+err.Error()+")", "start redis-server and PostgreSQL, or set GATEHOUSE_TEST_REDIS_URL / GATEHOUSE_TEST_POSTGRES_URL")
		}
		if err != nil {
			b.Fatal(err)
		}
		if rs, ok := n.Store.(*redisstore.Store); ok && i == 0 {
			b.Cleanup(func() { redisstore.DeletePrefix(context.Background(), rs) })
		}
		b.Cleanup(func() { n.Close() })
		d := make(chan struct{})
		done = append(done, d)
		go func() { defer close(d); n.Background(ctx) }()
		nodes[i] = n
	}
	a, nb := nodes[0], nodes[1]
	cl := authn.Client{IP: "192.0.2.9"}

	toks := make([]string, b.N)
	prs := make([]*authn.Principal, b.N)
	for i := range toks {
		user := fmt.Sprintf("prop-%d", i/propagationPerUser)
		if i%propagationPerUser == 0 {
			if _, err := a.Service.CreateUser(ctx, user, "correct horse battery", nil); err != nil {
				b.Fatal(err)
			}
		}
		p, err := a.Service.Login(ctx, authn.LoginInput{Username: user, Password: "correct horse battery", Client: cl})
		if err != nil {
			b.Fatal(err)
		}
		if prs[i], err = a.Service.Authenticate(p.AccessToken); err != nil {
			b.Fatal(err)
		}
		if _, err := nb.Service.Authenticate(p.AccessToken); err != nil {
			b.Fatalf("node A's token on node B: %v", err)
		}
		toks[i] = p.AccessToken
	}

	// B's revocation set hands each revocation it applies to its
	// subscribers after adding it: waiting on a subscription sees the moment
	// B starts refusing the token without a poller spinning on one of the
	// machine's CPUs (on 2 cores that took half the machine from the nodes
	// and the store being measured).
	sub := nb.Revoked.Subscribe(64)
	defer sub.Close()
	total := make([]time.Duration, b.N)
	afterCommit := make([]time.Duration, b.N)
	ping := make([]time.Duration, b.N)
	b.ResetTimer()
	for i, tok := range toks {
		p0 := time.Now()
		if err := nb.Store.Ping(ctx); err != nil {
			b.Fatal(err)
		}
		ping[i] = time.Since(p0)
		start := time.Now()
		if err := a.Service.Logout(ctx, prs[i], authn.ScopeLocal, cl); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		var now time.Time
		for now.IsZero() {
			select {
			case r, ok := <-sub.C():
				if !ok {
					b.Fatalf("revocation %d: node B's subscription ended: %v", i, sub.Err())
				}
				if r.SessionID == prs[i].SessionID {
					now = time.Now()
				}
			case <-time.After(10 * time.Second): // a bound for a stuck run, not a measurement
				b.Fatalf("revocation %d not applied by node B after 10s", i)
			}
		}
		// Delivered after it was added: B must refuse the token now.
		if _, err := nb.Service.Authenticate(tok); !errors.Is(err, token.ErrRevoked) {
			b.Fatalf("revocation %d: node B answered %v after applying it, want ErrRevoked", i, err)
		}
		total[i], afterCommit[i] = now.Sub(start), now.Sub(committed)
	}
	b.StopTimer()
	slices.Sort(total)
	slices.Sort(afterCommit)
	slices.Sort(ping)
	n := len(total)
	msec := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(msec(total[n/2]), "p50-ms")
	b.ReportMetric(msec(total[n*99/100]), "p99-ms")
	b.ReportMetric(msec(total[n-1]), "max-ms")
	b.ReportMetric(msec(afterCommit[n/2]), "p50-after-commit-ms")
	b.ReportMetric(msec(afterCommit[n*99/100]), "p99-after-commit-ms")
	b.ReportMetric(msec(ping[n/2]), "ping-p50-ms")
	b.ReportMetric(msec(ping[n*99/100]), "ping-p99-ms")
}
