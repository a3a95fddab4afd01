package testenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// Helpers that run one DevTools step in a tab made by Chromium.NewContext
// or NewTab, failing the test on error. They exist so a browser test reads
// as its scenario, not as error plumbing.

// Do runs chromedp actions in the tab of ctx, in order.
func Do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// Eval evaluates a JavaScript expression in the page of ctx and decodes its
// JSON value into T. A promise is awaited, so `fetch(…).then(r => r.status)`
// works; a thrown exception or a rejected promise fails the test.
func Eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browser eval %q: %v", js, err)
	}
	return v
}

// EvalAtOnce evaluates js in every tab at the same time (one goroutine
// each, as two users' clicks would) and returns the values in the order of
// tabs, failing the test on any error. Use it where Eval's t.Fatal may not
// run off the test goroutine, e.g. two tabs refreshing together.
func EvalAtOnce[T any](t testing.TB, js string, tabs ...context.Context) []T {
	t.Helper()
	vals := make([]T, len(tabs))
	errs := make([]error, len(tabs))
	var wg sync.WaitGroup
	for i, tab := range tabs {
		wg.Go(func() {
			vals[i], errs[i] = chromedp.Run(tab, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("browser eval %q in %d tabs: %v", js, len(tabs), err)
	}
	return vals
}

// Cookies are the cookies of ctx's browser context that the browser would
// send to the given URLs (the current page's URL when none is given), read
// through DevTools, so HttpOnly cookies included and every attribute shown.
// A cookie with Path=/v1/refresh is returned only for a URL under that path.
func Cookies(t testing.TB, ctx context.Context, urls ...string) []*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: urls})
	if err != nil {
		t.Fatalf("browser cookies: %v", err)
	}
	return res.Cookies
}

// AllCookies are every cookie in ctx's browser context (the device's whole
// jar), whatever their domain and path.
func AllCookies(t testing.TB, ctx context.Context) []*network.Cookie {
	t.Helper()
	c := chromedp.FromContext(ctx)
	if c == nil {
		t.Fatalf("browser cookies: not a browser context")
	}
	res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{BrowserContextID: c.BrowserContextID})
	if err != nil {
		t.Fatalf("browser cookies: %v", err)
	}
	return res.Cookies
}

// Cookie is the cookie called name among cookies, or nil.
func Cookie(cookies []*network.Cookie, name string) *network.Cookie {
	for _, c := range cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// AcceptLanguage makes every later request of the tab of ctx (navigations,
// form posts, fetch) carry exactly this Accept-Language header, e.g. "ko".
// It is per tab: call it again in each NewTab.
func AcceptLanguage(t testing.TB, ctx context.Context, lang string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}}); err != nil {
		t.Fatalf("browser Accept-Language: %v", err)
	}
}

// Screenshot saves a PNG of the whole page of ctx (not only the viewport)
// to path, creating its folder. Pair it with OutputDir.
func Screenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browser screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("browser screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browser screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)
}
