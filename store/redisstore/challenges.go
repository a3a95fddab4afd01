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

// AddChallenge implements store.Challenges. The challenge is a field of
// its user's hash (one slot), which lives at least a minute past
// ExpiresAt (in Redis' clock); ConsumeChallenge decides expiry by the
// caller's clock.
func (s *Store) AddChallenge(ctx context.Context, c store.Challenge) error {
	if len(c.Hash) == 0 {
		return wrap("add challenge", errEmptyChallenge)
	}
	ttl := max(time.Until(c.ExpiresAt), 0) + time.Minute
	return wrap("add challenge", s.exec(ctx, scriptChallenge, []string{s.userKey(c.UserID)}, nil, "add",
		hex.EncodeToString(c.Hash), strconv.FormatInt(ttl.Milliseconds(), 10),
		c.DeviceID, c.IP, c.UserAgent, micro(c.ExpiresAt), strconv.FormatInt(c.CredVersion, 10)).Error())
}

// ConsumeChallenge implements store.Challenges: one script reads and
// deletes it, so of concurrent callers exactly one gets it. An expired
// challenge is deleted too and reported as store.ErrNotFound.
func (s *Store) ConsumeChallenge(ctx context.Context, userID string, hash []byte, now time.Time) (store.Challenge, error) {
	if len(hash) == 0 {
		return store.Challenge{}, wrap("consume challenge", store.ErrNotFound)
	}
	v, err := s.exec(ctx, scriptChallenge, []string{s.userKey(userID)}, nil, "consume", hex.EncodeToString(hash)).AsStrSlice()
	if rueidis.IsRedisNil(err) {
		err = store.ErrNotFound
	}
	if err == nil && len(v) != 5 {
		err = fmt.Errorf("challenge reply of %d items", len(v))
	}
	if err != nil {
		return store.Challenge{}, wrap("consume challenge", err)
	}
	ver, _ := strconv.ParseInt(v[4], 10, 64)
	c := store.Challenge{Hash: hash, UserID: userID, DeviceID: v[0], IP: v[1], UserAgent: v[2],
		ExpiresAt: fromMicro(v[3]), CredVersion: ver}
	if !c.ExpiresAt.After(now) {
		return store.Challenge{}, fmt.Errorf("redisstore: consume challenge: expired: %w", store.ErrNotFound)
	}
	return c, nil
}
