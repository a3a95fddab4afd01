package redisstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// Epoch names the life of this Redis's data: the key <prefix>{r}:epoch
// holds a random id and a time (beside the revocation log). It has no TTL,
// so it lives exactly as long as the sessions and the revocation log do;
// when Redis restarts empty (no persistence), is flushed or loses its data
// otherwise, the key is gone too, and the next caller creates a new one
// (SET NX: all nodes agree on the winner). A node that sees the id change,
// or starts, refuses every access token issued before the epoch's time
// (see app/epoch.go).
//
// The time of a new epoch is the later of Redis's own start (server time
// minus uptime: no session of this Redis is older) and atLeast (what the
// creating node knows: when it last saw the previous epoch).
//
// On a Redis Cluster one key cannot tell, since each primary loses its
// data alone: see clusterEpoch.
func (s *Store) Epoch(ctx context.Context, atLeast time.Time) (id string, since time.Time, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	if s.cluster {
		return s.clusterEpoch(ctx, atLeast)
	}
	key := s.epochKey()
	v, err := s.c.Do(ctx, s.c.B().Get().Key(key).Build()).ToString()
	if err == nil {
		return parseEpoch(v)
	}
	if !rueidis.IsRedisNil(err) {
		return "", time.Time{}, wrap("epoch", err)
	}
	info, err := s.c.Do(ctx, s.c.B().Info().Section("server").Build()).ToString()
	if err != nil {
		return "", time.Time{}, wrap("epoch", err)
	}
	start, err := redisStart(info)
	if err != nil {
		return "", time.Time{}, err
	}
	if atLeast.After(start) {
		start = atLeast
	}
	mine := rand.Text()[:16] + " " + strconv.FormatInt(start.UnixMicro(), 10)
	old, err := s.c.Do(ctx, s.c.B().Set().Key(key).Value(mine).Nx().Get().Build()).ToString()
	switch {
	case rueidis.IsRedisNil(err): // ours
		return parseEpoch(mine)
	case err != nil:
		return "", time.Time{}, wrap("epoch", err)
	}
	return parseEpoch(old) // another node created it first
}

// On a Redis Cluster the epoch is spread over the slot space, so that a
// primary that restarts empty — any of them, not only the log's — takes a
// part of it along: beside the main key <prefix>{r}:epoch (the authority,
// with the log) each block of epochBlockSlots slots has a copy,
// <prefix>{e:<n>}:epoch, whose hash tag e:<n> falls in that block
// (epochTags). A primary that owns a run of at least 2×epochBlockSlots
// contiguous slots owns a whole block, so it holds at least one copy; a
// layout that gives a primary only scattered slots may leave it without
// one, and then its loss goes unnoticed (as before this scheme).
const (
	epochBlocks     = 256
	epochBlockSlots = 16384 / epochBlocks
)

// epochTags[b] is the hash tag of block b's copy: the first "e:<n>"
// (n = 0, 1, 2, …) whose slot lies in block b. Every node computes the same.
var epochTags = func() [epochBlocks]string {
	var tags [epochBlocks]string
	left := epochBlocks
	for n := 0; left > 0; n++ {
		tag := "e:" + strconv.Itoa(n)
		if b := int(crc16(tag)%16384) / epochBlockSlots; tags[b] == "" {
			tags[b] = tag
			left--
		}
	}
	return tags
}()

// epochBlockKeys are the copies' keys, block by block.
func (s *Store) epochBlockKeys() []string {
	keys := make([]string, epochBlocks)
	for b, tag := range epochTags {
		keys[b] = s.p + "{" + tag + "}:epoch"
	}
	return keys
}

