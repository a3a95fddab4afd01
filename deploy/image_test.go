package deploy

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func jsonArray(s string, out *[]string) error { return json.Unmarshal([]byte(s), out) }

// testVersion is passed as the VERSION build argument, to see it arrive in
// `gatehouse version`.
const testVersion = "deploy-test-1.2.3"

// goBuild is the Dockerfile's build command, parsed: the environment it
// sets, the arguments after `go`, and where it writes the binary.
type goBuild struct {
	env  map[string]string
	args []string
	out  string
}

// imageBuild finds the stage the final image copies its ENTRYPOINT binary
// from, and the one `go build` in it.
func imageBuild(d *dockerfile) (goBuild, error) {
	final := d.final()
	if len(final.entrypoint) != 1 {
		return goBuild{}, fmt.Errorf("ENTRYPOINT %q: want exactly the binary", final.entrypoint)
	}
	var from, src string
	for _, c := range final.copies {
		if c[len(c)-1] == final.entrypoint[0] {
			for _, w := range c {
				if f, ok := strings.CutPrefix(w, "--from="); ok {
					from, src = f, c[len(c)-2]
				}
			}
		}
	}
	st := d.stage(from)
	if st == nil {
		return goBuild{}, fmt.Errorf("the final stage does not COPY its ENTRYPOINT %s --from a build stage", final.entrypoint[0])
	}
	vars := map[string]string{}
	for k, v := range d.globalArgs {
		vars[k] = v
	}
	for k, v := range st.args {
		vars[k] = v
	}
	// What BuildKit sets for a build on this machine, and our version.
	vars["BUILDPLATFORM"], vars["TARGETOS"], vars["TARGETARCH"] = runtime.GOOS+"/"+runtime.GOARCH, runtime.GOOS, runtime.GOARCH
	if _, ok := vars["VERSION"]; !ok {
		return goBuild{}, fmt.Errorf("stage %s has no ARG VERSION for `gatehouse version`", from)
	}
	vars["VERSION"] = testVersion
	for k, v := range st.env {
		vars[k] = v
	}
	var found []goBuild
	for _, run := range st.runs {
		words, err := shellWords(run, vars)
		if err != nil && strings.Contains(run, "go build") {
			return goBuild{}, fmt.Errorf("the build line: %v", err)
		}
		if err != nil || !slices.Contains(words, "go") {
			continue
		}
		b := goBuild{env: map[string]string{}}
		for k, v := range st.env {
			b.env[k] = v
		}
		i := 0
		for ; i < len(words) && strings.Contains(words[i], "=") && words[i] != "go"; i++ {
			k, v, _ := strings.Cut(words[i], "=")
			b.env[k] = v
		}
		if i+1 >= len(words) || words[i] != "go" || words[i+1] != "build" {
			continue
		}
		b.args = words[i+1:]
		for j, a := range b.args {
			if a == "-o" && j+1 < len(b.args) {
				b.out = b.args[j+1]
			}
		}
		found = append(found, b)
	}
	if len(found) != 1 {
		return goBuild{}, fmt.Errorf("stage %s has %d `go build` commands; want one, with no && or ;", from, len(found))
	}
	if found[0].out != src {
		return goBuild{}, fmt.Errorf("go build writes %q but the final stage copies %q", found[0].out, src)
	}
	return found[0], nil
}

