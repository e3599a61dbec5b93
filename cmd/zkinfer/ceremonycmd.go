package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
)

// The ceremony commands wrap gnark's Groth16 MPC (mpcsetup): phase 1 (powers
// of tau, circuit-independent) and phase 2 (per circuit). Every state is a
// file; each participant takes the latest, contributes and publishes the
// next. Keys are safe if at least one participant destroyed their secret.
var ceremonyCommand = &cli.Command{
	Name:  "ceremony",
	Usage: "Groth16 MPC setup: production keys no single machine can forge proofs for",
	Description: `A two-phase multi-party ceremony (gnark's mpcsetup). A coordinator starts each
phase; participants contribute in turn, each on the file the one before
published; anyone can verify the transcript. Keys are safe as long as one
participant destroyed their secret (zkinfer never writes it). Flags go
before the file arguments.

   zkinfer ceremony phase1-init --circuit circuit.zkc -o p1-0.mpc
   zkinfer ceremony contribute --name alice -o p1-1.mpc p1-0.mpc   (each participant)
   zkinfer ceremony verify p1-1.mpc p1-2.mpc ...
   zkinfer ceremony phase1-seal --beacon HEX -o phase1.srs p1-1.mpc p1-2.mpc ...
   zkinfer ceremony phase2-init --circuit circuit.zkc -o p2-0.mpc
   zkinfer ceremony contribute --name alice -o p2-1.mpc p2-0.mpc   (each participant)
   zkinfer ceremony verify --circuit circuit.zkc p2-1.mpc p2-2.mpc ...
   zkinfer ceremony extract --beacon HEX p2-1.mpc p2-2.mpc ...    (writes pk.key, vk.key)
   zkinfer ceremony audit --phase1 p1-1.mpc ... p2-1.mpc ...       (anyone, against vk.key)

The beacon is a public random value fixed after the last contribution of the
phase (a later block hash, a drand round), so no participant can steer the result.`,
	Subcommands: []*cli.Command{
		phase1InitCommand, contributeCommand, verifyCeremonyCommand, phase1SealCommand,
		phase2InitCommand, extractCommand, auditCommand,
	},
}

var phase1InitCommand = &cli.Command{
	Name:      "phase1-init",
	Usage:     "write the starting point of phase 1 (powers of tau)",
	UsageText: "zkinfer ceremony phase1-init (--circuit circuit.zkc | --domain N) -o FILE",
	Flags:     []cli.Flag{&cli.StringFlag{Name: CircuitFlag.Name, Category: catFiles, Usage: "compiled Groth16 circuit `FILE` the phase must fit"}, DomainFlag, OutFlag},
	Action: func(ctx *cli.Context) error {
		domain := ctx.Uint64(DomainFlag.Name)
		if path := ctx.String(CircuitFlag.Name); path != "" {
			c, err := readGroth16Circuit(path)
			if err != nil {
				return err
			}
			if need := prover.CeremonyDomain(c); domain < need {
				domain = need
			}
		}
		if domain == 0 {
			return withHint(errors.New("ceremony: phase 1 needs a domain size"), "pass --circuit circuit.zkc or --domain N (a power of two)")
		}
		start, err := prover.NewPhase1(domain)
		if err != nil {
			return err
		}
		return writeContribution(ctx.App.Writer, ctx.String(OutFlag.Name), start)
	},
}

var contributeCommand = &cli.Command{
	Name:      "contribute",
	Usage:     "add this machine's randomness to the latest ceremony file",
	UsageText: "zkinfer ceremony contribute [--name NAME] -o NEXT_FILE LATEST_FILE",
	Description: `Reads the latest state (phase 1 or 2), contributes a fresh secret from the
operating system's random source, and writes the next state. The secret is
never written; publish NEXT_FILE.`,
	Flags: []cli.Flag{ContributorFlag, OutFlag},
	Action: func(ctx *cli.Context) error {
		if ctx.NArg() != 1 {
			return withHint(errors.New("ceremony contribute: want one input file"), "zkinfer ceremony contribute -o NEXT_FILE LATEST_FILE (flags first)")
		}
		prev, err := prover.ReadContribution(ctx.Args().First())
		if err != nil {
			return err
		}
		done := newProgress(ctx).Start(fmt.Sprintf("contributing to phase %d", prev.Phase()))
		next, err := prover.Contribute(prev, ctx.String(ContributorFlag.Name))
		done()
		if err != nil {
			return err
		}
		return writeContribution(ctx.App.Writer, ctx.String(OutFlag.Name), next)
	},
}

