package redisstore

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

// rulesHarness calls lua/rules.lua's functions directly on decoded ARGV, so
// that TestRulesMatchGo compares the rules themselves, case by case.
//
//	plan:   P, 'plan', now, idle, device, replace, max, overflow, n, n ids,
//	        then per session: id, c, l, e, x, d
//	rotate: P, 'rotate', now, idle, gen, grace, presented, successor,
//	        then the session: c, l, e, x, g, t, h, j, then jkt, requireBound
const rulesHarness = `
if ARGV[2] == 'rotate' then
  local s = {c = ARGV[9], l = ARGV[10], e = ARGV[11], x = ARGV[12], g = ARGV[13], t = ARGV[14], h = ARGV[15], j = ARGV[16]}
  return decideRotation(s, {now = num(ARGV[3]), idle = num(ARGV[4]), gen = num(ARGV[5]),
    grace = num(ARGV[6]), presented = ARGV[7], successor = ARGV[8], jkt = ARGV[17], requireBound = ARGV[18] == '1'})
end
local n = num(ARGV[9])
local resolve = {}
for i = 10, 9 + n do resolve[ARGV[i]] = true end
local existing = {}
for i = 10 + n, #ARGV, 6 do
  existing[#existing + 1] = {id = ARGV[i], c = ARGV[i + 1], l = ARGV[i + 2], e = ARGV[i + 3],
    x = ARGV[i + 4], d = ARGV[i + 5]}
end
local dead, ending, err = planCreate(existing, {now = num(ARGV[3]), idle = num(ARGV[4]),
  device = ARGV[5], replace = ARGV[6] == '1', max = num(ARGV[7]), overflow = ARGV[8], resolve = resolve})
if err then return err end
local out = {}
for _, d in ipairs(dead) do out[#out + 1] = 'dead:' .. d.id end
for _, e in ipairs(ending) do out[#out + 1] = e[2] .. ':' .. e[1].id end
return table.concat(out, ' ')
`

