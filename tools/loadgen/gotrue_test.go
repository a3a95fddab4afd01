package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// fakeGoTrue answers GoTrue's signup, password grant and refresh grant the
// way GoTrue does with rotation on: each refresh token is good once, and
// presenting a spent one is an error. It counts what it saw.
type fakeGoTrue struct {
	mu        sync.Mutex
	users     map[string]string // email → password
	live      map[string]string // refresh token → email
	n         int
	refreshes int
	spent     int // refreshes that presented a token not live
}

func (f *fakeGoTrue) issue(email string) map[string]string {
	f.n++
	rt := fmt.Sprintf("rt-%d", f.n)
	f.live[rt] = email
	return map[string]string{"access_token": "at-" + rt, "refresh_token": rt}
}

func (f *fakeGoTrue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&in) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out map[string]string
	switch {
	case r.URL.Path == "/signup":
		if _, ok := f.users[in["email"]]; ok {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		f.users[in["email"]] = in["password"]
		out = f.issue(in["email"])
	case r.URL.Path == "/token" && r.URL.Query().Get("grant_type") == "password":
		if pw, ok := f.users[in["email"]]; !ok || pw != in["password"] {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		out = f.issue(in["email"])
	case r.URL.Path == "/token" && r.URL.Query().Get("grant_type") == "refresh_token":
		f.refreshes++
		email, ok := f.live[in["refresh_token"]]
		if !ok {
			f.spent++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		delete(f.live, in["refresh_token"])
		out = f.issue(email)
	default:
		w.WriteHeader(http.StatusNotFound)
		return
	}
	json.NewEncoder(w).Encode(out)
}

// TestGoTrueRefreshRotates: every worker signs up once, then each refresh
// presents the token of its previous answer, so a server that rotates
// never sees a spent token, and every counted request is a 200.
func TestGoTrueRefreshRotates(t *testing.T) {
	f := &fakeGoTrue{users: map[string]string{}, live: map[string]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	o := opts{url: srv.URL, workers: 4, n: 200, prefix: "t", password: "pw", timeout: 5 * time.Second}
	c := newClient(o.workers, o.timeout)
	mk, err := gotrueRefreshOps(c, o)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := run(o, mk)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.users) != o.workers {
		t.Errorf("%d accounts signed up, want one per worker (%d)", len(f.users), o.workers)
	}
	if f.spent != 0 {
		t.Errorf("%d refreshes presented a spent token", f.spent)
	}
	if f.refreshes != int(o.n) || rep.status[http.StatusOK] != int(o.n) || len(rep.lat) != int(o.n) {
		t.Errorf("server saw %d refreshes, report %d OK of %d; want %d", f.refreshes, rep.status[http.StatusOK], len(rep.lat), o.n)
	}

	// Run again on the same accounts: signup answers 422, the workers log in.
	f.refreshes = 0
	f.mu.Unlock()
	rep, err = run(o, mk)
	f.mu.Lock()
	if err != nil || f.spent != 0 || rep.status[http.StatusOK] != int(o.n) {
		t.Errorf("second run: %v, %d spent, %d OK", err, f.spent, rep.status[http.StatusOK])
	}
}

// TestStoreCPUCountsTheMatchingProcess: a process that burns CPU between
// two snapshots is charged; one whose command line does not match is not.
func TestStoreCPUCountsTheMatchingProcess(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	tag := fmt.Sprintf("loadgen-storecpu-%d", os.Getpid())
	// The tag is an argument of the busy loop, so it is in its command line.
	cmd := exec.Command(sh, "-c", `while :; do :; done`, tag)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	before := matchCPU(tag)
	if _, ok := before[cmd.Process.Pid]; !ok {
		t.Fatalf("matchCPU(%q) = %v, does not hold the busy process %d", tag, before, cmd.Process.Pid)
	}
	var cpu time.Duration
	var n int
	for deadline := time.Now().Add(10 * time.Second); cpu == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		cpu, n = storeCPU(before, matchCPU(tag))
	}
	if cpu == 0 || n != 1 {
		t.Errorf("storeCPU = %v over %d processes, want some CPU of 1", cpu, n)
	}
	if got := matchCPU(tag + "-not-running"); len(got) != 0 {
		t.Errorf("a pattern nothing matches found %v", got)
	}
}
