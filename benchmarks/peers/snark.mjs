// The Node.js side of the peer benchmark: circom2 (the circom compiler as
// WebAssembly), snarkjs Groth16 and the EZKL engine (@ezkljs/engine), all
// pinned in package.json / package-lock.json. The Go driver
// (benchmarks/peers/cmd/zkpeers) calls one subcommand per process and reads
// the single JSON line it prints last:
//
//   node snark.mjs compile FILE.circom OUTDIR     circom2 --O2 --r1cs --wasm; prints the R1CS sizes
//   node snark.mjs ptau POWER OUT.ptau            powers of tau: new, one contribution, prepare phase 2
//   node snark.mjs setup R1CS PTAU ZKEY VKEY      Groth16 zkey (no phase-2 contribution: a dev setup) and vkey
//   node snark.mjs prove WASM ZKEY VKEY INPUT     timed witness + Groth16 prove (files preloaded), then verify (untimed)
//   node snark.mjs ezkl                           what the EZKL engine exposes, and whether it can run here
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import * as snarkjs from 'snarkjs'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

async function compile(file, outdir) {
  mkdirSync(outdir, { recursive: true })
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [join(here, 'node_modules/circom2/cli.js'), file, '--O2', '--r1cs', '--wasm', '-o', outdir, '-l', join(here, 'node_modules')], { encoding: 'utf8', maxBuffer: 1 << 26 })
  const ms = performance.now() - t0
  if (r.status !== 0) {
    throw new Error(`circom2 failed (${r.status}): ${r.stderr || r.stdout}`)
  }
  const base = file.replace(/^.*\//, '').replace(/\.circom$/, '')
  const r1cs = join(outdir, base + '.r1cs')
  const info = await snarkjs.r1cs.info(r1cs)
  out({ r1cs, wasm: join(outdir, base + '_js', base + '.wasm'), constraints: info.nConstraints, public: info.nPubInputs + info.nOutputs, vars: info.nVars, compile_ms: ms })
}

async function ptau(power, file) {
  const curve = await snarkjs.curves.getCurveFromName('bn128')
  const t0 = performance.now()
  const p0 = file + '.0', p1 = file + '.1'
  await snarkjs.powersOfTau.newAccumulator(curve, Number(power), p0)
  await snarkjs.powersOfTau.contribute(p0, p1, 'zkinfer peer benchmark', 'local entropy ' + Math.random())
  await snarkjs.powersOfTau.preparePhase2(p1, file)
  rmSync(p0); rmSync(p1)
  out({ ptau: file, power: Number(power), ms: performance.now() - t0 })
}

async function setup(r1cs, ptauFile, zkey, vkey) {
  await snarkjs.curves.getCurveFromName('bn128')
  const t0 = performance.now()
  await snarkjs.zKey.newZKey(r1cs, ptauFile, zkey)
  const vk = await snarkjs.zKey.exportVerificationKey(zkey)
  writeFileSync(vkey, JSON.stringify(vk))
  out({ zkey, ms: performance.now() - t0 })
}

async function prove(wasm, zkey, vkey, inputFile) {
  const curve = await snarkjs.curves.getCurveFromName('bn128') // warm: threads and tables, untimed
  const input = JSON.parse(readFileSync(inputFile, 'utf8'))
  // The circuit's wasm and the zkey are read into memory untimed, as gnark's
  // key is in memory when zkinfer's prove is timed.
  const wasmMem = { type: 'mem', data: new Uint8Array(readFileSync(wasm)) }
  const zkeyMem = { type: 'mem', data: new Uint8Array(readFileSync(zkey)) }
  const wtns = { type: 'mem' }
  const t0 = performance.now()
  await snarkjs.wtns.calculate(input, wasmMem, wtns)
  const t1 = performance.now()
  const { proof, publicSignals } = await snarkjs.groth16.prove(zkeyMem, wtns)
  const t2 = performance.now()
  const vk = JSON.parse(readFileSync(vkey, 'utf8'))
  const ok = await snarkjs.groth16.verify(vk, publicSignals, proof)
  // Public signals are field elements: map the upper half to negatives.
  const p = curve.r
  const signed = publicSignals.map((s) => { const v = BigInt(s); return (v > p / 2n ? v - p : v).toString() })
  out({ witness_ms: t1 - t0, prove_ms: t2 - t1, total_ms: t2 - t0, verified: ok, public: signed })
}

async function ezkl() {
  const pkg = JSON.parse(readFileSync(join(here, 'node_modules/@ezkljs/engine/package.json'), 'utf8'))
  const engine = require('@ezkljs/engine/nodejs/ezkl.js')
  const fns = Object.keys(engine).filter((k) => typeof engine[k] === 'function' && !k.startsWith('__')).sort()
  // The prover entry points need a compiled circuit (ezkl compile-circuit's
  // bincode GraphCircuit) and a KZG SRS; the engine has no function that
  // makes either. Probe that an empty circuit is refused, to show the engine
  // itself runs.
  let probe
  try {
    probe = engine.compiledCircuitValidation(new Uint8ClampedArray(0)) ? 'accepted' : 'rejected'
  } catch (e) {
    probe = 'rejected: ' + String(e).slice(0, 120)
  }
  const has = (n) => fns.includes(n)
  out({
    version: pkg.version,
    functions: fns,
    can_prove_from_compiled: has('genWitness') && has('genPk') && has('prove') && has('verify'),
    can_compile_onnx: fns.some((f) => /compile|onnx|gen_?settings|calibrate/i.test(f) && !/validation/i.test(f)),
    can_make_srs: fns.some((f) => /srs/i.test(f) && !/validation/i.test(f)),
    empty_circuit_probe: probe,
  })
}

const [cmd, ...args] = process.argv.slice(2)
const cmds = { compile, ptau, setup, prove, ezkl }
if (!cmds[cmd]) {
  process.stderr.write('usage: node snark.mjs compile|ptau|setup|prove|ezkl ARGS (see the header of this file)\n')
  process.exit(2)
}
try {
  await cmds[cmd](...args)
  process.exit(0)
} catch (e) {
  process.stderr.write(String(e && e.stack || e) + '\n')
  process.exit(1)
}