// scriptEpoch replaces the main epoch key if it still holds ARGV[1] (""
// for absent) or is absent, with the id ARGV[2] and the later of the
// primary's clock and ARGV[3] (µs); it returns the key's value after.
var scriptEpoch = rueidis.NewLuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return cur end
local t = redis.call('TIME')
local us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local least = tonumber(ARGV[3])
if least > us then us = least end
local v = ARGV[2] .. ' ' .. string.format('%d', us)
redis.call('SET', KEYS[1], v)
return v
`)

// clusterEpoch reads the main key and every block's copy in one round of
// pipelined GETs:
//
//   - all present and equal to the main key: that epoch;
//   - all present, some different: a node is writing a new epoch to the
//     copies; write the main key's value to them too (SET XX: never
//     bringing back a copy that was lost meanwhile) and return it;
//   - the main key present and every copy absent: a first start, or a
//     deployment from before the copies (the main key's primary holds
//     copies of its own, so it cannot have lost them while keeping the
//     main key): write the copies, no new epoch;
//   - otherwise a copy is missing, so its primary lost its data (or the
//     main key is, and the log went with it): a new epoch. The main key
//     is compared and set from the value seen to a new id whose time is
//     now (the main key's primary's clock, or atLeast if later): fail
//     closed, every access token issued before the detection is refused
//     and surviving users just refresh. The winner (ours, or another
//     node's if it got there first) is written to every copy: SET for
//     those seen missing, SET XX for the others, so a primary that loses
//     its data during this call still shows it at the next.
//
// Races can make a spurious new epoch (two nodes starting on an empty
// Cluster, or a node reading while another writes the copies of a new
// epoch): that only refuses a few more tokens, whose users refresh —
// fail closed either way.
func (s *Store) clusterEpoch(ctx context.Context, atLeast time.Time) (string, time.Time, error) {
	keys := append([]string{s.epochKey()}, s.epochBlockKeys()...)
	cmds := make(rueidis.Commands, len(keys))
	for i, k := range keys {
		cmds[i] = s.c.B().Get().Key(k).Build()
	}
	vals := make([]string, len(keys))
	present := make([]bool, len(keys))
	for i, r := range s.c.DoMulti(ctx, cmds...) {
		v, err := r.ToString()
		switch {
		case err == nil:
			vals[i], present[i] = v, true
		case !rueidis.IsRedisNil(err):
			return "", time.Time{}, wrap("epoch", err)
		}
	}
	main, copies := vals[0], 0
	differ := false
	for i := 1; i < len(keys); i++ {
		if present[i] {
			copies++
			differ = differ || vals[i] != main
		}
	}
	switch {
	case present[0] && copies == epochBlocks:
		if differ {
			if err := s.writeEpochCopies(ctx, keys, present, main); err != nil {
				return "", time.Time{}, err
			}
		}
		return parseEpoch(main)
	case present[0] && copies == 0:
		if err := s.writeEpochCopies(ctx, keys, present, main); err != nil {
			return "", time.Time{}, err
		}
		return parseEpoch(main)
	}
	seen, least := "", int64(0)
	if present[0] {
		seen = main
	}
	if !atLeast.IsZero() {
		least = atLeast.UnixMicro()
	}
	v, err := scriptEpoch.Exec(ctx, s.c, keys[:1], []string{seen, rand.Text()[:16], strconv.FormatInt(least, 10)}).ToString()
	if err != nil {
		return "", time.Time{}, wrap("epoch", err)
	}
	if err := s.writeEpochCopies(ctx, keys, present, v); err != nil {
		return "", time.Time{}, err
	}
	return parseEpoch(v)
}

// writeEpochCopies writes v to every block's copy (keys[1:]): SET where
// the copy was seen missing, SET XX where it was present.
func (s *Store) writeEpochCopies(ctx context.Context, keys []string, present []bool, v string) error {
	cmds := make(rueidis.Commands, 0, len(keys)-1)
	for i := 1; i < len(keys); i++ {
		if present[i] {
			cmds = append(cmds, s.c.B().Set().Key(keys[i]).Value(v).Xx().Build())
		} else {
			cmds = append(cmds, s.c.B().Set().Key(keys[i]).Value(v).Build())
		}
	}
	for _, r := range s.c.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil && !rueidis.IsRedisNil(err) {
			return wrap("epoch", err)
		}
	}
	return nil
}

// crc16 is Redis Cluster's key hash (CRC-16/XMODEM): a key's slot is
// crc16 of its hash tag mod 16384.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func parseEpoch(v string) (string, time.Time, error) {
	id, t, ok := strings.Cut(v, " ")
	us, err := strconv.ParseInt(t, 10, 64)
	if !ok || err != nil {
		return "", time.Time{}, fmt.Errorf("redisstore: epoch key holds %q", v)
	}
	return id, time.UnixMicro(us), nil
}

// redisStart is when the Redis process started, from INFO server.
func redisStart(info string) (time.Time, error) {
	var now, up int64 = -1, -1
	for _, line := range strings.Split(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		switch k {
		case "server_time_usec":
			now, _ = strconv.ParseInt(v, 10, 64)
		case "uptime_in_seconds":
			up, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if now < 0 || up < 0 {
		return time.Time{}, fmt.Errorf("redisstore: epoch: INFO server without server_time_usec or uptime_in_seconds")
	}
	return time.UnixMicro(now).Add(-time.Duration(up) * time.Second), nil
}
