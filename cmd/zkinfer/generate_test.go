package main

import (
	"slices"
	"strings"
	"testing"
)

// GPT-2's BPE (r50k_base, embedded by tiktoken-go): known ids, and back.
func TestGPT2Tokenizer(t *testing.T) {
	ids, err := encodeGPT2("Hello world")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{15496, 995}; !slices.Equal(ids, want) {
		t.Fatalf("Hello world → %v, want %v", ids, want)
	}
	s, err := decodeGPT2([]int64{464, 2068, 7586, 21831})
	if err != nil || s != "The quick brown fox" {
		t.Fatalf("decode: %q, %v", s, err)
	}
	if _, err := decodeGPT2([]int64{GPT2Vocab}); err == nil {
		t.Fatal("id 50257 decoded")
	}
}

func TestParseTokens(t *testing.T) {
	ids, err := parseTokens("3, 14,15")
	if err != nil || !slices.Equal(ids, []int64{3, 14, 15}) {
		t.Fatalf("%v %v", ids, err)
	}
	for _, bad := range []string{"", "1,,2", "-1", "x", "16777216"} {
		if _, err := parseTokens(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// A GPT-2-vocabulary completion prints as text too.
func TestPrintCompletionGPT2(t *testing.T) {
	var b strings.Builder
	printCompletion(&b, []int64{15496}, []int64{995}, GPT2Vocab)
	want := "prompt tokens: [15496]\ncompletion tokens: [995]\nprompt: \"Hello\"\ncompletion: \" world\"\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	printCompletion(&b, []int64{3}, []int64{9}, 64)
	if strings.Contains(b.String(), "completion: ") {
		t.Fatalf("a 64-token vocabulary decoded as GPT-2: %q", b.String())
	}
}
