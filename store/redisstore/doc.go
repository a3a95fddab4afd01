// Package redisstore keeps session state in Redis — sessions and their
// refresh chains, the per-user session index, revocations, rate-limit
// buckets and login challenges — and delegates users, keys and the audit
// trail to another store.Store (SQLite or PostgreSQL), so that N stateless
// nodes share sessions through one Redis.
//
// Every state change of a session is one Lua script that applies the rules
// of package store (PlanCreate, DecideRotation, Session.Live, ported in
// lua/rules.lua and checked against the Go rules by TestRulesMatchGo).
//
// Key layout (P is Options.Prefix, default "gh:"):
//
//	P{u:<uid>}:s:<sid>    string one session and its refresh chain: its
//	                             values packed with msgpack (lua/common.lua;
//	                             the last, j, is its DPoP key thumbprint)
//	P{u:<uid>}:idx        zset   the user's session ids, scored by creation
//	P{u:<uid>}:cred       string the user's credential version, only around
//	                             a password change or deletion (see users.go)
//	P{u:<uid>}:ch:<hex>   hash   a login challenge
//	P{u:<uid>}:chs        set    the user's challenge hashes
//	Psid:<sid>            string -> uid (sessions are looked up by id alone)
//	Pcookie:<hex>         string -> sid (browser cookie lookup)
//	Pchal:<hex>           string -> uid (challenges are consumed by hash alone)
//	Prl:<bucket>          hash   a token bucket (absent = full)
//	Prevseq               int    the revocation id counter (starts at Redis'
//	                             clock in µs, so it never goes back)
//	Prevlog               stream the revocation log, entry id "<id>-0"
//	Pdpop:{<hash>}        string a used DPoP proof (dpop.ReplayKey: its own
//	                             hash tag, so proofs spread over a Cluster's
//	                             slots); SET NX PX, expires with its window
//
// Each session key and its pointers expire at the session's effective
// expiry plus a minute (recomputed on every write), challenges at their
// ExpiresAt, buckets when full again, the credential version after
// Options.CredTTL; the log is trimmed by Sweep once an entry's Until has
// passed. Memory is thus proportional to live state.
//
// Redis Cluster: all keys of one user share the hash tag {u:<uid>}, but the
// scripts also touch the global pointers and the log, which live on other
// slots, so today a script assumes a single Redis (or a primary with
// replicas). The Cluster plan: split each operation into (1) the revocation
// appended first to a log on its own fixed tag, (2) the user-slot script,
// (3) pointer upkeep — a crash between them leaves a revocation for a
// session that still exists (fails closed) or a dangling pointer (the
// scripts treat a pointer without its session as absent).
package redisstore
