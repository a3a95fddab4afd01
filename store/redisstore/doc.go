// Package redisstore keeps session state in Redis — sessions and their
// refresh chains, revocations, rate-limit buckets and login challenges —
// and delegates users, keys and the audit trail to another store.Store
// (SQLite or PostgreSQL), so that N stateless nodes share sessions through
// one Redis or one Redis Cluster.
//
// Every state change of a session is one Lua script on one key that
// applies the rules of package store (PlanCreate, DecideRotation,
// Session.Live, ported in lua/rules.lua and checked against the Go rules
// by TestRulesMatchGo).
//
// # Key layout
//
// P is Options.Prefix (default "gh:"); ids are encoded (ids.go: a UUID as
// 22 characters of a base64 whose alphabet is in ASCII order, so encoded
// ids sort as the ids do; any other id as '=' and the id).
//
//	P{u:<uid>}     hash   everything of one user, one field each:
//	  <sid>               a session and its refresh chain, its values packed
//	                      as a msgpack array (lua/common.lua FIELDS; a new
//	                      field is appended, older records read it as '';
//	                      the last, j, is a bound session's DPoP key)
//	  !c<hex>             a login challenge (hex of its hash)
//	  !v                  the credential version around a password change
//	                      or deletion: "version deadline-ms" (users.go)
//	P{r}:log       stream the revocation log, entry id "<id>-0"
//	P{r}:seq       int    the revocation id counter (starts at Redis' clock
//	                      in µs, so it never goes back)
//	P{r}:sids      hash   session id -> "id until [uid]" of its revocation
//	                      in the log (two nodes ending one session append
//	                      once; the uid marks an end that Sweep may finish)
//	P{r}:epoch     string the life of this data (epoch.go)
//	P{e:<n>}:epoch string on a Cluster, a copy of the epoch in each block
//	                      of 64 slots (256; the tag e:<n> chosen so its
//	                      slot lies in the block): every primary holds
//	                      some, so any that restarts empty is noticed
//	P{rl}:<bucket> hash   a token bucket (absent = full)
//	Pdpop:{<hash>} string a used DPoP proof (dpop.ReplayKey: its own hash
//	                      tag, so proofs spread over a Cluster's slots);
//	                      SET NX PX, expires with the proof's window
//
// There is no global pointer: every lookup of a session names its user
// (store.Sessions): a refresh token, a session cookie and a login
// challenge carry the user id under the server's MAC or beside their
// secret (package authn), and an access token's subject is the user. So a
// user's state is one key, found from the user id alone.
//
// A user's key lives as long as its longest-lived content (a session's
// effective expiry, a challenge's ExpiresAt, the credential version's
// Options.CredTTL) plus a minute; a write only ever lengthens it. Dead
// sessions and expired challenges beside live ones are removed by the
// scripts that meet them (a login drops the user's dead sessions) and by
// Sweep, which also trims the log once an entry's Until has passed.
// Memory is thus proportional to live state: see docs/benchmarks.md for
// the bytes per session and per revocation.
//
// # Redis Cluster
//
// With redis-cluster:// (or rediss-cluster://) the client is rueidis'
// cluster client: every script declares the one key it touches (a user's
// hash, or the log's three keys, or the buckets of one Take), all in one
// slot by their hash tag ({u:<uid>}, {r}, {rl}). Users spread over the
// primaries; the log and the buckets sit on one slot each. A resharding
// moves a user's whole state with one MIGRATE of one key, and rueidis
// follows MOVED and ASK (and retries TRYAGAIN), so a script runs entirely
// before or entirely after the move (TestRefreshesThroughAResharding).
//
// Ending a session writes its revocation to the log, on another slot than
// the user's key, so no one script can do both. The order keeps a failure
// closed (Store.ending): the user's script runs first and, if its plan
// ends sessions, changes nothing and names them; their revocations are
// appended to the log; then the script runs again with those ids and
// applies the plan, ending them. A crash between the two leaves a session
// revoked but alive — its access tokens are refused on every node — never
// ended without its revocation; the log's index remembers whose it is, and
// the next Sweep ends it under that revocation, long before the revocation
// expires (TestARevocationIsAppendedBeforeTheSessionEnds).
// If the plan moved meanwhile the script names the new sessions and the
// loop goes on; a revoked session it meets is ended too. The single-Redis
// mode runs the same code (the hash tags are inert there), so the two
// cannot drift; a rotation or a login that ends nothing is still one
// round trip.
//
// What the Cluster cannot give: a primary that is lost without a replica
// loses its users' sessions (they log in again). That loss fails closed:
// the epoch has a copy in every block of 64 slots, so every primary that
// owns at least 128 contiguous slots holds one, and a missing copy makes
// a new epoch dated at its detection, so every node refuses every access
// token issued before it (Store.clusterEpoch). Run each primary with a
// replica all the same (docs/deploy.md).
package redisstore
