package redisstore

import (
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// Ids are stored encoded: a UUID in its canonical form (what authn makes)
// as its 16 bytes in a base64 whose alphabet is in ASCII order (22
// characters, not 36, and they sort as the ids do, which the rules'
// tie-breaks rely on); any other id as '=' and the id ('=' is not in the
// alphabet, so the two never collide).
var sortable = base64.NewEncoding("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz").WithPadding(base64.NoPadding)

func encID(id string) string {
	if len(id) == 36 {
		if u, err := uuid.Parse(id); err == nil && u.String() == id {
			return sortable.EncodeToString(u[:])
		}
	}
	return "=" + id
}

func decID(v string) string {
	if rest, ok := strings.CutPrefix(v, "="); ok {
		return rest
	}
	b, err := sortable.DecodeString(v)
	if err != nil || len(b) != 16 {
		return v // not ours: shown as stored
	}
	return uuid.UUID(b).String()
}

func encIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = encID(id)
	}
	return out
}
