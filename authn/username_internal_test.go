package authn

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCheckVisible(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"letters", "alice", true},
		{"letter with combining mark", "jose\u0301", true},
		{"CJK", "日本語", true},
		{"digits", "007", true},
		{"HANGUL FILLER alone", "\u3164\u3164\u3164", false},
		{"HALFWIDTH HANGUL FILLER alone", "\uffa0\uffa0\uffa0", false},
		{"Hangul choseong filler", "\u115f\u115f\u115f", false},
		{"Hangul jungseong filler", "\u1160\u1160\u1160", false},
		{"BRAILLE PATTERN BLANK", "\u2800\u2800\u2800", false},
		{"combining marks alone", "\u0301\u0308\u0327", false},
		{"enclosing mark alone", "\u20dd\u20dd\u20dd", false},
		{"filler after a name", "admin\u3164", false},
		{"braille blank inside a name", "ad\u2800min", false},
		{"zero width space", "ad\u200bmin", false},
		{"zero width joiner", "ad\u200dmin", false},
		{"bidi override", "abc\u202e", false},
		{"variation selector", "abc\ufe0f", false},
		{"soft hyphen", "ad\u00admin", false},
		{"ideographic space", "\u3000\u3000\u3000", false},
		{"no-break space", "a\u00a0b", false},
		{"ASCII space", "a b", false},
		{"control", "ab\u0007", false},
		{"tag characters", "\U000e0061\U000e0062\U000e0063", false},
		{"private use", "\ue000\ue001\ue002", false},
		{"musical null notehead", "\U0001d159ab", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkVisible(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("checkVisible(%+q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("checkVisible(%+q) = %v, not ErrInvalidInput", tt.in, err)
			}
		})
	}
}

func TestMapUsername(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string // want "" = refused
	}{
		{"lower case stays", "alice", "alice"},
		{"capitals fold", "ALICE", "alice"},
		{"fullwidth maps", "ａｄｍｉｎ", "admin"},
		{"NFD composes", "jose\u0301", "jos\u00e9"},
		{"three characters after mapping", "ＡＢＣ", "abc"},
		{"two characters", "ab", ""},
		{"64 characters", strings.Repeat("x", maxUsername), strings.Repeat("x", maxUsername)},
		{"65 characters", strings.Repeat("x", maxUsername+1), ""},
		{"64 characters sent decomposed", strings.Repeat("e\u0301", maxUsername), strings.Repeat("\u00e9", maxUsername)},
		{"symbols", "☃☃☃", ""},
		{"mixed directions", "abc\u05d0", ""},
		{"invalid UTF-8", "ab\xffc", ""},
		{"HANGUL FILLER", "\u3164\u3164\u3164", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapUsername(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrInvalidInput) {
					t.Fatalf("mapUsername(%+q) = %q, %v; want ErrInvalidInput", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("mapUsername(%+q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestPresentedForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"normal form alone", "correct horse", []string{"correct horse"}},
		{"NFD: normal form first, then as typed", "cafe\u0301 au lait", []string{"caf\u00e9 au lait", "cafe\u0301 au lait"}},
		{"no-break space", "a\u00a0b\u00a0c\u00a0d", []string{"a b c d", "a\u00a0b\u00a0c\u00a0d"}},
		{"control character: as typed only", "tab\there", []string{"tab\there"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := presentedForms(tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("presentedForms(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}
