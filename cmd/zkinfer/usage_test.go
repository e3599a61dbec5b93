package main

import (
	"testing"

	"github.com/urfave/cli/v2"
)

// TestDevFlagIsSetup: --dev chooses how keys are made, so help lists it
// under SETUP with --srs, not under MODEL (issue 18).
func TestDevFlagIsSetup(t *testing.T) {
	app := newApp(nil, nil)
	for _, c := range app.Commands {
		for _, f := range c.Flags {
			if cf, ok := f.(cli.CategorizableFlag); ok && f.Names()[0] == DevFlag.Name && cf.GetCategory() != catSetup {
				t.Errorf("%s --%s is in category %q, want %q", c.Name, DevFlag.Name, cf.GetCategory(), catSetup)
			}
		}
	}
}
