// Command gen writes the demo model and its inputs (package demo) into
// testdata/demo:
//
//	go run ./testdata/gen
//
// Everything is derived from fixed seeds, so the files are reproducible
// byte for byte; `zkinfer demo` writes the same files at run time.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zkinfer/zkinfer/quant/demo"
)

func main() {
	dir := flag.String("dir", filepath.Join("testdata", "demo"), "output directory")
	flag.Parse()
	if err := demo.Write(*dir, demo.Model); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
