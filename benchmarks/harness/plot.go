package harness

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/zkinfer/zkinfer/quant"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot files written by Plot.
const (
	PlotSeq   = "harness-vs-seq.svg"
	PlotWidth = "harness-vs-width.svg"
	// PlotReal is the real-length case of issue 19: d 64, 4 heads, 64
	// tokens, one block and EZKL's nanoGPT shape (4 blocks).
	PlotReal = "harness-real-length.svg"
)

// series picks results and the x value to plot them at.
type series struct {
	title, xLabel, file string
	pick                func(r *Result) (x float64, ok bool)
}

var plotSeries = []series{
	{"one GPT-2 small block (d 768, 12 heads) vs sequence length", "sequence length (tokens)", PlotSeq,
		func(r *Result) (float64, bool) {
			return float64(r.Seq), r.DModel == 768 && r.Heads == 12 && r.Blocks == 1
		}},
	{fmt.Sprintf("one block (64-wide heads, seq %d) vs width", WidthSeq), "d_model", PlotWidth,
		func(r *Result) (float64, bool) {
			return float64(r.DModel), r.Seq == WidthSeq && r.Blocks == 1 && r.Heads*64 == r.DModel
		}},
	{"d 64, 4 heads, 64 tokens vs blocks (nanoGPT shape at 4)", "blocks", PlotReal,
		func(r *Result) (float64, bool) {
			return float64(r.Blocks), r.DModel == 64 && r.Heads == 4 && r.Seq == 64
		}},
}

// Plot draws, from results, R1CS constraints and prove time (with the
// MSM+FFT floor) against sequence length and against width, as SVG files in
// dir, each a pair of log-log panels stacked. It returns the files written;
// a series with no point is not drawn.
func Plot(dir string, results []*Result) ([]string, error) {
	var written []string
	for _, s := range plotSeries {
		var cons, prove, floor, setup plotter.XYs
		for _, r := range results {
			x, ok := s.pick(r)
			if !ok {
				continue
			}
			if r.ConstraintsR1CS > 0 {
				cons = append(cons, plotter.XY{X: x, Y: float64(r.ConstraintsR1CS)})
			}
			if r.ProveS > 0 {
				prove = append(prove, plotter.XY{X: x, Y: r.ProveS})
			}
			if r.SetupS > 0 {
				setup = append(setup, plotter.XY{X: x, Y: r.SetupS})
			}
			if r.Floor != nil && r.Floor.TotalS > 0 {
				floor = append(floor, plotter.XY{X: x, Y: r.Floor.TotalS})
			}
		}
		if len(cons) == 0 {
			continue
		}
		for _, xy := range []plotter.XYs{cons, prove, floor, setup} {
			sort.Slice(xy, func(i, j int) bool { return xy[i].X < xy[j].X })
		}
		top := logPlot(s.title, s.xLabel, "R1CS constraints")
		if err := plotutil.AddLinePoints(top, "R1CS constraints", cons); err != nil {
			return written, err
		}
		bottom := logPlot("", s.xLabel, "seconds (Groth16, dev setup)")
		var lines []any
		if len(prove) > 0 {
			lines = append(lines, "prove", prove)
		}
		if len(floor) > 0 {
			lines = append(lines, "MSM+FFT floor", floor)
		}
		if len(setup) > 0 {
			lines = append(lines, "dev setup", setup)
		}
		if len(lines) > 0 {
			if err := plotutil.AddLinePoints(bottom, lines...); err != nil {
				return written, err
			}
		}
		pad(top)
		pad(bottom)
		bottom.X.Min, bottom.X.Max = top.X.Min, top.X.Max
		path := filepath.Join(dir, s.file)
		if err := savePanels(path, top, bottom, len(lines) > 0); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

func logPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = ticks125{}, ticks125{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	return p
}

// ticks125 are log ticks labelled at 1, 2 and 5 of each decade, with k and M
// suffixes.
type ticks125 struct{}

func (ticks125) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	for i := range ticks {
		v := ticks[i].Value
		m := v / math.Pow10(int(math.Floor(math.Log10(v)+1e-9)))
		ticks[i].Label = ""
		if near(m, 1) || near(m, 2) || near(m, 5) {
			ticks[i].Label = shortNumber(v)
		}
	}
	return ticks
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func shortNumber(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// pad widens both log axes by a quarter on each side, so that points do
// not sit on the frame and a single point still spans a decade of ticks.
func pad(p *plot.Plot) {
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		if a.Min <= 0 || a.Max <= 0 {
			continue
		}
		a.Min, a.Max = a.Min/1.25, a.Max*1.25
		if a.Max/a.Min < 10 {
			mid := math.Sqrt(a.Min * a.Max)
			a.Min, a.Max = mid/math.Sqrt(10), mid*math.Sqrt(10)
		}
	}
}

// savePanels writes top, and bottom below it if withBottom, as one SVG
// (PNG if path ends in .png).
func savePanels(path string, top, bottom *plot.Plot, withBottom bool) error {
	w, h := 16*vg.Centimeter, 10*vg.Centimeter
	panels := []*plot.Plot{top}
	if withBottom {
		panels = append(panels, bottom)
	}
	n := vg.Length(len(panels))
	var img interface {
		vg.CanvasWriterTo
	}
	if strings.HasSuffix(path, ".png") {
		img = vgimg.PngCanvas{Canvas: vgimg.New(w, h*n)}
	} else {
		img = vgsvg.New(w, h*n)
	}
	dc := draw.New(img)
	for i, p := range panels {
		// vg's origin is bottom left: the first panel goes on top.
		k := vg.Length(i)
		p.Draw(draw.Crop(dc, 0, 0, h*(n-1-k), -h*k))
	}
	var buf bytes.Buffer
	if _, err := img.WriteTo(&buf); err != nil {
		return err
	}
	return quant.WriteFile(path, buf.Bytes(), 0o644)
}
