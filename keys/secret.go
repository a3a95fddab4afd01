package keys

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/keys/seal"
	"github.com/gatehouse/gatehouse/store"
)

// kindSecret is the seal kind of a named server secret; its name is the
// seal name.
const kindSecret = "secret"

// Secret returns the named server secret, size random bytes made on first
// use, shared by every node on st (store.Keys.Secret). At rest it is sealed
// under box, with its name bound in, so the database alone never yields it.
// A secret stored in clear by a Gatehouse from before sealing is sealed in
// place and returned unchanged. A secret sealed under another master key is
// an error wrapping seal.ErrOpen.
func Secret(ctx context.Context, st store.Keys, box *seal.Box, name string, size int) ([]byte, error) {
	gen := func() ([]byte, error) {
		b := make([]byte, size)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		return box.Seal(kindSecret, name, b), nil
	}
	for range 3 {
		v, err := st.Secret(ctx, name, gen)
		if err != nil {
			return nil, fmt.Errorf("keys: secret %s: %w", name, err)
		}
		if seal.IsSealed(v) {
			plain, err := box.Open(kindSecret, name, v)
			if err != nil {
				return nil, fmt.Errorf("keys: %w", err)
			}
			return plain, nil
		}
		err = st.ReplaceSecret(ctx, name, v, box.Seal(kindSecret, name, v))
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("keys: seal secret %s: %w", name, err)
		}
		// Another process sealed (or changed) it meanwhile: read it again.
	}
	return nil, fmt.Errorf("keys: secret %s keeps changing", name)
}
