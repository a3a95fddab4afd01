package httpapi

import "testing"

func TestHasLoneSurrogate(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		`{"a":"plain"}`:              false,
		`{"a":"\ud83d\ude00"}`:       false, // a pair: 😀
		`{"a":"\ud800"}`:             true,
		`{"a":"\udc00"}`:             true,
		`{"a":"\ud800x"}`:            true,
		`{"a":"\ud800\u0041"}`:       true,
		`{"a":"\\ud800"}`:            false, // an escaped backslash, then text
		`{"a":"\u00e9\ud83d\ude00"}`: false,
		`{"a":"\ud83d\ude00\ud800"}`: true,
	}
	for in, want := range cases {
		if got := hasLoneSurrogate([]byte(in)); got != want {
			t.Errorf("hasLoneSurrogate(%s) = %v, want %v", in, got, want)
		}
	}
}
