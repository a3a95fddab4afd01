package app

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/dpop"
	"github.com/gatehouse/gatehouse/keys"
	"github.com/gatehouse/gatehouse/store"
)

// dpopCheckers builds the DPoP proof checkers (resource endpoints, token
// endpoints) on one replay cache: in memory on a single node (SQLite: no
// store round trip), shared through the store when it is distributed
// (PostgreSQL, Redis), so a proof used on one node is refused on every
// other. With --dpop-nonce the token endpoints' checker also demands a
// server nonce derived from a sealed server secret all nodes share.
func (a *App) dpopCheckers(ctx context.Context) (resource, tokens *dpop.Checker, err error) {
	c := a.Config
	var replay dpop.ReplayCache = dpop.NewMemoryReplay(0, a.Now)
	if shared, ok := a.Store.(store.ProofReplay); ok {
		replay = sharedReplay{local: replay.(*dpop.MemoryReplay), shared: shared, now: a.Now}
	}
	resource = dpop.New(dpop.Options{Now: a.Now, Replay: replay})
	if !c.DPoPNonce {
		return resource, resource, nil
	}
	key, err := keys.Secret(ctx, a.Store, a.Seal, "dpop-nonce", 32)
	if err != nil {
		return nil, nil, err
	}
	tokens = dpop.New(dpop.Options{Now: a.Now, Replay: replay, Nonce: dpop.NewNonces(key, 0, a.Now)})
	return resource, tokens, nil
}

// sharedReplay asks the node's memory first (a proof replayed to the same
// node is refused without a round trip), then the store, whose one atomic
// set-if-absent decides across nodes.
type sharedReplay struct {
	local  *dpop.MemoryReplay
	shared store.ProofReplay
	now    func() time.Time
}

func (r sharedReplay) Use(ctx context.Context, jti, jkt string, until time.Time) (bool, error) {
	first, err := r.local.Use(ctx, jti, jkt, until)
	if err != nil || !first {
		return false, err
	}
	return r.shared.UseProof(ctx, dpop.ReplayKey(jti, jkt), until, r.now())
}
