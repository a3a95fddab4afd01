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
// holds a random id and a time (beside the revocation log: in a Cluster it
// lives and dies with the log's primary). It has no TTL, so it lives exactly as long as the
// sessions and the revocation log do; when Redis restarts empty (no
// persistence), is flushed or loses its data otherwise, the key is gone
// too, and the next caller creates a new one (SET NX: all nodes agree on
// the winner). A node that sees the id change, or starts, refuses every
// access token issued before the epoch's time (see app/epoch.go).
//
// The time of a new epoch is the later of Redis's own start (server time
// minus uptime: no session of this Redis is older) and atLeast (what the
// creating node knows: when it last saw the previous epoch).
func (s *Store) Epoch(ctx context.Context, atLeast time.Time) (id string, since time.Time, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
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
