package keys

import (
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

// entry is a stored key with its parsed material and, once known, the time
// it stopped signing.
type entry struct {
	meta store.Key // Private is dropped once parsed
	key  *token.Key
	stop time.Time
}

// plan is what the schedule decides from the stored keys at one instant.
// It is a pure function of (keys, alg, now, lifetime), so every node and
// the CLI reading the same store reach the same plan. lifetime matters only
// for keys not yet retired: a retired key's fate is its stored KeepUntil,
// so a process with a shorter access TTL cannot cut a key's life short.
type plan struct {
	signer *entry   // signs now
	next   *entry   // the pending key of alg that takes over first
	live   []*entry // published: signer, pending keys, and stopped keys whose tokens may be alive
	retire []*entry // stopped signing at stop, not yet recorded in the store
	remove []*entry // retired, and their stored KeepUntil has passed: delete
}

// newer orders keys for signing: the latest SignFrom wins, then the latest
// CreatedAt, then the greater ID, so two nodes that generated a key at the
// same moment agree on which one signs.
func newer(a, b *entry) bool {
	switch {
	case !a.meta.SignFrom.Equal(b.meta.SignFrom):
		return a.meta.SignFrom.After(b.meta.SignFrom)
	case !a.meta.CreatedAt.Equal(b.meta.CreatedAt):
		return a.meta.CreatedAt.After(b.meta.CreatedAt)
	}
	return a.meta.ID > b.meta.ID
}

// mayLaterSign: a key of the configured algorithm that was never retired.
func mayLaterSign(e *entry, alg string) bool {
	return e.meta.Alg == alg && e.meta.RetiredAt.IsZero()
}

// schedule computes the plan at now for signing algorithm alg, where
// lifetime is how long a token can be accepted after its key stopped
// signing (this process's access TTL plus leeway). It records in each entry
// when it stopped signing.
//
// A key is deleted only once retired and past its stored KeepUntil. A key
// that stopped but is not retired yet is retired (its KeepUntil becomes
// stop+lifetime); if that instant has passed already it is unpublished at
// once and deleted at the next reload.
func schedule(es []*entry, alg string, now time.Time, lifetime time.Duration) plan {
	var p plan
	p.signer, p.next = signers(es, alg, now)
	for _, e := range es {
		if e == p.signer {
			e.stop = time.Time{}
			p.live = append(p.live, e)
			continue
		}
		e.stop = stoppedAt(e, p.signer, alg, now)
		switch {
		case e.stop.IsZero():
			p.live = append(p.live, e)
		case !e.meta.RetiredAt.IsZero():
			// A token is accepted up to and including KeepUntil (exp plus
			// leeway), so only after that is the key dead.
			if now.After(keepUntil(e.meta, lifetime)) {
				p.remove = append(p.remove, e)
			} else {
				p.live = append(p.live, e)
			}
		case now.After(e.stop.Add(lifetime)):
			p.retire = append(p.retire, e)
		default:
			p.live = append(p.live, e)
			p.retire = append(p.retire, e)
		}
	}
	return p
}

// keepUntil is a retired key's stored KeepUntil. A backend that has none
// for it gets the conservative legacy rule: RetiredAt plus a day, or plus
// lifetime if that is longer.
func keepUntil(k store.Key, lifetime time.Duration) time.Time {
	if !k.KeepUntil.IsZero() {
		return k.KeepUntil
	}
	return k.RetiredAt.Add(max(legacyKeep, lifetime))
}

// signers finds the key that signs at now (the newest of alg whose SignFrom
// has come) and the pending one that will take over first.
func signers(es []*entry, alg string, now time.Time) (signer, next *entry) {
	for _, e := range es {
		if !mayLaterSign(e, alg) {
			continue
		}
		if !e.meta.SignFrom.After(now) {
			if signer == nil || newer(e, signer) {
				signer = e
			}
			continue
		}
		if next == nil || e.meta.SignFrom.Before(next.meta.SignFrom) ||
			(e.meta.SignFrom.Equal(next.meta.SignFrom) && newer(e, next)) {
			next = e
		}
	}
	return signer, next
}

// stoppedAt says when e (not the signer) stopped signing, zero if it has
// not (a pending key). A retired key stopped when it was retired; an older
// key of alg stopped when the signer took over; a key of another algorithm
// (the operator switched) stopped when the current signer started, or when
// it itself started if that was later.
func stoppedAt(e, signer *entry, alg string, now time.Time) time.Time {
	switch {
	case !e.meta.RetiredAt.IsZero():
		return e.meta.RetiredAt
	case e.meta.SignFrom.After(now):
		return time.Time{}
	case e.meta.Alg == alg:
		return signer.meta.SignFrom
	case signer == nil:
		return now
	}
	return later(e.meta.SignFrom, signer.meta.SignFrom)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// rotationDue reports when auto-rotation should prepublish a key, and the
// time that key should start signing: RotateEvery after the signer started,
// but never before it has been published for CacheLifetime.
func rotationDue(p plan, c Config, now time.Time) (time.Time, bool) {
	if c.RotateEvery <= 0 || p.signer == nil || p.next != nil {
		return time.Time{}, false
	}
	started := p.signer.meta.SignFrom
	if now.Before(started.Add(c.RotateEvery - c.CacheLifetime)) {
		return time.Time{}, false
	}
	return later(started.Add(c.RotateEvery), now.Add(c.CacheLifetime)), true
}
