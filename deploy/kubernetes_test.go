package deploy

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/config"
)

// The few Kubernetes fields these tests read.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct{ Name string }
	Spec       yaml.Node         `yaml:"spec"`
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`
}

type deploymentSpec struct {
	Replicas int
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	Template struct {
		Metadata struct{ Labels map[string]string }
		Spec     podSpec
	}
}

type podSpec struct {
	SecurityContext securityContext `yaml:"securityContext"`
	Containers      []container
	Volumes         []struct{ Name string }
}

type securityContext struct {
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	RunAsUser                *int  `yaml:"runAsUser"`
	ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	Capabilities             struct{ Drop []string }
}

type container struct {
	Name  string
	Image string
	Args  []string
	Ports []struct {
		Name          string
		ContainerPort int `yaml:"containerPort"`
	}
	Env []struct {
		Name      string
		Value     *string
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name, Key string
				Optional  bool
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	}
	ReadinessProbe  *probe          `yaml:"readinessProbe"`
	LivenessProbe   *probe          `yaml:"livenessProbe"`
	SecurityContext securityContext `yaml:"securityContext"`
	Resources       struct {
		Requests, Limits map[string]string
	}
	VolumeMounts []volumeMount `yaml:"volumeMounts"`
}

type volumeMount struct {
	Name      string
	MountPath string `yaml:"mountPath"`
}

type probe struct {
	HTTPGet *struct {
		Path string
		Port yaml.Node
	} `yaml:"httpGet"`
}

type serviceSpec struct {
	Selector map[string]string
	Ports    []struct {
		Port       int
		TargetPort yaml.Node `yaml:"targetPort"`
	}
}

// k8sObjects reads every document of every deploy/kubernetes/*.yaml.
func k8sObjects(t *testing.T) map[string]k8sObject {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no kubernetes/*.yaml (%v)", err)
	}
	objs := map[string]k8sObject{}
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(r)
		for {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.APIVersion == "" || o.Metadata.Name == "" {
				t.Fatalf("%s: a document without kind, apiVersion or name", f)
			}
			objs[o.Kind] = o
		}
		r.Close()
	}
	return objs
}

func decodeSpec[T any](t *testing.T, o k8sObject) T {
	t.Helper()
	var s T
	if err := o.Spec.Decode(&s); err != nil {
		t.Fatalf("%s spec: %v", o.Kind, err)
	}
	return s
}

func gatehouseContainer(t *testing.T) (deploymentSpec, container) {
	t.Helper()
	o, ok := k8sObjects(t)["Deployment"]
	if !ok {
		t.Fatal("no Deployment")
	}
	d := decodeSpec[deploymentSpec](t, o)
	if len(d.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers; want the one gatehouse container", len(d.Template.Spec.Containers))
	}
	return d, d.Template.Spec.Containers[0]
}

// portMatches says whether a probe's or a Service's port (a name or a
// number) is the container's port.
func portMatches(n yaml.Node, c container) bool {
	for _, p := range c.Ports {
		if n.Value == p.Name || n.Value == strconv.Itoa(p.ContainerPort) {
			return true
		}
	}
	return false
}

func TestKubernetesProbes(t *testing.T) {
	_, c := gatehouseContainer(t)
	for _, p := range []struct {
		name, path string
		probe      *probe
	}{
		{"readinessProbe", "/readyz", c.ReadinessProbe},
		{"livenessProbe", "/healthz", c.LivenessProbe},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no %s httpGet", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || !portMatches(p.probe.HTTPGet.Port, c) {
			t.Errorf("%s: GET %s on port %q; want %s on a container port", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.Value, p.path)
		}
	}
	if len(c.Ports) != 1 || !strings.HasSuffix(flagValue(c.Args, "--addr"), ":"+strconv.Itoa(c.Ports[0].ContainerPort)) {
		t.Errorf("--addr %q does not listen on the containerPort %v", flagValue(c.Args, "--addr"), c.Ports)
	}
}

func TestKubernetesRunsAsNonRootReadOnly(t *testing.T) {
	d, c := gatehouseContainer(t)
	pod, ctr := d.Template.Spec.SecurityContext, c.SecurityContext
	if !isTrue(ctr.RunAsNonRoot) && !isTrue(pod.RunAsNonRoot) {
		t.Error("runAsNonRoot is not true")
	}
	u := ctr.RunAsUser
	if u == nil {
		u = pod.RunAsUser
	}
	if u != nil && *u == 0 {
		t.Error("runAsUser: 0 is root")
	}
	if !isTrue(ctr.ReadOnlyRootFilesystem) {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if ctr.AllowPrivilegeEscalation == nil || *ctr.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if !slices.Equal(ctr.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("capabilities.drop = %q; want [ALL]", ctr.Capabilities.Drop)
	}
	// A read-only root needs the data directory mounted.
	dataDir := flagValue(c.Args, "--data-dir")
	if !slices.ContainsFunc(c.VolumeMounts, func(m volumeMount) bool { return m.MountPath == dataDir }) {
		t.Errorf("--data-dir %q is not a volume mount on a read-only root", dataDir)
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

// TestKubernetesMemoryFitsHashing applies docs/deploy.md's sizing rule: the
// memory limit holds hash-concurrency argon2id hashes at the default cost
// plus the ~40 MiB the server needs besides.
func TestKubernetesMemoryFitsHashing(t *testing.T) {
	_, c := gatehouseContainer(t)
	for _, k := range []string{"cpu", "memory"} {
		if c.Resources.Requests[k] == "" || c.Resources.Limits[k] == "" {
			t.Errorf("resources: no %s request and limit", k)
		}
	}
	hashes := 0
	for _, e := range c.Env {
		if e.Name == config.EnvName("hash-concurrency") && e.Value != nil {
			hashes, _ = strconv.Atoi(*e.Value)
		}
	}
	if hashes <= 0 {
		t.Fatal("GATEHOUSE_HASH_CONCURRENCY is not set: the default counts the node's CPUs, not the pod's limit")
	}
	mem, ok := strings.CutSuffix(c.Resources.Limits["memory"], "Mi")
	limit, err := strconv.Atoi(mem)
	if !ok || err != nil {
		t.Fatalf("memory limit %q: write it in Mi", c.Resources.Limits["memory"])
	}
	need := hashes*config.Defaults().Argon2Memory/1024 + 40
	if limit < need {
		t.Errorf("memory limit %d MiB < %d hashes × %d KiB + 40 MiB = %d MiB", limit, hashes, config.Defaults().Argon2Memory, need)
	}
}

func TestKubernetesEnvIsSettingsAndSecret(t *testing.T) {
	d, c := gatehouseContainer(t)
	objs := k8sObjects(t)
	secret, ok := objs["Secret"]
	if !ok {
		t.Fatal("no example Secret")
	}
	var names []string
	fromSecret := map[string]bool{}
	for _, e := range c.Env {
		names = append(names, e.Name)
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		fromSecret[e.Name] = true
		if ref.Name != secret.Metadata.Name {
			t.Errorf("%s comes from Secret %q; the example is %q", e.Name, ref.Name, secret.Metadata.Name)
		}
		if _, ok := secret.StringData[ref.Key]; !ok {
			t.Errorf("%s reads key %q, which the example Secret lacks", e.Name, ref.Key)
		}
	}
	checkSettingNames(t, "kubernetes Deployment", names)
	for _, n := range []string{"admin-token", "master-key", "postgres-url", "redis-url"} {
		if !fromSecret[config.EnvName(n)] {
			t.Errorf("%s does not come from the Secret", config.EnvName(n))
		}
	}
	if d.Replicas != 3 {
		t.Errorf("replicas: %d; want 3", d.Replicas)
	}
	if d.Replicas > 1 && !fromSecret[config.EnvName("postgres-url")] {
		t.Error("several replicas without GATEHOUSE_POSTGRES_URL would each have their own SQLite")
	}
}

func TestKubernetesSelectorsMatch(t *testing.T) {
	d, c := gatehouseContainer(t)
	labels := d.Template.Metadata.Labels
	matches := func(sel map[string]string) bool {
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if !matches(d.Selector.MatchLabels) {
		t.Errorf("Deployment selector %v does not match its pods' labels %v", d.Selector.MatchLabels, labels)
	}
	svcObj, ok := k8sObjects(t)["Service"]
	if !ok {
		t.Fatal("no Service")
	}
	svc := decodeSpec[serviceSpec](t, svcObj)
	if !matches(svc.Selector) {
		t.Errorf("Service selector %v does not match the pods' labels %v", svc.Selector, labels)
	}
	for _, p := range svc.Ports {
		if !portMatches(p.TargetPort, c) {
			t.Errorf("Service port %d targets %q, not a container port", p.Port, p.TargetPort.Value)
		}
	}
}

// TestKubernetesArgsParse runs the container's args, with --help, through
// the binary built as the Dockerfile builds it.
func TestKubernetesArgsParse(t *testing.T) {
	bin, _ := binary(t)
	_, c := gatehouseContainer(t)
	if out, code := run(t, bin, append(slices.Clone(c.Args), "--help")...); code != 0 {
		t.Errorf("container args %q do not parse: exit %d\n%s", c.Args, code, out)
	}
}
