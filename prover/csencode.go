package prover

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// streamedSystem writes a constraint system exactly as gnark's WriteTo
// does, without building the encoding in memory.
//
// gnark v0.16.3 encodes a BN254 system (constraint/bn254/marshal.go,
// constraint/marshal.go) into byte slices before writing anything: the
// CallData alone as up to 5 bytes a word (a buffer the size of the system's
// CallData again and a quarter), then every section appended to one buffer
// of the whole encoding. Hashing the system for its digest and writing the
// circuit file each did that: about 1.5 times the system's own memory on
// top of it (benchmarks/NOTES.md, 2026-12-01 "compile peak memory, part
// 3"). The CallData is the only large section and is excluded from the
// CBOR body (`cbor:"-"`), so the encoding of a shallow copy without it gives
// every other section, byte for byte, and the CallData's uvarints are
// written between them in small chunks:
//
//	u64 total, gnark major, minor, patch      (outer header)
//	u64 len levels, instructions, calldata, body
//	levels, instructions
//	u64 len(CallData), uvarint(CallData[i])…  (the calldata section)
//	CBOR body, coefficient table
//
// The layout is gnark's, not an API: any encoding of the copy that does not
// have this shape (another gnark version) falls back to gnark's WriteTo,
// and TestStreamedSystemSameBytes compares both on R1CS and SCS systems.
type streamedSystem struct {
	cs constraint.ConstraintSystem
}

const (
	outerHeaderLen = 4 * 8 // total length, gnark version
	innerHeaderLen = 4 * 8 // section lengths
)

func (s streamedSystem) WriteTo(w io.Writer) (int64, error) {
	sys, b, at, ok, err := s.split()
	if err != nil {
		return 0, err
	}
	if !ok {
		return s.cs.WriteTo(w)
	}
	le := binary.LittleEndian
	total := le.Uint64(b[0:])
	sized := uint64(8)
	for _, v := range sys.CallData {
		sized += uint64(uvarintLen(v))
	}
	var n int64
	write := func(p []byte) error {
		m, err := w.Write(p)
		n += int64(m)
		return err
	}
	var hdr [outerHeaderLen + innerHeaderLen]byte
	copy(hdr[:], b)
	le.PutUint64(hdr[0:], total-8+sized)
	le.PutUint64(hdr[outerHeaderLen+16:], sized)
	if err := write(hdr[:]); err != nil {
		return n, err
	}
	if err := write(b[len(hdr):at]); err != nil {
		return n, err
	}
	const chunk = 64 << 10
	buf := make([]byte, 0, chunk+binary.MaxVarintLen32)
	buf = le.AppendUint64(buf, uint64(len(sys.CallData)))
	for _, v := range sys.CallData {
		buf = binary.AppendUvarint(buf, uint64(v))
		if len(buf) >= chunk {
			if err := write(buf); err != nil {
				return n, err
			}
			buf = buf[:0]
		}
	}
	if err := write(buf); err != nil {
		return n, err
	}
	if err := write(b[at+8:]); err != nil {
		return n, err
	}
	return n, nil
}

// split encodes the system without its CallData and returns that
// encoding and the offset of its (empty) calldata section; ok is false when
// the system is not a BN254 one with CallData, or the encoding does not have
// the layout streamedSystem knows.
func (s streamedSystem) split() (sys *cs.R1CS, b []byte, at uint64, ok bool, err error) {
	sys, ok = s.cs.(*cs.R1CS) // R1CS and SparseR1CS are one type in gnark
	if !ok || len(sys.CallData) == 0 {
		return nil, nil, 0, false, nil
	}
	shell := *sys // shares every slice and map; only read
	shell.CallData = nil
	var small bytes.Buffer
	if _, err := shell.WriteTo(&small); err != nil {
		return nil, nil, 0, false, err
	}
	b = small.Bytes()
	le := binary.LittleEndian
	if len(b) < outerHeaderLen+innerHeaderLen {
		return nil, nil, 0, false, nil
	}
	total := le.Uint64(b[0:])
	levels := le.Uint64(b[outerHeaderLen:])
	instructions := le.Uint64(b[outerHeaderLen+8:])
	calldata := le.Uint64(b[outerHeaderLen+16:])
	body := le.Uint64(b[outerHeaderLen+24:])
	at = outerHeaderLen + innerHeaderLen + levels + instructions
	if total != uint64(len(b)-outerHeaderLen) || calldata != 8 || at+8 > uint64(len(b)) ||
		le.Uint64(b[at:]) != 0 || at+8+body > uint64(len(b)) {
		return nil, nil, 0, false, nil
	}
	return sys, b, at, true, nil
}

func uvarintLen(v uint32) int {
	switch {
	case v < 1<<7:
		return 1
	case v < 1<<14:
		return 2
	case v < 1<<21:
		return 3
	case v < 1<<28:
		return 4
	}
	return 5
}
