// Command loadgen measures a Gatehouse server on this machine and the
// references it is compared with (docs/benchmarks.md). It only ever talks to
// loopback addresses, and every load mode stops by itself after -d or -n.
//
// Usage:
//
//	loadgen verify    -url http://127.0.0.1:8080 [-target URL] -c 32 -d 10s [-rate 1000]
//	loadgen verify-dpop -url http://127.0.0.1:8080 [-target URL] -c 32 -d 10s [-proofs 300000]
//	loadgen refresh   -url http://127.0.0.1:8080 -c 64 -d 10s
//	loadgen gotrue-refresh -url http://127.0.0.1:9999 -c 64 -d 10s
//	loadgen login     -url http://127.0.0.1:8080 -c 8 -n 400 [-pid PID]
//	loadgen refserver -addr 127.0.0.1:9090 -jwks http://127.0.0.1:8080/.well-known/jwks.json
//	loadgen upstream  -addr 127.0.0.1:9091
//	loadgen discovery -addr 127.0.0.1:9092 -jwks http://127.0.0.1:8080/.well-known/jwks.json [-alg EdDSA]
//	loadgen ceiling   -d 10s [-m 19456 -t 2 -p 1]
//
// verify logs in once and sends GET /v1/verify with that access token;
// -target points the same load (and the same token) at another server, such
// as refserver. verify-dpop is verify with a DPoP-bound token (login with
// an Ed25519 proof, or -dpop-alg ES256) and a fresh proof per request,
// signed before the run (-proofs; see verifyDPoPOps). refresh gives each worker its own session and always
// presents the refresh token of its previous answer; gotrue-refresh does the
// same against GoTrue (Supabase Auth: POST /signup, then POST /token with
// grant_type=password and grant_type=refresh_token), the peer of the
// refresh comparison (scripts/bench-gotrue.sh). login signs up -users
// accounts, then logs them in over and over. refserver is the reference for
// verify: golang-jwt's ParseWithClaims behind net/http with the server's
// published Ed25519 keys, nothing else. ceiling times argon2id with the given
// parameters on -c goroutines (default: one per CPU), the upper bound for
// login throughput. upstream answers 200 with a small body on any path: the
// resource server of the gateway-overhead run (verify -target through
// Gatehouse's --proxy and directly). discovery serves an OpenID Connect
// discovery document naming Gatehouse's JWKS and -alg, the issuer an
// OIDC-only reference (oauth2-proxy) is pointed at (scripts/bench-oauth2-proxy.sh).
//
// -store-cpu PATTERN also charges the CPU time of every process whose
// command line contains PATTERN: the store server's share of the work
// (PostgreSQL backends of a database of the benchmark's own, a private
// redis-server), so server plus store CPU per request compares systems on a
// machine other work shares.
//
// -rate N paces the load to N requests per second in total (a fixed
// schedule shared by the workers) instead of as fast as the workers go;
// latency is timed from when a request is sent.
//
// Load modes print requests per second, latency percentiles, answers by
// status and, with -pid, the server's CPU time and memory (VmRSS sampled,
// VmHWM) over the run. Run the server with --rate-user-burst 0 --rate-ip-burst 0
// so rate limits do not answer instead of the code being measured.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"time"
)

const usage = `usage: loadgen verify|verify-dpop|refresh|gotrue-refresh|login|refserver|upstream|discovery|ceiling [flags]
       loadgen <mode> -h   lists the mode's flags`

