package store_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/store"
)

func TestNormalizeUsername(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, a, b string
		sameKey    bool
	}{
		{"case", "Alice", "aLICE", true},
		{"fullwidth", "admin", "ａｄｍｉｎ", true},
		{"fullwidth capitals", "admin", "ＡＤＭＩＮ", true},
		{"NFD and NFC", "jose\u0301", "jos\u00e9", true},
		{"sharp s and capital sharp s", "straße", "STRAẞE", true},
		{"Kelvin sign", "\u212Aelvin", "kelvin", true},
		{"Cyrillic a is another name", "admin", "\u0430dmin", false},
		{"digit one is another name", "paypal", "paypa1", false},
		{"legacy name with a space keeps a key of its own", "a b", "A B", true},
		{"legacy key never equals a PRECIS key", "a b", "ab", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := store.NormalizeUsername(tt.a), store.NormalizeUsername(tt.b)
			if (ka == kb) != tt.sameKey {
				t.Errorf("keys %q and %q; want same=%v", ka, kb, tt.sameKey)
			}
			if m, err := store.MapUsername(tt.a); err == nil && store.NormalizeUsername(m) != ka {
				t.Errorf("NormalizeUsername(MapUsername(%q)) = %q, want %q", tt.a, store.NormalizeUsername(m), ka)
			}
		})
	}
}

func TestUsernameSkeleton(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, a, b string
		same       bool
	}{
		{"Cyrillic a", "admin", "\u0430dmin", true},
		{"Cyrillic capitals", "ADMIN", "\u0410\u0414\u041c\u0418\u041d", false}, // Д and И are not Latin look-alikes
		{"Cyrillic o and e", "joe", "j\u043e\u0435", true},
		{"digit one and l", "paypal", "paypa1", true},
		{"zeros and o", "google", "g00gle", true},
		{"rn and m", "arnold", "amold", true},
		{"fullwidth", "admin", "ａｄｍｉｎ", true},
		{"Greek final and medial sigma", "σίσυφος", "ΣΊΣΥΦΟΣ", true},
		{"different names", "alice", "alicia", false},
		{"accent is not a look-alike", "jose", "josé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sa, sb := store.UsernameSkeleton(tt.a), store.UsernameSkeleton(tt.b)
			if (sa == sb) != tt.same {
				t.Errorf("skeletons %q and %q; want same=%v", sa, sb, tt.same)
			}
		})
	}
}