var verifyCeremonyCommand = &cli.Command{
	Name:      "verify",
	Usage:     "verify the contributions of one phase, in order",
	UsageText: "zkinfer ceremony verify [--circuit circuit.zkc --mpc-srs phase1.srs] CONTRIBUTION...",
	Description: `Checks every contribution against the one before, from the public starting
point: its proof of knowledge and that it builds on its predecessor. Phase 2
needs the circuit and the sealed phase 1.`,
	Flags: []cli.Flag{CircuitFlag, MPCSRSFlag},
	Action: func(ctx *cli.Context) error {
		contribs, err := readContributions(ctx.Args().Slice())
		if err != nil {
			return err
		}
		p := newProgress(ctx)
		done := p.Start("verifying the transcript")
		if contribs[0].Phase() == 1 {
			err = prover.VerifyPhase1(contribs)
		} else {
			var c *prover.Circuit
			var srs *prover.MPCSRS
			if c, srs, err = readPhase2Inputs(ctx); err == nil {
				err = prover.VerifyPhase2(c, srs, contribs)
			}
		}
		done()
		if err != nil {
			return err
		}
		fmt.Fprintf(ctx.App.Writer, "VERIFIED: phase %d, %d contributions\n", contribs[0].Phase(), len(contribs))
		printTranscript(ctx.App.Writer, contribs)
		return nil
	},
}

var phase1SealCommand = &cli.Command{
	Name:      "phase1-seal",
	Usage:     "verify phase 1 and seal it with a beacon: the input of phase 2",
	UsageText: "zkinfer ceremony phase1-seal --beacon HEX [-o phase1.srs] CONTRIBUTION...",
	Flags:     []cli.Flag{BeaconFlag, &cli.StringFlag{Name: OutFlag.Name, Aliases: OutFlag.Aliases, Category: catFiles, Value: DefaultMPCSRS, Usage: "sealed phase 1 `FILE` to write"}},
	Action: func(ctx *cli.Context) error {
		beacon, err := parseBeacon(ctx.String(BeaconFlag.Name))
		if err != nil {
			return err
		}
		contribs, err := readContributions(ctx.Args().Slice())
		if err != nil {
			return err
		}
		done := newProgress(ctx).Start("verifying and sealing phase 1")
		srs, err := prover.SealPhase1(contribs, beacon)
		done()
		if err != nil {
			return err
		}
		out := ctx.String(OutFlag.Name)
		if err := prover.WriteMPCSRS(out, srs); err != nil {
			return err
		}
		fmt.Fprintf(ctx.App.Writer, "sealed phase 1: %s (domain %d, %d contributions)\nphase 1 digest: %s\n", out, srs.Header.Ceremony.Domain, len(contribs), srs.Header.SetupDigest)
		return nil
	},
}

var phase2InitCommand = &cli.Command{
	Name:      "phase2-init",
	Usage:     "write the starting point of phase 2 for a compiled circuit",
	UsageText: "zkinfer ceremony phase2-init [--circuit circuit.zkc] [--mpc-srs phase1.srs] -o FILE",
	Flags:     []cli.Flag{CircuitFlag, MPCSRSFlag, OutFlag},
	Action: func(ctx *cli.Context) error {
		c, srs, err := readPhase2Inputs(ctx)
		if err != nil {
			return err
		}
		done := newProgress(ctx).Start("starting phase 2")
		start, err := prover.NewPhase2(c, srs)
		done()
		if err != nil {
			return err
		}
		return writeContribution(ctx.App.Writer, ctx.String(OutFlag.Name), start)
	},
}

var extractCommand = &cli.Command{
	Name:      "extract",
	Usage:     "verify phase 2, seal it with a beacon and write the proving and verifying keys",
	UsageText: "zkinfer ceremony extract --beacon HEX [--circuit circuit.zkc] [--mpc-srs phase1.srs] [--pk pk.key] [--vk vk.key] CONTRIBUTION...",
	Flags:     []cli.Flag{BeaconFlag, CircuitFlag, MPCSRSFlag, PKFlag, VKFlag},
	Action: func(ctx *cli.Context) error {
		beacon, err := parseBeacon(ctx.String(BeaconFlag.Name))
		if err != nil {
			return err
		}
		c, srs, err := readPhase2Inputs(ctx)
		if err != nil {
			return err
		}
		contribs, err := readContributions(ctx.Args().Slice())
		if err != nil {
			return err
		}
		done := newProgress(ctx).Start("verifying phase 2 and extracting the keys")
		keys, err := prover.ExtractKeys(c, srs, contribs, beacon)
		done()
		if err != nil {
			return err
		}
		if err := prover.WriteKeys(ctx.String(PKFlag.Name), ctx.String(VKFlag.Name), keys); err != nil {
			return err
		}
		d, err := prover.WriteDigest(ctx.String(VKFlag.Name), keys.VK, keys.VKHeader.Layout())
		if err != nil {
			return err
		}
		fmt.Fprintf(ctx.App.Writer, "proving key: %s\nverifying key: %s\nverifying key digest: %s (in %s)\nsetup: %s\n", ctx.String(PKFlag.Name), ctx.String(VKFlag.Name), d, prover.DigestPath(ctx.String(VKFlag.Name)), strings.TrimSpace(keys.VKHeader.Setup+" "+keys.VKHeader.SetupDigest))
		return writeWeightsBasis(ctx.App.Writer, ctx.String(VKFlag.Name), c, keys)
	},
}