func testClient(t *testing.T) rueidis.Client {
	t.Helper()
	u := os.Getenv("GATEHOUSE_TEST_REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	co, _, _, err := clientOption(u)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rueidis.NewClient(co)
	if err == nil {
		if err = c.Do(t.Context(), c.B().Ping().Build()).Error(); err != nil {
			c.Close()
		}
	}
	if err != nil {
		testenv.RequireIntegration(t, "Redis at "+u, "start redis-server, or set GATEHOUSE_TEST_REDIS_URL")
	}
	t.Cleanup(c.Close)
	return c
}

var actionNames = map[store.RotateAction]string{
	store.ActUnknown: "unknown", store.ActSessionExpired: "session-expired",
	store.ActRefreshExpired: "refresh-expired", store.ActRotate: "rotate", store.ActReplay: "replay",
	store.ActReuseAfterGrace: "reuse-after-grace", store.ActReuseStale: "reuse-stale",
	store.ActKeyMismatch: "key-mismatch", store.ActUnbound: "unbound",
}

// goPlan is store.PlanCreate's answer in the harness's notation.
func goPlan(existing []store.Session, in store.CreateSession) string {
	dead, end, err := store.PlanCreate(existing, in)
	switch {
	case err == store.ErrSessionLimit:
		return "limit"
	case err != nil:
		return "overflow"
	}
	var out []string
	for _, d := range dead {
		out = append(out, "dead:"+d.ID)
	}
	for _, e := range end {
		out = append(out, e.Reason+":"+e.Session.ID)
	}
	return strings.Join(out, " ")
}

func luaPlan(t *testing.T, c rueidis.Client, script *rueidis.Lua, existing []store.Session, in store.CreateSession) string {
	t.Helper()
	replace := "0"
	if in.ReplaceDevice {
		replace = "1"
	}
	args := []string{"p:", "plan", micro(in.Now), us(in.IdleTimeout), in.Session.DeviceID, replace,
		strconv.Itoa(in.MaxSessions), string(in.Overflow), strconv.Itoa(len(in.End))}
	args = append(args, in.End...)
	for _, s := range existing {
		args = append(args, s.ID, micro(s.CreatedAt), micro(s.LastSeenAt), micro(s.ExpiresAt),
			micro(s.RefreshExpiresAt), s.DeviceID)
	}
	got, err := script.Exec(t.Context(), c, nil, args).ToString()
	if err != nil && !rueidis.IsRedisNil(err) {
		t.Fatal(err)
	}
	return got
}

func luaRotate(t *testing.T, c rueidis.Client, script *rueidis.Lua, s store.Session, in store.Rotate) string {
	t.Helper()
	got, err := script.Exec(t.Context(), c, nil, []string{"p:", "rotate", micro(in.Now), us(in.IdleTimeout),
		strconv.FormatInt(in.Gen, 10), us(in.Grace), string(in.PresentedHash), string(in.SuccessorHash),
		micro(s.CreatedAt), micro(s.LastSeenAt), micro(s.ExpiresAt), micro(s.RefreshExpiresAt),
		strconv.FormatInt(s.RefreshGen, 10), micro(s.RotatedAt), string(s.RefreshHash),
		s.JKT, in.JKT, boolArg(in.RequireBound)}).ToString()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var ruleBase = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// pick returns one of the offsets from base that put a time before, at and
// after the boundaries the rules test (now, now±idle, now±grace).
func pick(r *rand.Rand) time.Time {
	offs := []time.Duration{-48 * time.Hour, -24 * time.Hour, -24*time.Hour + time.Microsecond, -time.Hour,
		-10 * time.Second, -10*time.Second - time.Microsecond, -time.Second, 0, time.Microsecond,
		time.Second, time.Hour, 24 * time.Hour, 30 * 24 * time.Hour}
	return ruleBase.Add(offs[r.IntN(len(offs))])
}

// TestRulesMatchGo runs one table of cases — fixed ones at the edges and
// seeded random ones — through store.PlanCreate/DecideRotation and through
// lua/rules.lua in a real Redis, and requires identical answers, so the
// Redis scripts cannot drift from the Go rules.
func TestRulesMatchGo(t *testing.T) {
	c := testClient(t)
	script := rueidis.NewLuaScriptNoSha(luaSource("") + rulesHarness)
	r := rand.New(rand.NewPCG(9, 2))
	devices := []string{"", "phone", "laptop"}
	overflows := []store.Overflow{store.Reject, store.EvictOldest, store.EvictIdle, "bogus"}

	t.Run("PlanCreate", func(t *testing.T) {
		seen := map[string]int{}
		for i := range 1000 {
			now := ruleBase
			var existing []store.Session
			for k := range r.IntN(6) {
				existing = append(existing, store.Session{
					ID: fmt.Sprintf("s%d", r.IntN(4)*10+k), CreatedAt: pick(r), LastSeenAt: pick(r),
					ExpiresAt: pick(r), RefreshExpiresAt: []time.Time{{}, pick(r)}[r.IntN(2)],
					DeviceID: devices[r.IntN(len(devices))],
				})
			}
			in := store.CreateSession{
				Session: store.Session{DeviceID: devices[r.IntN(len(devices))]}, Now: now,
				IdleTimeout: []time.Duration{0, 24 * time.Hour}[r.IntN(2)], ReplaceDevice: r.IntN(2) == 0,
				MaxSessions: r.IntN(4), Overflow: overflows[r.IntN(len(overflows))],
			}
			for range r.IntN(3) {
				in.End = append(in.End, fmt.Sprintf("s%d", r.IntN(40)))
			}
			want, got := goPlan(existing, in), luaPlan(t, c, script, existing, in)
			if got != want {
				t.Fatalf("case %d: existing %+v\nin %+v\nGo  %q\nLua %q", i, existing, in, want, got)
			}
			for _, w := range []string{"limit", "overflow", "dead:", "resolved:", "device:", "evict-oldest:", "evict-idle:"} {
				if strings.HasPrefix(want, w) || strings.Contains(want, " "+w) {
					seen[w]++
				}
			}
		}
		for _, w := range []string{"limit", "overflow", "dead:", "resolved:", "device:", "evict-oldest:", "evict-idle:"} {
			if seen[w] < 10 { // the table reaches every branch
				t.Errorf("only %d cases answer %q: %v", seen[w], w, seen)
			}
		}
	})

	t.Run("DecideRotation", func(t *testing.T) {
		hashes := [][]byte{[]byte("h1"), []byte("h2"), []byte("h3")}
		seen := map[string]int{}
		for i := range 4500 {
			s := store.Session{
				CreatedAt: pick(r), LastSeenAt: pick(r), ExpiresAt: pick(r),
				RefreshExpiresAt: []time.Time{{}, pick(r)}[r.IntN(2)], RefreshGen: int64(1 + r.IntN(4)),
				RotatedAt: pick(r), RefreshHash: hashes[r.IntN(3)],
				JKT: []string{"", "", "", "k1"}[r.IntN(4)],
			}
			in := store.Rotate{
				Now: ruleBase, IdleTimeout: []time.Duration{0, 24 * time.Hour}[r.IntN(2)],
				Gen:           s.RefreshGen + int64(r.IntN(4)-2), // stale, previous, current, future
				Grace:         []time.Duration{0, 10 * time.Second}[r.IntN(2)],
				PresentedHash: hashes[r.IntN(3)], SuccessorHash: hashes[r.IntN(3)],
				JKT: []string{"", "k1", "k1", "k2"}[r.IntN(4)], RequireBound: r.IntN(6) == 0,
			}
			want, got := actionNames[store.DecideRotation(s, in)], luaRotate(t, c, script, s, in)
			if got != want {
				t.Fatalf("case %d: session %+v\nin %+v\nGo  %q\nLua %q", i, s, in, want, got)
			}
			seen[want]++
		}
		for _, name := range actionNames { // the table reaches every branch
			if seen[name] < 20 {
				t.Errorf("only %d cases decide %q: %v", seen[name], name, seen)
			}
		}
	})
}
