package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Time limits of a browser test. They exist so that a hung Chromium fails
// one test in a minute instead of holding CI until go test's own timeout.
const (
	// DeviceTimeout bounds everything done through one NewContext (the
	// device) and its tabs: past it, every chromedp call on them fails with
	// context.DeadlineExceeded and the tabs are closed.
	DeviceTimeout = 60 * time.Second
	// startTimeout bounds starting the browser process.
	startTimeout = 30 * time.Second
)

// debianChromium is the real binary behind Debian's /usr/bin/chromium
// launcher script. The script adds flags of its own (remote extensions,
// GPU rasterisation) and sources /etc/chromium.d, so tests run the binary
// directly and get exactly the flags below.
const debianChromium = "/usr/lib/chromium/chromium"

// Chromium is one headless Chromium process started for a test. Its
// devices (NewContext) are separate browser contexts: separate cookie jars,
// storage and caches, like separate devices or incognito windows.
type Chromium struct {
	root    context.Context // the browser's own first tab; never used by tests
	userDir string
	log     *lockedBuffer // browser stderr, chromedp's and the pages' messages

	mu            sync.Mutex
	devices, tabs int // for the labels of console messages in the log
}

// Browser starts a headless Chromium for t (Debian's `chromium` package),
// stopped by t.Cleanup; it never outlives the test process (the process is
// killed by the kernel when the test binary dies). Without Chromium the test
// is skipped, or failed under GATEHOUSE_REQUIRE_INTEGRATION=1.
//
// One Chromium can serve the subtests of t: call Browser in the parent and
// NewContext in each subtest.
func Browser(t testing.TB) *Chromium {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		RequireIntegration(t, "chromium",
			"install it with `apt-get install chromium` (Debian), or name a binary in "+ChromiumEnv)
	}
	c := &Chromium{userDir: filepath.Join(t.TempDir(), "profile"), log: new(lockedBuffer)}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromiumOptions(bin, c.userDir, c.log)...)
	root, cancel := chromedp.NewContext(alloc,
		chromedp.WithLogf(c.log.printf), chromedp.WithErrorf(c.log.printf))
	cancelRoot := sync.OnceFunc(cancel) // a failed start cancels it early
	c.root = root
	t.Cleanup(func() {
		cancelRoot() // waits for the browser process to exit
		cancelAlloc()
		// Zygote and utility processes can outlive the browser process by
		// a moment and write into the profile while t.TempDir removes it.
		killProcessesUsing(c.userDir)
		if t.Failed() {
			t.Logf("chromium output (tail):\n%s", c.log.tail(8<<10))
		}
	})

	// The first Run binds the browser's life to root, so it cannot carry a
	// deadline itself; bound the start from outside instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(root) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting %s: %v\n%s", bin, err, c.log.tail(8<<10))
		}
	case <-time.After(startTimeout):
		cancelRoot()
		t.Fatalf("starting %s: no answer after %v\n%s", bin, startTimeout, c.log.tail(8<<10))
	}
	return c
}

// ChromiumEnv names a Chromium (or Chrome) binary to use instead of
// Debian's; a name that is not an executable file skips the browser tests
// like a missing Chromium does.
const ChromiumEnv = "GATEHOUSE_CHROMIUM"

// chromiumPath is the Chromium binary to run, or "" when there is none.
func chromiumPath() string {
	if p := os.Getenv(ChromiumEnv); p != "" {
		if p, err := exec.LookPath(p); err == nil {
			return p
		}
		return ""
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		if _, err := os.Stat(debianChromium); err == nil {
			return debianChromium
		}
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// chromiumOptions are the allocator options: chromedp's defaults (headless
// and Puppeteer's quiet flags) plus what makes a test hermetic.
func chromiumOptions(bin, userDir string, out *lockedBuffer) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption(nil), chromedp.DefaultExecAllocatorOptions[:]...)
	return append(opts,
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(userDir),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Only localhost and 127.* resolve (the rules apply to IP literals
		// too): a test never reaches the network by a stray host name or
		// address. 127.0.0.2 needs no mapping, all of 127.0.0.0/8 is
		// loopback on Linux.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.*"),
		// Same language and pixels on every machine, for screenshots and
		// for Accept-Language (override it per tab with AcceptLanguage).
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.CombinedOutput(out),
	)
}

// NewContext opens a new device for t: a tab in a fresh browser context,
// which shares no cookies or storage with any other device. It is closed by
// t.Cleanup and expires after DeviceTimeout.
func (c *Chromium) NewContext(t testing.TB) context.Context {
	t.Helper()
	bounded, cancelTimeout := context.WithTimeout(c.root, DeviceTimeout)
	ctx, cancel := chromedp.NewContext(bounded, chromedp.WithNewBrowserContext())
	t.Cleanup(func() { cancel(); cancelTimeout() })
	// The first Run creates the tab and binds it to ctx, not to whatever
	// shorter context a test might pass first.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	c.mu.Lock()
	c.devices++
	label := fmt.Sprintf("device %d", c.devices)
	c.mu.Unlock()
	c.logConsole(ctx, label)
	return ctx
}

// NewTab opens another tab (in its own window, so it is never a throttled
// background tab) in the browser context of ctx, so it shares ctx's
// cookies, storage, Web Locks and BroadcastChannels: a second tab of the
// same device. It is closed by t.Cleanup and shares ctx's deadline.
func (c *Chromium) NewTab(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("new tab: %v", err)
	}
	c.mu.Lock()
	c.tabs++
	label := fmt.Sprintf("tab %d", c.tabs)
	c.mu.Unlock()
	c.logConsole(tab, label)
	return tab
}

// logConsole copies the console messages and uncaught exceptions of the
// tab of ctx into the log that a failing test prints, so a broken page
// script shows up in the test output.
func (c *Chromium) logConsole(ctx context.Context, label string) {
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			c.log.printf("console %s: %s", label, m)
		}
	}()
}

// killProcessesUsing kills every process started with our profile folder,
// which is unique to one test; it is a no-op off Linux (no /proc).
func killProcessesUsing(dir string) {
	want := []byte("--user-data-dir=" + dir)
	for range 3 { // a dying zygote can fork once more; look again
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		found := false
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err != nil {
				continue
			}
			for arg := range bytes.SplitSeq(cmdline, []byte{0}) {
				if bytes.Equal(arg, want) {
					if p, err := os.FindProcess(pid); err == nil {
						p.Kill()
					}
					found = true
					break
				}
			}
		}
		if !found {
			return
		}
	}
}

// lockedBuffer collects the browser's output for the failure log.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) printf(format string, args ...any) {
	fmt.Fprintf(b, format+"\n", args...)
}

// tail is the last n bytes written, without the D-Bus complaints a
// headless browser in a container prints by the dozen.
func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []byte
	for line := range bytes.Lines(b.buf.Bytes()) {
		if !bytes.Contains(line, []byte(":ERROR:dbus/")) {
			out = append(out, line...)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return string(out)
}