var auditCommand = &cli.Command{
	Name:      "audit",
	Usage:     "recompute the keys from the whole transcript and check they are vk.key",
	UsageText: "zkinfer ceremony audit [--circuit circuit.zkc] [--vk vk.key] --phase1 P1_FILE... PHASE2_FILE...",
	Description: `For auditors: verifies phase 1 and phase 2 from their public starting points,
seals them with the beacons the key records (printed: compare them with their
public source), and checks the result is the verifying key, byte for byte.
Recompile the circuit from the model yourself for a full check.`,
	Flags: []cli.Flag{CircuitFlag, VKFlag, &cli.StringSliceFlag{Name: Phase1Flag.Name, Category: catFiles, Required: true, Usage: Phase1Flag.Usage}},
	Action: func(ctx *cli.Context) error {
		c, err := readGroth16Circuit(ctx.String(CircuitFlag.Name))
		if err != nil {
			return err
		}
		vk, vkh, err := prover.ReadVerifyingKey(ctx.String(VKFlag.Name))
		if err != nil {
			return err
		}
		p1, err := readContributions(ctx.StringSlice(Phase1Flag.Name))
		if err != nil {
			return err
		}
		p2, err := readContributions(ctx.Args().Slice())
		if err != nil {
			return err
		}
		done := newProgress(ctx).Start("auditing the ceremony")
		err = prover.AuditCeremony(c, vk, vkh, p1, p2)
		done()
		if err != nil {
			return err
		}
		info := vkh.Ceremony
		d, err := prover.VerifyingKeyDigest(vk, vkh.Layout())
		if err != nil {
			return err
		}
		fmt.Fprintf(ctx.App.Writer, "verifying key digest: %s (pin it: zkinfer verify --vk %s, or --vk-digest %s)\n", d, ctx.String(VKFlag.Name), d)
		fmt.Fprintf(ctx.App.Writer, "AUDITED: %s was made by this transcript for circuit %s\nphase 1: %d contributions, beacon %s\nphase 2: %d contributions, beacon %s\nsetup digest: %s\n",
			ctx.String(VKFlag.Name), c.Header.CircuitDigest, len(p1), info.Phase1Beacon, len(p2), info.Beacon, vkh.SetupDigest)
		return nil
	},
}

func readGroth16Circuit(path string) (*prover.Circuit, error) {
	c, err := prover.ReadCircuit(path)
	if err != nil {
		return nil, withHint(err, "compile the circuit with: zkinfer compile-circuit --circuit %s", path)
	}
	if c.Header.Backend != prover.BackendGroth16 {
		return nil, withHint(fmt.Errorf("%s: %w: compiled for %s; the ceremony makes Groth16 keys", path, prover.ErrBackendMismatch, c.Header.Backend), "PLONK keys come from an SRS file: zkinfer setup --srs FILE")
	}
	return c, nil
}

func readPhase2Inputs(ctx *cli.Context) (*prover.Circuit, *prover.MPCSRS, error) {
	c, err := readGroth16Circuit(ctx.String(CircuitFlag.Name))
	if err != nil {
		return nil, nil, err
	}
	srs, err := prover.ReadMPCSRS(ctx.String(MPCSRSFlag.Name))
	if err != nil {
		return nil, nil, withHint(err, "seal phase 1 first: zkinfer ceremony phase1-seal --beacon HEX -o %s CONTRIBUTION...", ctx.String(MPCSRSFlag.Name))
	}
	return c, srs, nil
}

func readContributions(paths []string) ([]*prover.Contribution, error) {
	if len(paths) == 0 {
		return nil, withHint(errors.New("ceremony: no contribution files"), "list the contribution files in order, starting with the first contribution (not the -0 starting point)")
	}
	out := make([]*prover.Contribution, len(paths))
	for i, p := range paths {
		c, err := prover.ReadContribution(p)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func writeContribution(w io.Writer, path string, c *prover.Contribution) error {
	if err := prover.WriteContribution(path, c); err != nil {
		return err
	}
	h := c.Header.Ceremony
	fmt.Fprintf(w, "phase %d, contribution %d: %s\ndigest: %s\n", h.Phase, h.Index, path, c.Digest)
	return nil
}

func parseBeacon(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, withHint(fmt.Errorf("ceremony: beacon %q is not a non-empty hex string", s), "use a public random value fixed after the last contribution, e.g. a block hash")
	}
	return b, nil
}

func printTranscript(w io.Writer, contribs []*prover.Contribution) {
	for _, c := range contribs {
		name := c.Header.Ceremony.Contributor
		if name == "" {
			name = "(anonymous)"
		}
		fmt.Fprintf(w, "  %d %s %s\n", c.Index(), c.Digest, name)
	}
}
