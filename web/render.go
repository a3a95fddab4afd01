package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// Page names: each is templates/<name>.html inside templates/layout.html.
const (
	pageLogin   = "login"
	pageSignup  = "signup"
	pageChoose  = "choose"
	pageAccount = "account"
	pageReauth  = "reauth"
	pageMessage = "message"
)

var templates = parseTemplates(pageLogin, pageSignup, pageChoose, pageAccount, pageReauth, pageMessage)

func parseTemplates(names ...string) map[string]*template.Template {
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.New("layout.html").Funcs(template.FuncMap{
			"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
			"when":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		}).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html"))
	}
	return out
}

// view is what every template reads. Text comes from T only; everything
// else is data, escaped by html/template wherever it lands.
type view struct {
	T        *text
	Title    string // key of the page title
	Error    string // key of an error message
	Notice   string // key of a notice
	CSRF     string // the session's CSRF token, for forms of signed-in pages
	ReturnTo string // where to go after the form, when not /account
	Username string
	Signup   bool // show the link to /signup

	// The session-limit choice.
	Challenge string
	Choices   []device

	// The account page.
	Devices []device
}

// device is one session as the pages show it.
type device struct {
	ID        string
	Current   bool
	UserAgent string
	IP        string
	Created   time.Time
	LastSeen  time.Time
}

// render writes page with status. The page is rendered into a buffer
// first, so a template error answers a clean 500, never half a page.
func (p *pages) render(q *req, status int, page string, v view) error {
	v.T = q.text
	var b bytes.Buffer
	if err := templates[page].Execute(&b, v); err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", q.text.lang)
	h.Add("Vary", "Accept-Language")
	noStore(q.w)
	q.w.WriteHeader(status)
	_, err := q.w.Write(b.Bytes())
	if err != nil {
		return errWritten
	}
	return nil
}

// redirect answers a form (or a page that needs a login) with 303 See
// Other to target, which the caller has checked (a path of ours, or a
// SafeReturn value). It is set as is: http.Redirect would clean it.
func redirect(w http.ResponseWriter, target string) {
	noStore(w)
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}
