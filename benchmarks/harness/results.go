package harness

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/zkinfer/zkinfer/quant"

	"github.com/zkinfer/zkinfer/prover"
)

// Machine describes where a result was measured.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	MemoryGiB  int    `json:"memory_gib"`
	GoVersion  string `json:"go"`
	OS         string `json:"os"`
	Gnark      string `json:"gnark"`
}

// ThisMachine describes the machine the process runs on.
func ThisMachine() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	m.Gnark = prover.GnarkVersion()
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
				m.MemoryGiB = (kb + 1<<19) >> 20
			}
		}
	}
	return m
}

// Load1 is the one-minute load average (0 where unknown): with the core
// count it tells whether a timing was taken on a busy machine.
func Load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// Contended reports whether other work competed for the CPU during r: a
// load average above the core count less one (the harness's own share).
func (r *Result) Contended() bool {
	return max(r.LoadStart, r.LoadEnd) > float64(r.Machine.Cores)+0.5
}

// File names written by Write under the results folder.
const (
	JSONFile = "harness.json"
	CSVFile  = "harness.csv"
	// MarkdownFile is the table README.md quotes (WriteMarkdown).
	MarkdownFile = "harness.md"
)

// FormatVersion of harness.json; readers reject other versions.
const FormatVersion = "zkinfer.harness.v1"

type resultsFile struct {
	Format  string    `json:"format"`
	Results []*Result `json:"results"`
}

// Load reads the results in dir/harness.json; a missing file is no results.
func Load(dir string) ([]*Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f resultsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", JSONFile, err)
	}
	if f.Format != FormatVersion {
		return nil, fmt.Errorf("%s: format %q, want %q", JSONFile, f.Format, FormatVersion)
	}
	return f.Results, nil
}

// Merge adds the new results to the old ones by configuration name. A stage
// measured now replaces that stage's figures; the figures of stages not run
// now are kept, and peak memory is the larger of the two, unless the circuit
// changed (another R1CS count), in which case the old result is dropped whole.
func Merge(old, now []*Result) []*Result {
	out := append([]*Result(nil), old...)
	for _, n := range now {
		i := indexOf(out, n.Name)
		if i < 0 {
			out = append(out, n)
			continue
		}
		out[i] = mergeOne(out[i], n)
	}
	return out
}

func indexOf(rs []*Result, name string) int {
	for i, r := range rs {
		if r.Name == name {
			return i
		}
	}
	return -1
}

func mergeOne(o, n *Result) *Result {
	if o.Config != n.Config || o.ConstraintsR1CS != n.ConstraintsR1CS {
		return n
	}
	m := *n
	has := func(s string) bool { return contains(n.Stages, s) }
	if !has(StageCount) && m.Breakdown == nil {
		m.Breakdown, m.BreakdownS = o.Breakdown, o.BreakdownS
	}
	if !has(StageSCS) {
		m.ConstraintsSCS, m.SCSCompileS = o.ConstraintsSCS, o.SCSCompileS
	}
	if !has(StageProve) {
		m.SetupS, m.WitnessS, m.ProveS, m.VerifyS, m.ProofBytes = o.SetupS, o.WitnessS, o.ProveS, o.VerifyS, o.ProofBytes
		m.ProvePeakHeapMiB, m.Floor, m.ProveOverFloor = o.ProvePeakHeapMiB, o.Floor, o.ProveOverFloor
	}
	if !has(StageGas) {
		m.VerifyGas, m.DeployGas, m.CalldataBytes = o.VerifyGas, o.DeployGas, o.CalldataBytes
	}
	// Peaks are over every stage recorded, whichever run measured it.
	m.PeakHeapMiB, m.PeakRSSMiB = max(m.PeakHeapMiB, o.PeakHeapMiB), max(m.PeakRSSMiB, o.PeakRSSMiB)
	for _, s := range o.Stages {
		if !contains(m.Stages, s) {
			m.Stages = append(m.Stages, s)
		}
	}
	return &m
}

// Write writes results to dir/harness.json and dir/harness.csv atomically.
func Write(dir string, results []*Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(resultsFile{Format: FormatVersion, Results: results}, "", "  ")
	if err != nil {
		return err
	}
	if err := quant.WriteFile(filepath.Join(dir, JSONFile), append(j, '\n'), 0o644); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, results); err != nil {
		return err
	}
	if err := quant.WriteFile(filepath.Join(dir, CSVFile), buf.Bytes(), 0o644); err != nil {
		return err
	}
	buf.Reset()
	WriteMarkdown(&buf, results)
	return quant.WriteFile(filepath.Join(dir, MarkdownFile), buf.Bytes(), 0o644)
}

