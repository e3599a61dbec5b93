// Package benchmarks measures zkinfer's pipeline on the demo model and on
// GPT-2-sized layers. Run from the repository root:
//
//	go test ./benchmarks -run '^$' -bench . -benchtime 1x
//
// Each benchmark reports constraints, compile and setup time (once), prove
// time (per op), the peak Go heap while proving and the process's peak RSS.
// Recorded results live in benchmarks/results/.
package benchmarks
