package dpopinterop_test

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// nodeDir is a temporary directory with the scripts of testdata and a
// node_modules made from the vendored tarballs, each checked against the
// integrity package-lock.json records (what `npm ci` would check). It
// needs node but not npm or the registry.
func nodeDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		testenv.RequireIntegration(t, "node", "install Node.js 20 or later (`apt-get install nodejs`)")
	}
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Resolved  string `json:"resolved"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	b, err := os.ReadFile("testdata/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := 0
	for key, p := range lock.Packages {
		name, ok := strings.CutPrefix(key, "node_modules/")
		if !ok {
			continue
		}
		n++
		tgz, ok := strings.CutPrefix(p.Resolved, "file:")
		if !ok {
			t.Fatalf("%s: resolved %q is not a vendored file", name, p.Resolved)
		}
		data, err := os.ReadFile(filepath.Join("testdata", tgz))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha512.Sum512(data)
		if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != p.Integrity {
			t.Fatalf("%s: integrity %s, package-lock.json says %s", tgz, got, p.Integrity)
		}
		untar(t, data, filepath.Join(dir, "node_modules", name))
	}
	if n != 2 {
		t.Fatalf("package-lock.json lists %d packages, want dpop and jose", n)
	}
	for _, f := range []string{"package.json", "prover.mjs", "verifier.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// untar extracts an npm tarball (files under package/) into dst.
func untar(t *testing.T, data []byte, dst string) {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		rel, ok := strings.CutPrefix(h.Name, "package/")
		if !ok || h.Typeflag != tar.TypeReg || !filepath.IsLocal(rel) {
			continue
		}
		p := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// script is a running node script that answers one JSON line per JSON
// line it reads.
type script struct {
	t   *testing.T
	mu  sync.Mutex
	in  io.WriteCloser
	out *bufio.Scanner
}

func startScript(t *testing.T, dir, name string) *script {
	t.Helper()
	cmd := exec.Command("node", name)
	cmd.Dir = dir
	cmd.Stderr = &testWriter{t: t, prefix: name + ": "}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return &script{t: t, in: in, out: sc}
}

// call sends req and decodes the answer into res.
func (s *script) call(req, res any) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(req)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.in.Write(append(b, '\n')); err != nil {
		s.t.Fatal(err)
	}
	if !s.out.Scan() {
		s.t.Fatalf("node script ended: %v", s.out.Err())
	}
	if err := json.Unmarshal(s.out.Bytes(), res); err != nil {
		s.t.Fatalf("node answered %q: %v", s.out.Bytes(), err)
	}
}

type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(w.prefix + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// proofReq asks prover.mjs for a proof.
type proofReq struct {
	Alg         string `json:"alg"`
	HTM         string `json:"htm"`
	HTU         string `json:"htu"`
	Nonce       string `json:"nonce,omitempty"`
	AccessToken string `json:"accessToken,omitempty"`
}

type proofRes struct {
	Proof string `json:"proof"`
	JKT   string `json:"jkt"`
	Error string `json:"error"`
}

// prove makes a proof with the Node implementation.
func (s *script) prove(r proofReq) proofRes {
	s.t.Helper()
	var res proofRes
	s.call(r, &res)
	if res.Error != "" || res.Proof == "" {
		s.t.Fatalf("prover.mjs: %+v", res)
	}
	return res
}

// verifyReq asks verifier.mjs to check a proof.
type verifyReq struct {
	Proof       string `json:"proof"`
	HTM         string `json:"htm"`
	HTU         string `json:"htu"`
	AccessToken string `json:"accessToken,omitempty"`
	Now         int64  `json:"now"`
}

type verifyRes struct {
	OK      bool           `json:"ok"`
	Error   string         `json:"error"`
	JKT     string         `json:"jkt"`
	Header  map[string]any `json:"header"`
	Payload map[string]any `json:"payload"`
}
