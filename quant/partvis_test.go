package quant

import (
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
)

func partsNamed(names ...string) []IOPart {
	out := make([]IOPart, len(names))
	for i, n := range names {
		out[i] = IOPart{Name: n, Shape: []int{2}, DType: DTypeInt8, Lo: Int8Min, Hi: Int8Max}
	}
	return out
}

// The command-line form parses into a default and overrides, resolves
// against the model's parts to the canonical form, and round-trips through
// JSON; unknown names list the model's.
func TestPartVisibility(t *testing.T) {
	in, out := partsNamed("ids", "mask", "x"), partsNamed("y")
	for _, c := range []struct {
		flag, def string
		want      string // FormatIOVisibility of the resolved side
		mixed     bool
	}{
		{"hashed", "hashed", "hashed", false},
		{"public", "hashed", "public", false},
		{"ids=public,mask=private,hashed", "hashed", "ids=public,mask=private,x=hashed", true},
		{"mask=private", "hashed", "ids=hashed,mask=private,x=hashed", true},
		// Every part named alike: one visibility, as before.
		{"ids=public,mask=public,x=public", "hashed", "public", false},
		{"ids=hashed", "hashed", "hashed", false},
		{" x = private , public ", "hashed", "ids=public,mask=public,x=private", true},
	} {
		def, pv, err := ParseIOVisibility("input", c.flag, c.def)
		if err != nil {
			t.Fatalf("%q: %v", c.flag, err)
		}
		v := Visibility{Input: def, InputParts: pv, Output: VisibilityHashed, Weights: VisibilityFixed}
		r, err := v.Resolve(in, out)
		if err != nil {
			t.Fatalf("%q: %v", c.flag, err)
		}
		if got := FormatIOVisibility(r.Input, r.InputParts); got != c.want {
			t.Errorf("%q: resolved to %q, want %q", c.flag, got, c.want)
		}
		if r.Mixed() != c.mixed || (r.Input == VisibilityMixed) != c.mixed {
			t.Errorf("%q: mixed %v (input %q), want %v", c.flag, r.Mixed(), r.Input, c.mixed)
		}
		again, err := r.Resolve(in, out)
		if err != nil || again != r {
			t.Errorf("%q: resolve is not idempotent: %+v, %v", c.flag, again, err)
		}
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Visibility
		if err := json.Unmarshal(data, &back); err != nil || back != r {
			t.Errorf("%q: JSON %s read back as %+v, %v", c.flag, data, back, err)
		}
		if !c.mixed && strings.Contains(string(data), "parts") {
			t.Errorf("%q: one visibility for all writes %s", c.flag, data)
		}
	}
	// The JSON of a uniform visibility is what it always was.
	data, _ := json.Marshal(DefaultVisibility)
	if string(data) != `{"input":"hashed","output":"hashed","weights":"fixed"}` {
		t.Errorf("default visibility JSON %s", data)
	}
	for _, bad := range []string{"ids=secret", "public,hashed", "=public", "ids=public,ids=hashed", "nope"} {
		if _, _, err := ParseIOVisibility("input", bad, VisibilityHashed); !errors.Is(err, ErrValidation) {
			t.Errorf("%q: %v, want ErrValidation", bad, err)
		}
	}
	def, pv, _ := ParseIOVisibility("input", "idz=public,hashed", VisibilityHashed)
	_, err := Visibility{Input: def, InputParts: pv, Output: VisibilityHashed, Weights: VisibilityFixed}.Resolve(in, out)
	if err == nil || !strings.Contains(err.Error(), `"idz"`) || !strings.Contains(err.Error(), "ids, mask, x") {
		t.Errorf("unknown part: %v", err)
	}
	// mixed must name every part.
	mixed := Visibility{Input: VisibilityMixed, InputParts: NewPartVisibility([]PartVis{{"ids", VisibilityPublic}}), Output: VisibilityHashed, Weights: VisibilityFixed}
	if _, err := mixed.Resolve(in, out); !errors.Is(err, ErrValidation) {
		t.Errorf("mixed naming one part of three: %v", err)
	}
	if err := (Visibility{Input: VisibilityMixed, Output: VisibilityHashed, Weights: VisibilityFixed}).Validate(); !errors.Is(err, ErrValidation) {
		t.Errorf("mixed without parts: %v", err)
	}
	var v Visibility
	if err := json.Unmarshal([]byte(`{"input":"mixed","output":"hashed","weights":"fixed","input_parts":[{"name":"a","visibility":"public"},{"name":"a","visibility":"hashed"}]}`), &v); err == nil {
		t.Errorf("a part named twice was read")
	}
	if in, out := (Visibility{Input: VisibilityMixed, InputParts: NewPartVisibility([]PartVis{{"a", VisibilityPrivate}, {"b", VisibilityPublic}}), Output: VisibilityHashed}).HasPrivate(); !in || out {
		t.Errorf("HasPrivate: %v %v", in, out)
	}
}

// A hostile --input-visibility is refused before it costs more than its own
// size: a million parts fails on the count (no million-entry list built and
// JSON-encoded first), and an error quotes a bounded prefix of the input,
// not megabytes of it.
func TestParseIOVisibilityHostile(t *testing.T) {
	var sb strings.Builder
	for i := range 1000000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("p=public")
	}
	for name, s := range map[string]string{
		"a million parts":  sb.String(),
		"a million commas": strings.Repeat(",", 1000000),
		"a million '='":    strings.Repeat("=", 1000000),
		"a huge name":      strings.Repeat("n", 1000000) + "=public",
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, err := ParseIOVisibility("input", s, VisibilityHashed)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrValidation) {
			t.Errorf("%s: %v, want ErrValidation", name, err)
			continue
		}
		if len(err.Error()) > 1000 {
			t.Errorf("%s: an error of %d bytes", name, len(err.Error()))
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*uint64(len(s))+1<<20 {
			t.Errorf("%s: %d MB allocated for %d bytes", name, alloc>>20, len(s))
		}
	}
}

// A part visibility entry with a field it does not have is refused, as
// every other zkinfer file refuses unknown fields, rather than dropped
// when the list is brought to its canonical form.
func TestPartVisibilityUnknownField(t *testing.T) {
	var v Visibility
	err := json.Unmarshal([]byte(`{"input":"mixed","output":"hashed","weights":"fixed","input_parts":[{"name":"a","visibility":"public"},{"name":"b","visibility":"private","salted":false}]}`), &v)
	if !errors.Is(err, ErrValidation) {
		t.Fatalf("%v (%+v), want ErrValidation", err, v)
	}
}
