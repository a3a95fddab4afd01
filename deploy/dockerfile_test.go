package deploy

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"
)

// dockerfile is the part of a Dockerfile these tests read: its stages in
// order, each with the instructions that matter here.
type dockerfile struct {
	globalArgs map[string]string
	stages     []*stage
}

type stage struct {
	base, name string
	args       map[string]string // ARG name → default ("" when none)
	env        map[string]string // ENV
	runs       []string          // RUN bodies, continuation lines joined
	copies     [][]string        // COPY words (flags included)
	user       string
	expose     []string
	entrypoint []string
	cmd        []string
	volumes    []string
}

// parseDockerfile reads the subset of the Dockerfile syntax the repository's
// Dockerfile uses and fails on any instruction it does not know, so a new
// instruction is a decision for this test too.
func parseDockerfile(src string) (*dockerfile, error) {
	d := &dockerfile{globalArgs: map[string]string{}}
	var cur *stage
	for _, line := range logicalLines(src) {
		kw, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		kw = strings.ToUpper(kw)
		if kw != "FROM" && kw != "ARG" && cur == nil {
			return nil, fmt.Errorf("%s before the first FROM", kw)
		}
		switch kw {
		case "FROM":
			words := strings.Fields(rest)
			for len(words) > 0 && strings.HasPrefix(words[0], "--") {
				words = words[1:]
			}
			if len(words) != 1 && !(len(words) == 3 && strings.EqualFold(words[1], "AS")) {
				return nil, fmt.Errorf("FROM %s: want IMAGE [AS NAME]", rest)
			}
			cur = &stage{base: words[0], args: map[string]string{}, env: map[string]string{}}
			if len(words) == 3 {
				cur.name = words[2]
			}
			d.stages = append(d.stages, cur)
		case "ARG":
			for _, w := range strings.Fields(rest) {
				k, v, _ := strings.Cut(w, "=")
				if cur == nil {
					d.globalArgs[k] = v
				} else {
					cur.args[k] = v
				}
			}
		case "ENV":
			for _, w := range strings.Fields(rest) {
				k, v, ok := strings.Cut(w, "=")
				if !ok {
					return nil, fmt.Errorf("ENV %s: use the KEY=VALUE form", rest)
				}
				cur.env[k] = v
			}
		case "RUN":
			cur.runs = append(cur.runs, rest)
		case "COPY":
			cur.copies = append(cur.copies, strings.Fields(rest))
		case "USER":
			cur.user = rest
		case "EXPOSE":
			cur.expose = append(cur.expose, strings.Fields(rest)...)
		case "VOLUME":
			cur.volumes = append(cur.volumes, strings.Fields(rest)...)
		case "ENTRYPOINT", "CMD":
			var words []string
			if err := jsonArray(rest, &words); err != nil {
				return nil, fmt.Errorf("%s must be in exec (JSON) form: %v", kw, err)
			}
			if kw == "CMD" {
				cur.cmd = words
			} else {
				cur.entrypoint = words
			}
		case "WORKDIR":
		default:
			return nil, fmt.Errorf("instruction %s is not known to deploy/dockerfile_test.go", kw)
		}
	}
	if len(d.stages) == 0 {
		return nil, fmt.Errorf("no FROM")
	}
	return d, nil
}

// logicalLines drops comments and blank lines and joins lines ending in a
// backslash, as the Dockerfile parser does.
func logicalLines(src string) []string {
	var out []string
	var b strings.Builder
	for _, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "#") || (t == "" && b.Len() == 0) {
			continue
		}
		if s, ok := strings.CutSuffix(t, `\`); ok {
			b.WriteString(s)
			b.WriteString(" ")
			continue
		}
		b.WriteString(t)
		if s := strings.TrimSpace(b.String()); s != "" {
			out = append(out, s)
		}
		b.Reset()
	}
	return out
}

func (d *dockerfile) final() *stage { return d.stages[len(d.stages)-1] }

func (d *dockerfile) stage(name string) *stage {
	for _, s := range d.stages {
		if s.name == name {
			return s
		}
	}
	return nil
}

// shellWords splits a RUN body like sh would for a simple command: quotes,
// backslash escapes and $NAME / ${NAME} expanded from vars (an unknown name
// is an error, so a typo cannot silently build something else). Operators
// (&&, ;, |) are refused: the build line must be one command.
func shellWords(s string, vars map[string]string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	quote := rune(0)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '\\' && i+1 < len(rs):
			i++
			w.WriteRune(rs[i])
			inWord = true
		case r == '$' && quote != '\'':
			name, n := varName(rs[i+1:])
			if name == "" {
				return nil, fmt.Errorf("bad $ at %d in %q", i, s)
			}
			v, ok := vars[name]
			if !ok {
				return nil, fmt.Errorf("$%s is not an ARG or ENV of the stage", name)
			}
			w.WriteString(v)
			inWord = true
			i += n
		case quote == '"':
			if r == '"' {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote = r
			inWord = true
		case unicode.IsSpace(r):
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case strings.ContainsRune("&;|<>()`", r):
			return nil, fmt.Errorf("%q: the build line must be one simple command", s)
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// varName reads NAME or {NAME} after a $ and says how many runes it took.
func varName(rs []rune) (string, int) {
	if len(rs) > 0 && rs[0] == '{' {
		for j := 1; j < len(rs); j++ {
			if rs[j] == '}' {
				return string(rs[1:j]), j + 1
			}
		}
		return "", 0
	}
	j := 0
	for j < len(rs) && (rs[j] == '_' || unicode.IsLetter(rs[j]) || (j > 0 && unicode.IsDigit(rs[j]))) {
		j++
	}
	return string(rs[:j]), j
}

func readDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDockerfile(string(b))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return d
}

func TestShellWords(t *testing.T) {
	vars := map[string]string{"A": "x y", "B": "z"}
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{in: `go build -ldflags="-s -w" ./cmd`, want: []string{"go", "build", "-ldflags=-s -w", "./cmd"}},
		{in: `K=$B go 'a $A' "$A" ${B}1`, want: []string{"K=z", "go", "a $A", "x y", "z1"}},
		{in: `go build && rm -rf /`, err: true},
		{in: `go $NOPE`, err: true},
		{in: `go "open`, err: true},
	}
	for _, tt := range tests {
		got, err := shellWords(tt.in, vars)
		if (err != nil) != tt.err || (!tt.err && strings.Join(got, "\x00") != strings.Join(tt.want, "\x00")) {
			t.Errorf("shellWords(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}
