package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

var errEmptyChallenge = errors.New("empty challenge hash")

// AddChallenge implements store.Challenges. The challenge lives in its
// user's slot and expires (in Redis' clock) a minute after ExpiresAt;
// ConsumeChallenge decides expiry by the caller's clock.
func (s *Store) AddChallenge(ctx context.Context, c store.Challenge) error {
	if len(c.Hash) == 0 {
		return wrap("add challenge", errEmptyChallenge)
	}
	ttl := max(time.Until(c.ExpiresAt), 0) + time.Minute
	return wrap("add challenge", s.exec(ctx, scriptChallenge, s.userKey(c.UserID), "add",
		hex.EncodeToString(c.Hash), c.UserID, strconv.FormatInt(ttl.Milliseconds(), 10),
		"u", c.UserID, "d", c.DeviceID, "i", c.IP, "ua", c.UserAgent, "e", micro(c.ExpiresAt),
		"v", strconv.FormatInt(c.CredVersion, 10)).Error())
}

// ConsumeChallenge implements store.Challenges: one script reads and
// deletes it, so of concurrent callers exactly one gets it. An expired
// challenge is deleted too and reported as store.ErrNotFound.
func (s *Store) ConsumeChallenge(ctx context.Context, hash []byte, now time.Time) (store.Challenge, error) {
	if len(hash) == 0 {
		return store.Challenge{}, wrap("consume challenge", store.ErrNotFound)
	}
	h := hex.EncodeToString(hash)
	m, err := s.exec(ctx, scriptChallenge, s.p+"chal:"+h, "consume", h).ToMessage()
	if rueidis.IsRedisNil(err) || (err == nil && m.IsNil()) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Challenge{}, wrap("consume challenge", err)
	}
	f, err := m.AsStrSlice()
	if err != nil {
		return store.Challenge{}, wrap("consume challenge", err)
	}
	c := store.Challenge{Hash: hash}
	for i := 0; i+1 < len(f); i += 2 {
		switch v := f[i+1]; f[i] {
		case "u":
			c.UserID = v
		case "d":
			c.DeviceID = v
		case "i":
			c.IP = v
		case "ua":
			c.UserAgent = v
		case "e":
			c.ExpiresAt = fromMicro(v)
		case "v":
			c.CredVersion, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if !c.ExpiresAt.After(now) {
		return store.Challenge{}, fmt.Errorf("redisstore: consume challenge: expired: %w", store.ErrNotFound)
	}
	return c, nil
}