var built struct {
	once sync.Once
	dir  string
	bin  string
	b    goBuild
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binary builds Gatehouse once per test run with the Dockerfile's own
// command (its environment, flags and package; only -o points elsewhere).
func binary(t *testing.T) (string, goBuild) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the whole binary; skipped with -short")
	}
	built.once.Do(func() {
		b, err := imageBuild(readDockerfile(t))
		if err != nil {
			built.err = err
			return
		}
		built.b = b
		if built.dir, err = os.MkdirTemp("", "gatehouse-deploy-"); err != nil {
			built.err = err
			return
		}
		built.bin = filepath.Join(built.dir, "gatehouse")
		args := slices.Clone(b.args)
		args[slices.Index(args, "-o")+1] = built.bin
		cmd := exec.Command("go", args...)
		cmd.Dir = ".." // WORKDIR holds the whole repository (COPY . .)
		cmd.Env = os.Environ()
		for k, v := range b.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin, built.b
}

// run runs the built binary and returns its combined output and exit code.
func run(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"HOME=" + t.TempDir()} // no GATEHOUSE_* from the test's environment
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestImageBuildIsStaticAndTrimmed(t *testing.T) {
	bin, b := binary(t)
	if b.env["CGO_ENABLED"] != "0" {
		t.Errorf("the build line sets CGO_ENABLED=%q; want 0 (a static binary for distroless/static)", b.env["CGO_ENABLED"])
	}
	if !slices.Contains(b.args, "-trimpath") {
		t.Error("the build line has no -trimpath")
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has a %v program header: it is dynamically linked", p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v (%v)", libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Error("binary keeps its symbol table: -ldflags -s is missing")
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// The main package's directory: distinctive even when root is short.
	if dir := filepath.Join(root, "cmd", "gatehouse"); bytes.Contains(raw, []byte(dir)) {
		t.Errorf("binary contains the build directory %s: -trimpath did not apply", dir)
	}
}

func TestImageBinaryRuns(t *testing.T) {
	bin, _ := binary(t)
	out, code := run(t, bin, "version")
	if code != 0 || strings.TrimSpace(out) != "gatehouse "+testVersion {
		t.Errorf("gatehouse version = %q (exit %d); want %q from the VERSION build argument", out, code, "gatehouse "+testVersion)
	}
	out, code = run(t, bin, "serve", "--help")
	if code != 0 || !strings.Contains(out, "--data-dir") {
		t.Errorf("gatehouse serve --help: exit %d\n%s", code, out)
	}
	// The image's default command must parse: its flags followed by --help
	// stop before serving, and fail on an unknown or bad flag.
	d := readDockerfile(t)
	args := append(slices.Clone(d.final().cmd), "--help")
	if out, code := run(t, bin, args...); code != 0 {
		t.Errorf("the image's CMD %q does not parse: exit %d\n%s", d.final().cmd, code, out)
	}
}

func TestImageFinalStage(t *testing.T) {
	d := readDockerfile(t)
	f := d.final()
	scratch := f.base == "scratch"
	if !scratch && !strings.HasPrefix(f.base, "gcr.io/distroless/static") {
		t.Errorf("final stage FROM %s; want scratch or gcr.io/distroless/static-*", f.base)
	}
	uid, _, _ := strings.Cut(f.user, ":")
	n, err := strconv.Atoi(uid)
	switch {
	case f.user == "":
		t.Error("final stage has no USER: the image would run as root")
	case err != nil:
		t.Errorf("USER %s: use a numeric uid so Kubernetes' runAsNonRoot can check it", f.user)
	case n == 0:
		t.Errorf("USER %s is root", f.user)
	}
	if !slices.Equal(f.entrypoint, []string{"/gatehouse"}) {
		t.Errorf("ENTRYPOINT %q", f.entrypoint)
	}
	if len(f.cmd) == 0 || f.cmd[0] != "serve" {
		t.Errorf("CMD %q: want serve and its flags", f.cmd)
	}
	addr := flagValue(f.cmd, "--addr")
	dataDir := flagValue(f.cmd, "--data-dir")
	if _, port, _ := strings.Cut(addr, ":"); !strings.HasPrefix(addr, "0.0.0.0:") || !slices.Contains(f.expose, port) {
		t.Errorf("CMD --addr %q: want 0.0.0.0:<an EXPOSEd port %v> (a container must listen beyond loopback)", addr, f.expose)
	}
	if dataDir == "" || !slices.Contains(f.volumes, dataDir) {
		t.Errorf("CMD --data-dir %q is not a VOLUME %v: the database would live in the container's layer", dataDir, f.volumes)
	}
}

// flagValue returns the value after flag in args ("--flag v" or "--flag=v").
func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

// TestImageBuildParserSeesDrift proves the tests follow the Dockerfile:
// a build line changed in ways that matter is noticed, not re-typed here.
func TestImageBuildParserSeesDrift(t *testing.T) {
	src, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, old, new string }{
		{"output path differs from the COPY", "-o /gatehouse", "-o /bin/gatehouse"},
		{"two commands in one RUN", " ./cmd/gatehouse", " ./cmd/gatehouse && true"},
		{"undefined variable", "${VERSION}", "${VERSON}"},
	}
	for _, tt := range tests {
		changed := strings.Replace(string(src), tt.old, tt.new, 1)
		if changed == string(src) {
			t.Fatalf("%s: %q is not in the Dockerfile", tt.name, tt.old)
		}
		d, err := parseDockerfile(changed)
		if err == nil {
			_, err = imageBuild(d)
		}
		if err == nil {
			t.Errorf("%s: not noticed", tt.name)
		}
	}
	b, err := imageBuild(readDockerfile(t))
	if err != nil {
		t.Fatal(err)
	}
	if b.out != "/gatehouse" || !slices.Contains(b.args, "./cmd/gatehouse") {
		t.Errorf("parsed build %+v", b)
	}
}

// TestDockerignoreKeepsBuildInputs: the test builds from the checkout, the
// image from the context that .dockerignore leaves, so no pattern may drop
// a file the build reads (go.mod, go.sum, Go and embedded files of
// cmd/gatehouse's packages). Patterns are a plain path from the root or
// **/ followed by a file-name glob; anything else fails here.
func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	b, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			if strings.HasPrefix(l, "!") || (strings.ContainsAny(l, "*?[") && !strings.HasPrefix(l, "**/")) {
				t.Fatalf(".dockerignore pattern %q: only PATH and **/GLOB are understood by this test", l)
			}
			patterns = append(patterns, l)
		}
	}
	ignored := func(rel string) bool {
		for _, p := range patterns {
			if g, ok := strings.CutPrefix(p, "**/"); ok {
				if m, _ := filepath.Match(g, filepath.Base(rel)); m {
					return true
				}
			} else if rel == p || strings.HasPrefix(rel, p+"/") {
				return true
			}
		}
		return false
	}
	cmd := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}
{{end}}{{end}}{{end}}`, "./cmd/gatehouse")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"go.mod", "go.sum"}
	for _, f := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	if len(files) < 10 {
		t.Fatalf("go list found only %v", files)
	}
	for _, f := range files {
		if ignored(f) {
			t.Errorf(".dockerignore drops %s, which the build needs", f)
		}
	}
}
