package redisstore

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// Take implements store.Limits in one script (lua/bucket.lua): every
// bucket is refilled and checked, and only if each has a token are they
// all written. A denied Take writes nothing.
func (s *Store) Take(ctx context.Context, bs []store.Bucket, now time.Time) (bool, time.Duration, error) {
	if len(bs) == 0 {
		return true, 0, nil
	}
	a, err := s.exec(ctx, scriptBucket, s.bucketKeys(bs), nil, bucketArgs("take", bs, now)...).ToArray()
	if err != nil {
		return false, 0, wrap("take", err)
	}
	if ok, _ := a[0].AsInt64(); ok == 1 {
		return true, 0, nil
	}
	w, _ := a[1].ToString()
	if w == "inf" {
		return false, time.Duration(math.MaxInt64), nil
	}
	ns, err := strconv.ParseFloat(w, 64)
	if err != nil {
		return false, 0, wrap("take", err)
	}
	return false, time.Duration(ns), nil
}

// Refund implements store.Limits; a missing bucket is full already.
func (s *Store) Refund(ctx context.Context, bs []store.Bucket, now time.Time) error {
	if len(bs) == 0 {
		return nil
	}
	return wrap("refund", s.exec(ctx, scriptBucket, s.bucketKeys(bs), nil, bucketArgs("refund", bs, now)...).Error())
}

func (s *Store) bucketKeys(bs []store.Bucket) []string {
	keys := make([]string, len(bs))
	for i, b := range bs {
		keys[i] = s.bucketKey(b.Key)
	}
	return keys
}

func bucketArgs(op string, bs []store.Bucket, now time.Time) []string {
	args := []string{op, micro(now)}
	for _, b := range bs {
		args = append(args, strconv.FormatFloat(b.Rate, 'g', -1, 64), strconv.Itoa(b.Burst))
	}
	return args
}
