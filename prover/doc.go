// Package prover compiles model circuits, runs the setup, and proves
// inferences with Groth16 (R1CS, the default) or PLONK (SCS, KZG) over BN254.
//
// # Setup
//
// Keys record how they were made (Header.Setup, Header.SetupDigest), and
// bundles carry it, because that decides whom a verifier trusts:
//
//   - SetupDev: single party; the machine that runs it knows the toxic
//     waste (for PLONK, the SRS secret) and could forge proofs. For
//     development only, labelled unsafe in every key it writes. For
//     Groth16 it runs gnark's Setup with the generator multiplications done
//     by fixed-base window tables (groth16setup.go, fixedbase.go): the same
//     keys and encoding, ~10× sooner, about one proving time.
//   - SetupPLONK: PLONK keys from a KZG SRS file (ReadSRS), typically from a
//     public powers-of-tau ceremony; the digest of the file is recorded.
//   - Groth16 MPC ceremony (gnark's mpcsetup): NewPhase1, Contribute,
//     SealPhase1, NewPhase2, Contribute, ExtractKeys; VerifyPhase1,
//     VerifyPhase2 and AuditCeremony let anyone check the transcript. The
//     keys are safe if one participant was honest; the transcript digest is
//     recorded.
//
// # Artifacts
//
// Circuits, keys and ceremony states are written as one file each: a line
// "zkinfer", a JSON header line (format, backend, circuit digest, how the key
// was made, SHA-256 of the payload), then gnark's binary encoding. The header
// can be read with `head -2`; readers reject unknown formats and payloads
// whose digest does not match, and check length prefixes against the payload
// before gnark allocates for them. Writes are atomic (temporary file +
// rename).
//
// # GPU
//
// WithGPU makes Prove use gnark's ICICLE Groth16 prover on a CUDA device, in
// binaries built with the icicle tag (prover/gpu/build.sh); other builds
// return ErrGPUNotBuilt. Proofs are the CPU prover's kind: same keys, same
// Keccak hash-to-field.
package prover
