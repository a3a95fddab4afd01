// Package scripts holds no code: its test runs the shell scripts in this
// directory (cluster-demo.sh), so a demo that humans copy from never rots.
package scripts
