package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDeployDocs keeps docs/deploy.md pointing at the artefacts these
// tests check, and naming only real settings.
func TestDeployDocs(t *testing.T) {
	b, err := os.ReadFile("../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, link := range []string{"(../Dockerfile)", "(../deploy/systemd)", "(../deploy/kubernetes)", "(../deploy/systemd/gatehouse.service)"} {
		if !strings.Contains(doc, link) {
			t.Errorf("docs/deploy.md does not link %s", link)
		}
		path := "../docs/" + strings.Trim(link, "()")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("docs/deploy.md links %s: %v", link, err)
		}
	}
	names := regexp.MustCompile(`GATEHOUSE_[A-Z0-9_]+`).FindAllString(doc, -1)
	checkSettingNames(t, "docs/deploy.md", names)
}
