package quant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Per-part visibility
//
// A model with several inputs (outputs) may expose each part its own way:
// token ids public, a mask private, an image hashed. Visibility.Input is
// the visibility of every input part that Visibility.InputParts does not
// name; InputParts lists (part name, visibility) pairs. Resolve brings a
// visibility to its canonical form against the model's parts, the only
// form circuits, keys, bundles and settings record:
//
//   - every part alike: Input is that visibility and InputParts is empty,
//     exactly as before per-part visibility existed (so the circuit, the
//     keys, the layout digests and every file are byte for byte what they
//     were);
//   - otherwise Input is VisibilityMixed and InputParts names every part,
//     in the model's part order.
//
// Files written before per-part visibility have no input_parts or
// output_parts and read as one visibility for all parts; a build that
// predates it refuses a file that has them (unknown field, or the unknown
// visibility "mixed") rather than misreading it. The same holds for the
// outputs. See circuits/modelio for the public inputs of a mixed side.

// VisibilityMixed is Input (Output) when the parts do not all have the same
// visibility; InputParts (OutputParts) then names every part.
const VisibilityMixed = "mixed"

// PartVis is the visibility of one named input or output part.
type PartVis struct {
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
}

// PartVisibility is a list of PartVis, held as its compact JSON encoding
// so that Visibility stays comparable with ==; in JSON it is that list.
// The empty PartVisibility names no part.
type PartVisibility string

// NewPartVisibility encodes list (in its order).
func NewPartVisibility(list []PartVis) PartVisibility {
	if len(list) == 0 {
		return ""
	}
	data, err := json.Marshal(list)
	if err != nil {
		panic(err) // strings only
	}
	return PartVisibility(data)
}

// List decodes p, checking every entry: a name, a visibility of public,
// hashed or private, no name twice.
func (p PartVisibility) List() ([]PartVis, error) {
	if p == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(p)))
	dec.DisallowUnknownFields()
	var list []PartVis
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("%w: part visibilities: %v", ErrValidation, err)
	}
	if len(list) == 0 || len(list) > MaxGraphIO {
		return nil, fmt.Errorf("%w: %d part visibilities, want 1..%d", ErrValidation, len(list), MaxGraphIO)
	}
	seen := map[string]bool{}
	for _, e := range list {
		if e.Name == "" {
			return nil, fmt.Errorf("%w: a part visibility without a part name", ErrValidation)
		}
		if seen[e.Name] {
			return nil, fmt.Errorf("%w: part %q named twice", ErrValidation, e.Name)
		}
		seen[e.Name] = true
		if err := checkIOVisibility("part "+e.Name, e.Visibility); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// MarshalJSON writes the list.
func (p PartVisibility) MarshalJSON() ([]byte, error) {
	if p == "" {
		return []byte("null"), nil
	}
	if _, err := p.List(); err != nil {
		return nil, err
	}
	return []byte(p), nil
}

// UnmarshalJSON reads a list and keeps its canonical (compact) encoding.
func (p *PartVisibility) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*p = ""
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var list []PartVis
	if err := dec.Decode(&list); err != nil {
		return fmt.Errorf("%w: part visibilities: %v", ErrValidation, err)
	}
	q := NewPartVisibility(list)
	if _, err := q.List(); err != nil {
		return err
	}
	if q == "" {
		return fmt.Errorf("%w: an empty part visibility list (omit it)", ErrValidation)
	}
	*p = q
	return nil
}

func checkIOVisibility(what, v string) error {
	switch v {
	case VisibilityPublic, VisibilityHashed, VisibilityPrivate:
		return nil
	}
	return fmt.Errorf("%w: %s visibility %.32q (supported: %s, %s, %s)", ErrValidation, what, v, VisibilityPublic, VisibilityHashed, VisibilityPrivate)
}

