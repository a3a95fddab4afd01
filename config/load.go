package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrHelp is returned by Load when -h/--help was asked for; the usage has
// been written already.
var ErrHelp = flag.ErrHelp

// setting is one raw value from one source.
type setting struct {
	name, raw string
}

// Load builds a Config from defaults, then the YAML file named by --config
// (or GATEHOUSE_CONFIG), then GATEHOUSE_* variables from env, then flags in
// args. It returns the remaining positional arguments. Every problem is
// reported at once; the caller exits 2 on error.
//
// extra, if not nil, defines the subcommand's own flags on the same set.
// Flags and positional arguments may be interleaved.
func Load(cmd string, args []string, env []string, usage io.Writer, extra func(*flag.FlagSet)) (Config, []string, error) {
	var flags []setting
	var configPath string
	fs := newFlagSet(cmd, usage, &flags, &configPath)
	if extra != nil {
		extra(fs)
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return Config{}, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	envMap := envToMap(env)
	if configPath == "" {
		configPath = envMap["GATEHOUSE_CONFIG"]
	}
	var fileSettings []setting
	var fileRoutes []Route
	var errs []error
	if configPath != "" {
		var err error
		if fileSettings, fileRoutes, err = readYAML(configPath); err != nil {
			errs = append(errs, err)
		}
	}
	c := Defaults()
	c.Routes = fileRoutes
	byName := map[string]field{}
	for _, f := range c.fields() {
		byName[f.name] = f
	}
	for _, layer := range []struct {
		source string
		items  []setting
	}{
		{"config file", fileSettings},
		{"environment", envSettings(c.fields(), envMap)},
		{"flag", flags},
	} {
		errs = append(errs, apply(byName, layer.source, layer.items)...)
	}
	if err := errors.Join(errs...); err != nil {
		return c, nil, err
	}
	return c, positional, c.Validate()
}

// apply sets the layer's values over the earlier layers; a list named in this
// layer replaces the earlier list.
func apply(byName map[string]field, source string, items []setting) []error {
	var errs []error
	reset := map[string]bool{}
	for _, s := range items {
		f, ok := byName[s.name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown setting %q", source, s.name))
			continue
		}
		if l, ok := f.val.(interface{ reset() }); ok && !reset[s.name] {
			l.reset()
			reset[s.name] = true
		}
		if err := f.val.Set(s.raw); err != nil {
			errs = append(errs, fmt.Errorf("%s --%s: %v", source, s.name, err))
		}
	}
	return errs
}

// recorder is a flag.Value that records raw values in order, so that flags
// can be applied last, over the file and the environment.
type recorder struct {
	name   string
	out    *[]setting
	isBool bool
}

func (r recorder) Set(s string) error {
	*r.out = append(*r.out, setting{r.name, s})
	return nil
}
func (r recorder) String() string   { return "" }
func (r recorder) IsBoolFlag() bool { return r.isBool }

func newFlagSet(cmd string, usage io.Writer, out *[]setting, configPath *string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(usage)
	defaults := Defaults()
	for _, f := range defaults.fields() {
		fs.Var(recorder{f.name, out, f.bool}, f.name, f.help)
	}
	fs.StringVar(configPath, "config", "", "YAML file with the same settings (keys are flag names)")
	fs.Usage = func() {
		WriteUsage(usage, cmd)
		fmt.Fprintf(usage, "\nFlags of %s itself:\n", cmd)
		fs.VisitAll(func(f *flag.Flag) {
			if _, ok := f.Value.(recorder); !ok && f.Name != "config" {
				fmt.Fprintf(usage, "  --%-22s %s\n", f.Name, f.Usage)
			}
		})
	}
	return fs
}

func envToMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "GATEHOUSE_") {
			m[k] = v
		}
	}
	return m
}

func envSettings(fields []field, env map[string]string) []setting {
	var out []setting
	for _, f := range fields {
		if v, ok := env[EnvName(f.name)]; ok {
			out = append(out, setting{f.name, v})
		}
	}
	return out
}

// readYAML reads a flat mapping of flag names to scalars or lists of
// scalars, and the gateway's `routes:` list of mappings (see Route).
func readYAML(path string) ([]setting, []Route, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--config: %v", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("--config %s: not a YAML mapping: %v", path, err)
	}
	routes, err := readRoutes(m["routes"])
	if err != nil {
		return nil, nil, fmt.Errorf("--config %s: routes: %v", path, err)
	}
	delete(m, "routes")
	settings, err := flatSettings(path, m)
	return settings, routes, err
}

// readRoutes decodes the routes list strictly: an unknown option is an
// error, not silently ignored.
func readRoutes(v any) ([]Route, error) {
	if v == nil {
		return nil, nil
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	var routes []Route
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&routes); err != nil {
		return nil, err
	}
	return routes, nil
}

func flatSettings(path string, m map[string]any) ([]setting, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []setting
	for _, k := range keys {
		switch v := m[k].(type) {
		case []any:
			for _, item := range v {
				out = append(out, setting{k, fmt.Sprint(item)})
			}
		case map[string]any:
			return nil, fmt.Errorf("--config %s: %q must be a value or a list, not a mapping", path, k)
		case nil:
			out = append(out, setting{k, ""})
		default:
			out = append(out, setting{k, fmt.Sprint(v)})
		}
	}
	return out, nil
}

// WriteUsage writes the help of a subcommand that takes the server settings.
func WriteUsage(w io.Writer, cmd string) {
	fmt.Fprintf(w, "Usage: gatehouse %s [flags]\n\n", cmd)
	fmt.Fprintf(w, "Every flag can also be set as an environment variable GATEHOUSE_<FLAG> (upper case,\n- → _) or as a key of the YAML file given by --config. Precedence: flag > env > file > default.\nDurations take Go syntax (90s, 15m, 336h) or whole seconds.\n")
	d := Defaults()
	group := ""
	for _, f := range d.fields() {
		if f.group != group {
			group = f.group
			fmt.Fprintf(w, "\n%s:\n", group)
		}
		def := f.val.String()
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  --%-22s %s\n  %24s default %s, env %s\n", f.name, f.help, "", def, EnvName(f.name))
	}
	fmt.Fprintf(w, "\n  --%-22s %s\n", "config FILE", "YAML file with the same settings (env GATEHOUSE_CONFIG)")
}
