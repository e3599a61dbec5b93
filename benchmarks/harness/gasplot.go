package harness

import (
	"fmt"
	"image/color"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// GasSeries is one way of verifying a sharded model on chain: its gas by
// number of shards, measured points and extrapolated ones apart.
type GasSeries struct {
	Name         string
	Measured     map[int]float64
	Extrapolated map[int]float64
}

// PlotGas draws gas against the number of shards for each series (measured
// points filled and joined by a solid line, extrapolated points hollow and
// joined to them by a dashed line) as an SVG file at path (PNG for .png).
func PlotGas(path, title string, series []GasSeries) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "shards", "gas (one transaction)"
	p.Y.Tick.Marker = gasTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	colors := []color.Color{color.RGBA{R: 0xc0, G: 0x30, B: 0x30, A: 0xff}, color.RGBA{R: 0x20, G: 0x60, B: 0xc0, A: 0xff}, color.RGBA{G: 0x80, A: 0xff}}
	for i, s := range series {
		c := colors[i%len(colors)]
		measured, all := xys(s.Measured), xys(merge(s.Measured, s.Extrapolated))
		if len(measured) > 0 {
			l, pts, err := plotter.NewLinePoints(measured)
			if err != nil {
				return err
			}
			l.Color, pts.Color, pts.Shape = c, c, draw.CircleGlyph{}
			p.Add(l, pts)
			p.Legend.Add(s.Name+" (measured)", l, pts)
		}
		if len(s.Extrapolated) > 0 {
			l, err := plotter.NewLine(all)
			if err != nil {
				return err
			}
			l.Color, l.Dashes = c, []vg.Length{vg.Points(4), vg.Points(3)}
			pts, err := plotter.NewScatter(xys(s.Extrapolated))
			if err != nil {
				return err
			}
			pts.Color, pts.Shape = c, draw.RingGlyph{}
			p.Add(l, pts)
			p.Legend.Add(s.Name+" (extrapolated)", l, pts)
		}
	}
	p.Y.Min = 0
	if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, path); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

func merge(a, b map[int]float64) map[int]float64 {
	out := map[int]float64{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func xys(m map[int]float64) plotter.XYs {
	var out plotter.XYs
	for k, v := range m {
		out = append(out, plotter.XY{X: float64(k), Y: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].X < out[j].X })
	return out
}

// gasTicks labels a linear gas axis in k and M.
type gasTicks struct{}

func (gasTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = shortNumber(ticks[i].Value)
		}
	}
	return ticks
}