// WriteMarkdown writes the results as the Markdown table README.md quotes:
// one row per configuration, a dash where a stage was not run (or was
// skipped, with the reason in harness.json), "~" before estimated counts,
// and the load average and date of each row's measurement.
func WriteMarkdown(w *bytes.Buffer, results []*Result) {
	w.WriteString("| config | shape (d / heads / seq / blocks) | R1CS constraints | compile s | setup s | prove s | floor s | prove/floor | proving key MiB | verify gas | peak RSS MiB | load | measured |\n")
	w.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	f1 := func(v float64) string { // seconds to a tenth, "" when not measured

		if v == 0 {
			return ""
		}
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	for _, r := range results {
		n := groupDigits(r.ConstraintsR1CS)
		if r.R1CSEstimate != "" {
			n = "~" + n + " (est.)"
		}
		var floor string
		if r.Floor != nil {
			floor = strconv.FormatFloat(r.Floor.TotalS, 'f', 2, 64)
		}
		var pk, gas string
		if r.PKBytes > 0 {
			pk = strconv.FormatFloat(float64(r.PKBytes)/(1<<20), 'f', 1, 64)
		}
		if r.VerifyGas > 0 {
			gas = groupDigits(int(r.VerifyGas))
		}
		load := fmt.Sprintf("%.1f–%.1f", r.LoadStart, r.LoadEnd)
		if r.Contended() {
			load += " (contended)"
		}
		date, _, _ := strings.Cut(r.MeasuredAt, "T")
		fmt.Fprintf(w, "| %s | %d / %d / %d / %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Name, r.DModel, r.Heads, r.Seq, r.Blocks, n, dash(f1(r.CompileS)), dash(f1(r.SetupS)), dash(ratio(r.ProveS)),
			dash(floor), dash(ratio(r.ProveOverFloor)), dash(pk), dash(gas), dash(strconv.FormatFloat(r.PeakRSSMiB, 'f', 0, 64)), load, date)
	}
}

// CSVHeader names the columns of harness.csv.
var CSVHeader = []string{"name", "d_model", "heads", "seq", "blocks", "constraints_r1cs", "r1cs_estimate", "constraints_scs", "public_inputs",
	"compile_s", "setup_s", "witness_s", "prove_s", "verify_s", "floor_s", "floor_msm_g1_s", "floor_msm_g2_s", "floor_fft_s", "prove_over_floor",
	"proof_bytes", "pk_bytes", "vk_bytes", "verify_gas", "peak_heap_mib", "prove_peak_heap_mib", "peak_rss_mib", "breakdown", "skipped", "errors",
	"contended", "load1_start", "load1_end", "cpu", "cores", "gomaxprocs", "go", "measured_at"}

// WriteCSV writes one row per result; the breakdown is "part=n;…".
func WriteCSV(w *bytes.Buffer, results []*Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range results {
		var f Floor
		if r.Floor != nil {
			f = *r.Floor
		}
		var parts []string
		for _, p := range r.Breakdown {
			parts = append(parts, fmt.Sprintf("%s=%d", p.Name, p.Constraints))
		}
		row := []string{r.Name, itoa(r.DModel), itoa(r.Heads), itoa(r.Seq), itoa(r.Blocks), itoa(r.ConstraintsR1CS), r.R1CSEstimate, itoa(r.ConstraintsSCS), itoa(r.PublicInputs),
			sec(r.CompileS), sec(r.SetupS), sec(r.WitnessS), sec(r.ProveS), sec(r.VerifyS), sec(f.TotalS), sec(f.MSMG1S), sec(f.MSMG2S), sec(f.FFTS), ratio(r.ProveOverFloor),
			itoa(r.ProofBytes), i64(r.PKBytes), i64(r.VKBytes), strconv.FormatUint(r.VerifyGas, 10), ratio(r.PeakHeapMiB), ratio(r.ProvePeakHeapMiB), ratio(r.PeakRSSMiB),
			strings.Join(parts, ";"), strings.Join(r.Skipped, "; "), strings.Join(r.Errors, "; "),
			strconv.FormatBool(r.Contended()), ratio(r.LoadStart), ratio(r.LoadEnd), r.Machine.CPU, itoa(r.Machine.Cores), itoa(r.Machine.GOMAXPROCS), r.Machine.GoVersion, r.MeasuredAt}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func sec(s float64) string {
	if s == 0 {
		return ""
	}
	return strconv.FormatFloat(s, 'f', 4, 64)
}

func ratio(v float64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// groupDigits writes n with thousands separators: 1234567 → "1,234,567".
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
