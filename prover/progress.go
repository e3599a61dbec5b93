package prover

// Progress reports the stages of long work. Start is called when a stage
// begins; the returned function when it ends. The CLI draws a spinner with
// the elapsed time; the library default is silent.
type Progress interface {
	Start(stage string) (done func())
}

type silent struct{}

func (silent) Start(string) func() { return func() {} }

// Silent is a Progress that reports nothing.
var Silent Progress = silent{}

func orSilent(p Progress) Progress {
	if p == nil {
		return Silent
	}
	return p
}