// validateSide checks one side's default and part list: the default is a
// visibility, or mixed with a list that then names every part (Resolve
// checks that against the model).
func validateSide(what, def string, parts PartVisibility) error {
	if _, err := parts.List(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if def == VisibilityMixed {
		if parts == "" {
			return fmt.Errorf("%w: %s visibility %q without part visibilities", ErrValidation, what, def)
		}
		return nil
	}
	if def == VisibilityCommitted {
		// Committed input or output (Groth16 only, see README "Committed
		// input and output"): the whole side in one BSB22 commitment, so
		// a part list, which would split the side, is refused.
		if parts != "" {
			return fmt.Errorf("%w: %s visibility %s covers the whole side: per-part visibilities with %s are not supported (one commitment per side; use hashed or private parts)", ErrValidation, what, def, def)
		}
		return nil
	}
	return checkIOVisibility(what, def)
}

// ParseIOVisibility reads the command-line form of one side's (side:
// "input" or "output", for messages) visibility:
// a bare visibility for every part ("hashed"), or comma-separated
// NAME=VISIBILITY overrides with at most one bare visibility for the parts
// they do not name ("ids=public,mask=private,hashed"); without a bare one
// the others take def. A name may hold '=' (the last '=' splits) but not
// ','. It returns the default and the overrides, in the order given.
func ParseIOVisibility(side, s, def string) (string, PartVisibility, error) {
	var (
		list []PartVis
		bare string
	)
	// At most one field per part and a bare one: bounded before splitting,
	// so a hostile flag costs no more than its own size.
	if n := strings.Count(s, ",") + 1; n > MaxGraphIO+1 {
		return "", "", fmt.Errorf("%w: --%s-visibility has %d comma-separated fields, at most %d (one per part, one bare visibility)", ErrValidation, side, n, MaxGraphIO+1)
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		name, v, named := cutLast(f, "=")
		if !named {
			if bare != "" {
				return "", "", fmt.Errorf("%w: %.80q: two visibilities (%s, %.32s) for the unnamed parts", ErrValidation, s, bare, f)
			}
			if f != VisibilityCommitted {
				if err := checkIOVisibility(side, f); err != nil {
					return "", "", err
				}
			}
			bare = f
			continue
		}
		name = strings.TrimSpace(name)
		v = strings.TrimSpace(v)
		if name == "" {
			return "", "", fmt.Errorf("%w: %.80q: %.80q names no part", ErrValidation, s, f)
		}
		if len(name) > maxPartName {
			return "", "", fmt.Errorf("%w: a part name of %d bytes (%.32q…), at most %d", ErrValidation, len(name), name, maxPartName)
		}
		if v == VisibilityCommitted {
			return "", "", fmt.Errorf("%w: part %.32q: %s covers a whole side (one commitment), not one part: use --%s-visibility %s alone", ErrValidation, name, v, side, v)
		}
		if err := checkIOVisibility("part "+name, v); err != nil {
			return "", "", err
		}
		list = append(list, PartVis{Name: name, Visibility: v})
	}
	if bare == "" {
		bare = def
	}
	p := NewPartVisibility(list)
	if _, err := p.List(); err != nil {
		return "", "", err
	}
	return bare, p, nil
}

// maxPartName bounds a part name on the command line (graph input and
// output names are far shorter).
const maxPartName = 1024

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// FormatIOVisibility is the command-line form of one side, the inverse of
// ParseIOVisibility for a resolved side.
func FormatIOVisibility(def string, parts PartVisibility) string {
	list, err := parts.List()
	if err != nil || len(list) == 0 {
		return def
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Name+"="+e.Visibility)
	}
	if def != VisibilityMixed {
		out = append(out, def)
	}
	return strings.Join(out, ",")
}

// Mixed reports whether either side's parts have different visibilities
// (or, before Resolve, whether any part is named).
func (v Visibility) Mixed() bool { return v.InputParts != "" || v.OutputParts != "" }

// InputsOf returns the visibility of each of the model's input parts.
func (v Visibility) InputsOf(parts []IOPart) ([]string, error) {
	return sideOf("input", v.Input, v.InputParts, parts)
}

// OutputsOf returns the visibility of each of the model's output parts.
func (v Visibility) OutputsOf(parts []IOPart) ([]string, error) {
	return sideOf("output", v.Output, v.OutputParts, parts)
}

