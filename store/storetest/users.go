package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// caseVariants are pairs of spellings of one name: equal under
// store.NormalizeUsername (PRECIS UsernameCaseMapped, or the legacy case fold
// for a name PRECIS refuses).
var caseVariants = [][2]string{
	{"Alice", "aLICE"},
	{"straße", "STRAẞE"},        // ß and capital sharp s
	{"\u212Aelvin", "kelvin"},   // Kelvin sign
	{"ｆｕｌｌ", "FULL"},            // fullwidth
	{"Jose\u0301", "JOS\u00c9"}, // NFD and NFC
	{"ǅemal", "ǆEMAL"},          // titlecase digraph: refused by PRECIS, legacy key
}

// lookAlikes are names with the skeleton of "admin" but keys of their own.
var lookAlikes = []string{
	"\u0430dmin",                     // Cyrillic а
	"\u0430\u0501min",                // Cyrillic а and ԁ
	"adrnin",                         // rn for m
	"ADM\u0406N",                     // Ukrainian І
	"\u0251\u0064\u006d\u0131\u006e", // Latin alpha and dotless i
}

var userTests = []test{
	{"create and get by id", func(t *testing.T, s store.Store) {
		want := mustUser(t, s, "u1", "alice", at(0))
		want.Roles = []string{"admin", "user"}
		want.ID = id("u2")
		want.Username = "bob"
		if err := s.CreateUser(t.Context(), want); err != nil {
			t.Fatal(err)
		}
		got, err := s.UserByID(t.Context(), want.ID)
		wantErr(t, "UserByID", err, nil)
		checkUser(t, "UserByID", got, want)
	}},
	{"get by name finds every spelling of a name (PRECIS) and keeps the stored one", func(t *testing.T, s store.Store) {
		for i, p := range caseVariants {
			want := mustUser(t, s, p[0], p[0], at(time.Duration(i)*time.Second))
			for _, name := range p {
				got, err := s.UserByName(t.Context(), name)
				wantErr(t, "UserByName("+name+")", err, nil)
				checkUser(t, "UserByName("+name+")", got, want)
			}
		}
	}},
	{"another spelling of a taken name is ErrUserExists", func(t *testing.T, s store.Store) {
		for i, p := range caseVariants {
			first := mustUser(t, s, p[0], p[0], at(time.Duration(i)*time.Second))
			dup := first
			dup.ID, dup.Username = id(p[0]+"-dup"), p[1]
			wantErr(t, "CreateUser("+p[1]+")", s.CreateUser(t.Context(), dup), store.ErrUserExists)
			_, err := s.UserByID(t.Context(), dup.ID)
			wantErr(t, "UserByID(duplicate)", err, store.ErrNotFound)
			got, err := s.UserByName(t.Context(), p[1])
			wantErr(t, "UserByName", err, nil)
			checkUser(t, "UserByName after duplicate", got, first)
		}
		us, err := s.ListUsers(t.Context(), 0)
		wantErr(t, "ListUsers", err, nil)
		if len(us) != len(caseVariants) {
			t.Errorf("ListUsers: %d users, want %d", len(us), len(caseVariants))
		}
	}},
	{"look-alike of a taken name is ErrUserExists", func(t *testing.T, s store.Store) {
		admin := mustUser(t, s, "admin", "admin", at(0))
		for i, name := range lookAlikes {
			if store.NormalizeUsername(name) == store.NormalizeUsername("admin") {
				t.Fatalf("%q has the key of admin; it is no look-alike", name)
			}
			u := admin
			u.ID, u.Username, u.CreatedAt = id(name), name, at(time.Duration(i+1)*time.Second)
			wantErr(t, "CreateUser("+name+")", s.CreateUser(t.Context(), u), store.ErrUserExists)
			_, err := s.UserByName(t.Context(), name)
			wantErr(t, "UserByName("+name+")", err, store.ErrNotFound) // by key, never by skeleton
		}
		us, err := s.ListUsers(t.Context(), 0)
		wantErr(t, "ListUsers", err, nil)
		if len(us) != 1 {
			t.Errorf("ListUsers: %d users, want only admin", len(us))
		}
		got, err := s.UserByName(t.Context(), "ＡＤＭＩＮ")
		wantErr(t, "UserByName(ＡＤＭＩＮ)", err, nil)
		checkUser(t, "UserByName(ＡＤＭＩＮ)", got, admin)
	}},
	{"delete user frees its skeleton", func(t *testing.T, s store.Store) {
		admin := mustUser(t, s, "admin", "admin", at(0))
		wantErr(t, "DeleteUser", s.DeleteUser(t.Context(), admin.ID), nil)
		u := mustUser(t, s, "lookalike", lookAlikes[0], at(time.Second))
		got, err := s.UserByName(t.Context(), lookAlikes[0])
		wantErr(t, "UserByName", err, nil)
		checkUser(t, "UserByName(look-alike) after admin was deleted", got, u)
		_, err = s.UserByName(t.Context(), "admin")
		wantErr(t, "UserByName(admin)", err, store.ErrNotFound)
	}},
	{"concurrent signups of one name or its look-alikes: exactly one wins", func(t *testing.T, s store.Store) {
		errs := make([]error, workers)
		parallel(workers, func(i int) {
			name := []rune("admin")
			for j := range name { // spellings: fullwidth letters by the bits of i
				if i&(1<<j) != 0 {
					name[j] += 'ａ' - 'a'
				}
			}
			if i%3 == 0 {
				name[0] = '\u0430' // Cyrillic а: another key, the same skeleton
			}
			u := store.User{ID: id(fmt.Sprint("racer", i)), Username: string(name), Roles: []string{}, CreatedAt: at(0), UpdatedAt: at(0)}
			errs[i] = s.CreateUser(t.Context(), u)
		})
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrUserExists):
				t.Errorf("worker %d: %v, want nil or ErrUserExists", i, err)
			}
		}
		us, err := s.ListUsers(t.Context(), 0)
		wantErr(t, "ListUsers", err, nil)
		if won != 1 || len(us) != 1 {
			t.Fatalf("%d signups won, %d users; want exactly one", won, len(us))
		}
	}},
	{"unknown user is ErrNotFound", func(t *testing.T, s store.Store) {
		mustUser(t, s, "u1", "alice", at(0))
		ctx := t.Context()
		_, err := s.UserByID(ctx, id("nobody"))
		wantErr(t, "UserByID", err, store.ErrNotFound)
		_, err = s.UserByName(ctx, "nobody")
		wantErr(t, "UserByName", err, store.ErrNotFound)
		_, err = s.SetRoles(ctx, id("nobody"), []string{"x"}, at(time.Hour))
		wantErr(t, "SetRoles", err, store.ErrNotFound)
		wantErr(t, "SetPasswordHash", s.SetPasswordHash(ctx, id("nobody"), "h", 0, at(time.Hour)), store.ErrNotFound)
	}},
	{"list users orders by creation and limits", func(t *testing.T, s store.Store) {
		us, err := s.ListUsers(t.Context(), 0)
		wantErr(t, "ListUsers(empty store)", err, nil)
		if len(us) != 0 {
			t.Fatalf("ListUsers on an empty store: %d users", len(us))
		}
		// Inserted out of creation order.
		c := mustUser(t, s, "c", "carol", at(3*time.Second))
		a := mustUser(t, s, "a", "alice", at(1*time.Second))
		b := mustUser(t, s, "b", "bob", at(2*time.Second))
		for _, tc := range []struct {
			limit int
			want  []store.User
		}{{0, []store.User{a, b, c}}, {2, []store.User{a, b}}, {1, []store.User{a}}, {10, []store.User{a, b, c}}} {
			got, err := s.ListUsers(t.Context(), tc.limit)
			wantErr(t, "ListUsers", err, nil)
			if len(got) != len(tc.want) {
				t.Fatalf("ListUsers(%d): %d users, want %d", tc.limit, len(got), len(tc.want))
			}
			for i := range got {
				checkUser(t, "ListUsers", got[i], tc.want[i])
			}
		}
	}},
	{"set roles", func(t *testing.T, s store.Store) {
		u := mustUser(t, s, "u1", "alice", at(0))
		want := u
		want.Roles, want.UpdatedAt = []string{"admin", "auditor"}, at(time.Hour)
		got, err := s.SetRoles(t.Context(), u.ID, want.Roles, at(time.Hour))
		wantErr(t, "SetRoles", err, nil)
		checkUser(t, "SetRoles result", got, want)
		got, err = s.UserByID(t.Context(), u.ID)
		wantErr(t, "UserByID", err, nil)
		checkUser(t, "UserByID after SetRoles", got, want)
	}},
	{"set roles to none (nil or empty reads back empty)", func(t *testing.T, s store.Store) {
		u := mustUser(t, s, "u1", "alice", at(0))
		for _, roles := range [][]string{{}, nil} {
			got, err := s.SetRoles(t.Context(), u.ID, roles, at(time.Hour))
			wantErr(t, "SetRoles", err, nil)
			if len(got.Roles) != 0 {
				t.Errorf("SetRoles(%#v) result roles = %q", roles, got.Roles)
			}
			got, err = s.UserByID(t.Context(), u.ID)
			wantErr(t, "UserByID", err, nil)
			if len(got.Roles) != 0 {
				t.Errorf("after SetRoles(%#v): roles = %q", roles, got.Roles)
			}
		}
	}},
	{"set password hash replaces only the hash", func(t *testing.T, s store.Store) {
		u := mustUser(t, s, "u1", "alice", at(0))
		want := u
		want.PasswordHash, want.UpdatedAt = "$argon2id$v=19$m=131072,t=4,p=4$new", at(time.Hour)
		wantErr(t, "SetPasswordHash", s.SetPasswordHash(t.Context(), u.ID, want.PasswordHash, 0, at(time.Hour)), nil)
		got, err := s.UserByID(t.Context(), u.ID)
		wantErr(t, "UserByID", err, nil)
		checkUser(t, "after SetPasswordHash", got, want)
	}},
	{"delete user frees the username", func(t *testing.T, s store.Store) {
		u := mustUser(t, s, "u1", "Alice", at(0))
		bob := mustUser(t, s, "u2", "bob", at(time.Second))
		wantErr(t, "DeleteUser", s.DeleteUser(t.Context(), u.ID), nil)
		_, err := s.UserByID(t.Context(), u.ID)
		wantErr(t, "UserByID after DeleteUser", err, store.ErrNotFound)
		for _, name := range []string{"Alice", "aLICE"} {
			_, err = s.UserByName(t.Context(), name)
			wantErr(t, "UserByName("+name+") after DeleteUser", err, store.ErrNotFound)
		}
		us, err := s.ListUsers(t.Context(), 0)
		wantErr(t, "ListUsers", err, nil)
		if len(us) != 1 || us[0].ID != bob.ID {
			t.Errorf("ListUsers after DeleteUser: %d users, want only bob", len(us))
		}
		again := mustUser(t, s, "u3", "ALICE", at(time.Hour)) // a case variant of the freed name
		got, err := s.UserByName(t.Context(), "alice")
		wantErr(t, "UserByName(alice) after re-signup", err, nil)
		checkUser(t, "UserByName after re-signup", got, again)
		checkUser(t, "bob after DeleteUser", mustUserByID(t, s, bob.ID), bob)
	}},
	{"delete unknown or deleted user is ErrNotFound", func(t *testing.T, s store.Store) {
		u := mustUser(t, s, "u1", "alice", at(0))
		wantErr(t, "DeleteUser(unknown)", s.DeleteUser(t.Context(), id("nobody")), store.ErrNotFound)
		wantErr(t, "DeleteUser", s.DeleteUser(t.Context(), u.ID), nil)
		wantErr(t, "DeleteUser(again)", s.DeleteUser(t.Context(), u.ID), store.ErrNotFound)
	}},
	{"odd unicode usernames round-trip byte-exact", func(t *testing.T, s store.Store) {
		names := []string{
			"Zoë", "Jose\u0301", "日本語ユーザー", "🦊\u200d🔥", "\u200bzero width",
			"ｆｕｌｌｗｉｄｔｈ", "İstanbul", "a\u00a0b", "ⅻ", "x\U0010FFFD",
		}
		for i, n := range names {
			u := mustUser(t, s, n, n, at(time.Duration(i)*time.Second))
			got, err := s.UserByID(t.Context(), u.ID)
			wantErr(t, "UserByID", err, nil)
			if got.Username != n {
				t.Errorf("UserByID: username %q (% x), want %q (% x)", got.Username, got.Username, n, n)
			}
			got, err = s.UserByName(t.Context(), n)
			wantErr(t, "UserByName("+n+")", err, nil)
			if got.ID != u.ID || got.Username != n {
				t.Errorf("UserByName(%q) = %q %q", n, got.ID, got.Username)
			}
		}
	}},
}

func mustUserByID(t *testing.T, s store.Store, userID string) store.User {
	t.Helper()
	u, err := s.UserByID(t.Context(), userID)
	if err != nil {
		t.Fatalf("UserByID(%s): %v", userID, err)
	}
	return u
}