// opts are the flags shared by the load modes.
type opts struct {
	url      string        // Gatehouse base URL
	target   string        // verify: URL under load (default url + /v1/verify)
	workers  int           // concurrent workers, one keep-alive connection each
	duration time.Duration // measured time (when n == 0)
	warmup   time.Duration // untimed load before the measured time
	n        int64         // total requests instead of a duration
	timeout  time.Duration // per request
	pid      int           // server process to watch (0: none)
	storeCPU string        // command-line pattern of the store's processes to charge (-store-cpu)
	rate     float64       // requests per second in total (0: unpaced)
	users    int           // login: accounts to log in as
	prefix   string        // usernames: prefix + number
	password string
	cookie   bool
	dpopAlg  string // verify-dpop: EdDSA or ES256
	proofs   int    // verify-dpop: proofs signed before the run
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	mode, args := os.Args[1], os.Args[2:]
	var err error
	switch mode {
	case "verify", "verify-dpop", "refresh", "gotrue-refresh", "login":
		err = load(mode, args)
	case "refserver":
		err = refserver(args)
	case "upstream":
		err = upstream(args)
	case "discovery":
		err = discovery(args)
	case "ceiling":
		err = ceiling(args)
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func load(mode string, args []string) error {
	var o opts
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "Gatehouse base URL, or GoTrue's for gotrue-refresh (loopback only)")
	fs.StringVar(&o.target, "target", "", "verify: URL to load instead of <url>/v1/verify (loopback only)")
	fs.IntVar(&o.workers, "c", 32, "concurrent workers (one keep-alive connection each)")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "measured duration (ignored with -n)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "untimed load before -d starts (ignored with -n)")
	fs.Int64Var(&o.n, "n", 0, "total requests instead of -d (all of them measured)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "per-request timeout")
	fs.Float64Var(&o.rate, "rate", 0, "pace the load to this many requests per second in total (0: as fast as the workers go)")
	fs.IntVar(&o.pid, "pid", 0, "server PID: report its CPU time and VmRSS/VmHWM")
	fs.StringVar(&o.storeCPU, "store-cpu", "", "report the CPU time of the processes whose command line contains this (the store's: PostgreSQL backends \": USER DBNAME \", a private \"redis-server 127.0.0.1:PORT\")")
	fs.IntVar(&o.users, "users", 16, "login: number of accounts")
	fs.StringVar(&o.prefix, "prefix", "bench", "username prefix")
	fs.StringVar(&o.password, "password", "correct horse battery staple", "password of the accounts")
	fs.BoolVar(&o.cookie, "cookie", false, "verify: authenticate with a browser session cookie (delivery cookie) instead of a bearer token")
	fs.StringVar(&o.dpopAlg, "dpop-alg", "EdDSA", "verify-dpop: the proofs' algorithm, EdDSA or ES256")
	fs.IntVar(&o.proofs, "proofs", 300000, "verify-dpop: proofs signed before the run (untimed); workers sign more if they run out")
	fs.Parse(args)
	if o.workers < 1 || o.duration <= 0 || o.n < 0 || o.users < 1 || o.rate < 0 || o.proofs < 0 {
		return fmt.Errorf("-c, -d and -users must be positive, -n and -rate not negative")
	}
	if o.target == "" {
		o.target = o.url + "/v1/verify"
	}
	for _, u := range []string{o.url, o.target} {
		if err := loopbackURL(u); err != nil {
			return err
		}
	}
	c := newClient(o.workers, o.timeout)
	var mk func(int) (op, error)
	var err error
	switch mode {
	case "verify":
		mk, err = verifyOps(c, o)
	case "verify-dpop":
		mk, err = verifyDPoPOps(c, o)
	case "refresh":
		mk, err = refreshOps(c, o)
	case "gotrue-refresh":
		mk, err = gotrueRefreshOps(c, o)
	case "login":
		mk, err = loginOps(c, o)
	}
	if err != nil {
		return err
	}
	rep, err := run(o, mk)
	if err != nil {
		return err
	}
	rep.print(os.Stdout, mode, o)
	return nil
}

// newClient keeps one idle connection per worker, so every request after
// the first reuses a connection instead of paying for a handshake.
func newClient(workers int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        workers,
			MaxIdleConnsPerHost: workers,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// loopbackURL refuses anything but http(s) to a loopback address: this tool
// generates load and must not be pointed at someone else's server. Names
// other than localhost are refused rather than resolved.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s: only http and https URLs", raw)
	}
	return loopbackHost(u.Hostname(), raw)
}

func loopbackHost(host, what string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s: refusing a non-loopback address (%q)", what, host)
}

func cpus() int { return runtime.NumCPU() }
