// Package deploy holds no code: its tests keep the deployment artefacts
// true — the Dockerfile at the repository root, deploy/systemd and
// deploy/kubernetes — by building the binary exactly as the Dockerfile does
// and checking every unit key, probe and GATEHOUSE_* name against the
// binary and the config package. docs/deploy.md explains the artefacts.
package deploy
