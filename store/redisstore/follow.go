package redisstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// followBlock is how long one WaitRevocations blocks in Redis at most.
const followBlock = 5 * time.Second

// WaitRevocations blocks (XREAD BLOCK on the log's stream) until the log
// holds an entry with an id above afterID, or followBlock passes, and
// returns the highest id it saw (afterID if none). The caller then reads
// the log with Revocations; it waits next after the higher of that id and
// its own cursor, so entries that are no longer in force (not yet trimmed)
// do not wake it again and again. It is how a node hears another node's
// revocation within milliseconds instead of at its next periodic read.
func (s *Store) WaitRevocations(ctx context.Context, afterID int64) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, followBlock+s.opt.Timeout)
	defer cancel()
	res, err := s.c.Do(ctx, s.c.B().Xread().Count(1000).Block(followBlock.Milliseconds()).
		Streams().Key(s.logKeys()[0]).Id(strconv.FormatInt(afterID, 10)+"-0").Build()).AsXRead()
	if rueidis.IsRedisNil(err) {
		return afterID, nil // nothing new within followBlock
	}
	if err != nil {
		return afterID, wrap("wait revocations", err)
	}
	last := afterID
	for _, es := range res {
		for _, e := range es {
			id, _, _ := strings.Cut(e.ID, "-")
			if n, _ := strconv.ParseInt(id, 10, 64); n > last {
				last = n
			}
		}
	}
	return last, nil
}
