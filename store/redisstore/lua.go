package redisstore

import (
	"embed"

	"github.com/redis/rueidis"
)

//go:embed lua/*.lua
var luaFS embed.FS

// luaSource is common.lua and rules.lua followed by the script name (""
// for none: the rules test appends its own harness); a named script starts
// with deadline.lua and reads the revoked list (revoked.lua) before its
// own arguments, as Store.exec passes them.
func luaSource(name string) string {
	var src []byte
	files := []string{"common.lua", "rules.lua"}
	if name != "" {
		files = append(append([]string{"deadline.lua"}, files...), "revoked.lua", name)
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		b, err := luaFS.ReadFile("lua/" + f)
		if err != nil {
			panic(err) // embedded: cannot happen
		}
		src = append(append(src, b...), '\n')
	}
	return string(src)
}

// The scripts, loaded by SHA (EVALSHA, falling back to EVAL once).
var (
	scriptCreate    = rueidis.NewLuaScript(luaSource("create.lua"))
	scriptRotate    = rueidis.NewLuaScript(luaSource("rotate.lua"))
	scriptChange    = rueidis.NewLuaScript(luaSource("change.lua"))
	scriptRenew     = rueidis.NewLuaScript(luaSource("renew.lua"))
	scriptEnd       = rueidis.NewLuaScript(luaSource("end.lua"))
	scriptRead      = rueidis.NewLuaScriptReadOnly(luaSource("read.lua"))
	scriptList      = rueidis.NewLuaScriptReadOnly(luaSource("list.lua"))
	scriptRoles     = rueidis.NewLuaScript(luaSource("roles.lua"))
	scriptCred      = rueidis.NewLuaScript(luaSource("cred.lua"))
	scriptRevoke    = rueidis.NewLuaScript(luaSource("revoke.lua"))
	scriptSweep     = rueidis.NewLuaScript(luaSource("sweep.lua"))
	scriptChallenge = rueidis.NewLuaScript(luaSource("challenge.lua"))
	scriptBucket    = rueidis.NewLuaScript(luaSource("bucket.lua"))
)
