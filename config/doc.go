// Package config is Gatehouse's configuration as data: the Config struct,
// its defaults, validation that reports every problem at once, and loading
// from flags, GATEHOUSE_* environment variables and a YAML file.
//
// Precedence is flag > environment > file > default. No other package reads
// flags or the environment.
package config
