package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

const unitPath = "systemd/gatehouse.service"

// unit is a systemd unit file: section → key → values in order (a key may
// repeat, and an empty assignment is kept: it resets a list).
type unit map[string]map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		case section == "":
			t.Fatalf("%s:%d: %q outside a section", path, n, line)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.HasSuffix(line, `\`) {
				t.Fatalf("%s:%d: %q is not KEY=VALUE on one line", path, n, line)
			}
			k = strings.TrimSpace(k)
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSystemdUnitIsHardened(t *testing.T) {
	u := parseUnit(t, unitPath)
	svc := u["Service"]
	if svc == nil {
		t.Fatal("no [Service] section")
	}
	want := map[string]string{
		"StateDirectory":          "gatehouse",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"CapabilityBoundingSet":   "",
		"SystemCallFilter":        "@system-service",
		"Restart":                 "on-failure",
	}
	for k, v := range want {
		got, ok := svc[k]
		if !ok || got[len(got)-1] != v {
			t.Errorf("[Service] %s = %q; want %q", k, got, v)
		}
	}
	if svc["DynamicUser"] == nil && svc["User"] == nil {
		t.Error("neither DynamicUser= nor User=: the server would run as root")
	}
	if u := svc["User"]; u != nil && (u[0] == "root" || u[0] == "0") {
		t.Errorf("User=%s", u[0])
	}
	if len(svc["EnvironmentFile"]) != 1 {
		t.Errorf("EnvironmentFile = %q; want one file for GATEHOUSE_ADMIN_TOKEN and GATEHOUSE_MASTER_KEY", svc["EnvironmentFile"])
	}
	if u["Install"]["WantedBy"] == nil {
		t.Error("no [Install] WantedBy=: systemctl enable would do nothing")
	}
	exec := strings.Fields(svc["ExecStart"][0])
	if got := flagValue(exec, "--data-dir"); got != "/var/lib/"+svc["StateDirectory"][0] {
		t.Errorf("ExecStart --data-dir %q is not the StateDirectory /var/lib/%s (the only writable place under ProtectSystem=strict)", got, svc["StateDirectory"][0])
	}
}

// TestSystemdExecStartParses runs the unit's ExecStart arguments, with
// --help, through the binary built as the Dockerfile builds it.
func TestSystemdExecStartParses(t *testing.T) {
	bin, _ := binary(t)
	args := strings.Fields(parseUnit(t, unitPath)["Service"]["ExecStart"][0])
	if filepath.Base(args[0]) != "gatehouse" || args[1] != "serve" {
		t.Fatalf("ExecStart %q: want .../gatehouse serve ...", args)
	}
	if out, code := run(t, bin, append(args[1:], "--help")...); code != 0 {
		t.Errorf("ExecStart arguments do not parse: exit %d\n%s", code, out)
	}
}

// TestSystemdAnalyzeVerify lets systemd itself read the unit when it is
// installed: any message (an unknown key only warns) fails the test.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	src, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	// verify insists that ExecStart exists: point it at an executable we have.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "gatehouse.service")
	text := strings.Replace(string(src), "ExecStart=/usr/local/bin/gatehouse", "ExecStart="+self, 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdEnvFileNamesAreSettings keeps the example environment file to
// names the server reads, commented-out ones included.
func TestSystemdEnvFileNamesAreSettings(t *testing.T) {
	b, err := os.ReadFile("systemd/gatehouse.env.example")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "#")
		if k, _, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "GATEHOUSE_") {
			names = append(names, k)
		}
	}
	for _, need := range []string{"GATEHOUSE_ADMIN_TOKEN", "GATEHOUSE_MASTER_KEY"} {
		if !slices.Contains(names, need) {
			t.Errorf("gatehouse.env.example has no %s", need)
		}
	}
	checkSettingNames(t, "systemd/gatehouse.env.example", names)
}

// checkSettingNames fails for any GATEHOUSE_* name that is not a setting.
func checkSettingNames(t *testing.T, where string, names []string) {
	t.Helper()
	known := map[string]bool{"GATEHOUSE_CONFIG": true}
	for _, n := range config.Names() {
		known[config.EnvName(n)] = true
	}
	for _, n := range names {
		// Variables that steer the tests (docs/testing.md), not the server.
		if strings.HasPrefix(n, "GATEHOUSE_TEST_") || strings.HasPrefix(n, "GATEHOUSE_MEASURE_") ||
			n == "GATEHOUSE_REQUIRE_INTEGRATION" || n == "GATEHOUSE_UPDATE_SCREENSHOTS" {
			continue
		}
		if !known[n] {
			t.Errorf("%s: %s is not a setting (config.Names)", where, n)
		}
	}
}