func sideOf(what, def string, pv PartVisibility, parts []IOPart) ([]string, error) {
	if err := validateSide(what, def, pv); err != nil {
		return nil, err
	}
	list, _ := pv.List()
	byName := map[string]string{}
	for _, e := range list {
		byName[e.Name] = e.Visibility
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		v, ok := byName[p.Name]
		if !ok {
			if def == VisibilityMixed {
				return nil, fmt.Errorf("%w: %s %q has no visibility (mixed visibility names every part)", ErrValidation, what, p.Name)
			}
			v = def
		}
		delete(byName, p.Name)
		out[i] = v
	}
	for _, e := range list {
		if _, unknown := byName[e.Name]; unknown {
			names := make([]string, len(parts))
			for i, p := range parts {
				names[i] = p.Name
			}
			return nil, fmt.Errorf("%w: --%s-visibility names %s %q, the model's %ss are: %s", ErrValidation, what, what, e.Name, what, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// Resolve returns v in its canonical form for a model with these input and
// output parts (see "Per-part visibility"), after checking that every named
// part is one of the model's.
func (v Visibility) Resolve(in, out []IOPart) (Visibility, error) {
	if err := v.Validate(); err != nil {
		return v, err
	}
	ins, err := v.InputsOf(in)
	if err != nil {
		return v, err
	}
	outs, err := v.OutputsOf(out)
	if err != nil {
		return v, err
	}
	r := v
	r.Input, r.InputParts = canonicalSide(in, ins)
	r.Output, r.OutputParts = canonicalSide(out, outs)
	return r, nil
}

func canonicalSide(parts []IOPart, vis []string) (string, PartVisibility) {
	if Uniform(vis) {
		return vis[0], ""
	}
	list := make([]PartVis, len(parts))
	for i, p := range parts {
		list[i] = PartVis{Name: p.Name, Visibility: vis[i]}
	}
	return VisibilityMixed, NewPartVisibility(list)
}

// Uniform reports whether vis (one per part, at least one) are all alike.
func Uniform(vis []string) bool {
	for _, v := range vis {
		if v != vis[0] {
			return false
		}
	}
	return len(vis) > 0
}

// HasPrivate reports whether any input part (in) or output part (out) is
// private: what needs a salt.
func (v Visibility) HasPrivate() (in, out bool) {
	return sideHas(v.Input, v.InputParts, VisibilityPrivate), sideHas(v.Output, v.OutputParts, VisibilityPrivate)
}

func sideHas(def string, pv PartVisibility, want string) bool {
	if def == want {
		return true
	}
	list, _ := pv.List()
	for _, e := range list {
		if e.Visibility == want {
			return true
		}
	}
	return false
}

// PartGroups splits the indices of parts by visibility (vis, one per
// part): public, hashed and private, each in part order.
func PartGroups(vis []string) (public, hashed, private []int) {
	for i, v := range vis {
		switch v {
		case VisibilityPublic:
			public = append(public, i)
		case VisibilityHashed:
			hashed = append(hashed, i)
		case VisibilityPrivate:
			private = append(private, i)
		}
	}
	return public, hashed, private
}

// Pick returns xs at the indices idx.
func Pick[T any](xs []T, idx []int) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		out[k] = xs[i]
	}
	return out
}

// SideCost estimates exposing parts under per-part visibilities vis (one
// per part): PartsCost when they are alike, else each group's cost (the
// public parts packed, the hashed and the private parts each hashed as
// HashParts of the group) and, for inputs, every value's range check.
func SideCost(parts []IOPart, vis []string, input bool) Cost {
	if len(vis) != len(parts) || Uniform(vis) {
		v := VisibilityHashed
		if len(vis) > 0 {
			v = vis[0]
		}
		return PartsCost(parts, v, input)
	}
	var c Cost
	pub, hashed, private := PartGroups(vis)
	for _, g := range []struct {
		idx []int
		v   string
	}{{pub, VisibilityPublic}, {hashed, VisibilityHashed}, {private, VisibilityPrivate}} {
		if len(g.idx) == 0 {
			continue
		}
		gc := PartsCost(Pick(parts, g.idx), g.v, false)
		c.R1CS += gc.R1CS
		c.SCS += gc.SCS
	}
	if input {
		r := InputCheckCost(parts)
		c.R1CS += r.R1CS
		c.SCS += r.SCS
	}
	return c
}

// sideCosts is SideCost of m's input and output under v (one visibility
// per side, v's Input and Output, where v does not resolve against m).
func (m *Model) sideCosts(v Visibility) (in, out Cost) {
	inParts, outParts := m.InputParts(), m.OutputParts()
	if ins, err := v.InputsOf(inParts); err == nil {
		in = SideCost(inParts, ins, true)
	} else {
		in = PartsCost(inParts, v.Input, true)
	}
	if outs, err := v.OutputsOf(outParts); err == nil {
		out = SideCost(outParts, outs, false)
	} else {
		out = PartsCost(outParts, v.Output, false)
	}
	return in, out
}

// IONames lists the model's input and output parts by name only (what
// Visibility.Resolve reads): the graph's inputs and outputs, or "input" and
// "output" for ffn and gpt2, as Model.InputParts and OutputParts name them.
func (m *FloatModel) IONames() (in, out []IOPart) {
	if m.Graph == nil {
		return []IOPart{{Name: "input"}}, []IOPart{{Name: "output"}}
	}
	for _, p := range m.Graph.InputParts() {
		in = append(in, IOPart{Name: p.Name})
	}
	for _, id := range m.Graph.Outputs {
		out = append(out, IOPart{Name: m.Graph.Names[id]})
	}
	return in, out
}
