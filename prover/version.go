package prover

import "runtime/debug"

// ToolVersion is zkinfer's version, recorded in every artifact.
const ToolVersion = "0.1.0"

// GnarkVersion returns the gnark module version this binary was built with.
func GnarkVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/consensys/gnark" {
				return d.Version
			}
		}
	}
	return "unknown"
}
