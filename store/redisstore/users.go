package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// The credential version spans both stores: the users store holds the
// authoritative User.CredVersion, and CreateSession (in Redis) must refuse a
// login whose password check predates a change. So Redis keeps a copy of
// the version, but only around a change (field !v of the user's hash, for
// Options.CredTTL): no key means no change is recent, and any version
// passes — an in-flight login is far shorter than CredTTL.
//
// SetPassword writes Redis FIRST: one script bumps the version, ends the
// sessions (but Keep) with their revocations and drops the challenges;
// then the users store replaces the hash (and bumps its version); then the
// Redis copy is raised to the users store's answer. Failure modes, all
// closed:
//   - Redis down: nothing changed, ErrUnavailable.
//   - users store fails after the script: the sessions are ended (the user
//     logs in again with the old password, which still holds); the Redis
//     version is restored; if that restore is lost too (crash), logins are
//     refused with ErrCredentialChanged until CredTTL passes.
//   - crash after the users store, before the raise: the Redis copy already
//     says version+1, which is what the users store holds now.
// Writing the users store first instead would leave, on a crash, a changed
// password with the old sessions alive: open, so not chosen.

// SetPassword implements store.Credentials across both stores (above).
func (s *Store) SetPassword(ctx context.Context, in store.SetPassword) (store.User, []store.Ended, error) {
	u, err := s.users.UserByID(ctx, in.UserID)
	if err != nil {
		return store.User{}, nil, err
	}
	next := strconv.FormatInt(u.CredVersion+1, 10)
	keep := ""
	if in.Keep != "" {
		keep = encID(in.Keep)
	}
	ended, err := s.end(ctx, "set password", in.UserID, in.Now, in.RevokeUntil, []string{
		encID(in.UserID), in.Reason, "password", keep, next, s.credTTL(),
	})
	if err != nil {
		return store.User{}, nil, err
	}
	nu, _, err := s.users.SetPassword(ctx, in)
	if err != nil {
		// Best effort: the password did not change, so the old version holds.
		rerr := s.cred(context.WithoutCancel(ctx), in.UserID, "restore", strconv.FormatInt(u.CredVersion, 10))
		return store.User{}, ended, errors.Join(err, rerr)
	}
	if nu.CredVersion != u.CredVersion+1 { // a concurrent change got in between
		if err := s.cred(ctx, in.UserID, "raise", strconv.FormatInt(nu.CredVersion, 10)); err != nil {
			return store.User{}, ended, err
		}
	}
	return nu, ended, nil
}

func (s *Store) credTTL() string { return strconv.FormatInt(s.opt.CredTTL.Milliseconds(), 10) }

func (s *Store) cred(ctx context.Context, uid, op, val string) error {
	return wrap("credential version", s.exec(ctx, scriptCred, []string{s.userKey(uid)}, nil, encID(uid), op, val, s.credTTL()).Error())
}

// DeleteUser implements store.Users: Redis first marks the user deleted
// (for CredTTL), so a login that checked the password just before cannot
// create a session after the user is gone; then the users store deletes.
// The caller has ended the sessions already.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	if err := s.cred(ctx, id, "delete", ""); err != nil {
		return err
	}
	err := s.users.DeleteUser(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		err = errors.Join(err, s.cred(context.WithoutCancel(ctx), id, "undelete", ""))
	}
	return err
}

// SetRoles implements store.Users: the users store first, then one script
// copies the roles onto the user's sessions. If Redis fails in between the
// error is returned and the sessions keep their old roles until the call
// is repeated (the admin API answers an error, so it will be).
func (s *Store) SetRoles(ctx context.Context, id string, roles []string, now time.Time) (store.User, error) {
	u, err := s.users.SetRoles(ctx, id, roles, now)
	if err != nil {
		return store.User{}, err
	}
	if roles == nil {
		roles = []string{}
	}
	r, err := json.Marshal(roles)
	if err != nil {
		return store.User{}, err
	}
	if err := s.exec(ctx, scriptRoles, []string{s.userKey(id)}, nil, encID(id), string(r)).Error(); err != nil {
		return store.User{}, wrap("set roles", err)
	}
	return u, nil
}
