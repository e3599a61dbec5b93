// A dApp client in ethers v6 that verifies a zkinfer bundle on a node using
// only what zkinfer writes: Verifier.abi.json and Registry.abi.json (from
// create-evm-verifier or deploy-evm), deployment.json (deploy-evm) and the
// output of `zkinfer calldata --json`. It calls the verifier's verifyProof
// (a view: reverts unless the proof verifies), sends the same bytes as raw
// calldata, then sends the registry's verifyInference as a transaction, and
// prints each verdict (a revert decoded with the ABIs, e.g. ProofRejected)
// and the InferenceVerified event as JSON. Exit 0 only when all accept.
//
//   node contracts/client/verify.mjs --rpc URL --deployment deployment.json \
//     --calldata calldata.json [--abi-dir DIR]
//
// The signing key for the transaction is read from $ZKINFER_PRIVATE_KEY,
// as zkinfer reads it. The tests run this against geth --dev
// (cmd/zkinfer/geth_test.go).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { Contract, JsonRpcProvider, Wallet } from "ethers";

const { values: args } = parseArgs({
  options: {
    rpc: { type: "string" },
    deployment: { type: "string", default: "deployment.json" },
    calldata: { type: "string", default: "calldata.json" },
    "abi-dir": { type: "string" },
  },
});
const readJSON = (p) => JSON.parse(readFileSync(p, "utf8"));
const abiDir = args["abi-dir"] ?? dirname(args.deployment);

const dep = readJSON(args.deployment);
const cd = readJSON(args.calldata);
if (cd.media_type !== "application/vnd.zkinfer.calldata.v1+json") {
  throw new Error(`${args.calldata}: media type ${cd.media_type}, want application/vnd.zkinfer.calldata.v1+json`);
}
const verifierAbi = readJSON(join(abiDir, "Verifier.abi.json"));
const registryAbi = readJSON(join(abiDir, "Registry.abi.json"));
if (!args.rpc) throw new Error("--rpc URL is required");
if (!process.env.ZKINFER_PRIVATE_KEY) throw new Error("set ZKINFER_PRIVATE_KEY to the key that signs verifyInference");

const provider = new JsonRpcProvider(args.rpc, undefined, { staticNetwork: true, pollingInterval: 250 });
const { chainId } = await provider.getNetwork();
if (chainId !== BigInt(dep.chain_id)) {
  throw new Error(`node serves chain id ${chainId}, the deployment is on ${dep.chain_id}`);
}
const wallet = new Wallet(process.env.ZKINFER_PRIVATE_KEY, provider);
const verifier = new Contract(dep.verifier, verifierAbi, provider);
const registry = new Contract(dep.registry, registryAbi, wallet);

// The proof is hex bytes; the public inputs are uint256 in order (the hex
// and decimal forms are the same numbers).
const proof = cd.proof;
const inputs = cd.public_inputs.map((p) => BigInt(p.hex));

// Decodes a revert into "Name(args)" with the registry's or verifier's ABI.
function reason(err) {
  const data = err?.data ?? err?.info?.error?.data;
  for (const c of [registry, verifier]) {
    try {
      const e = c.interface.parseError(data);
      if (e) return `${e.name}(${e.args.map(String).join(", ")})`;
    } catch {}
  }
  return err?.shortMessage ?? String(err);
}

const result = { verifier: dep.verifier, registry: dep.registry, model_id: dep.model_id };
let ok = true;
async function step(name, fn) {
  try {
    result[name] = (await fn()) ?? "accepted";
  } catch (err) {
    result[name] = `rejected: ${reason(err)}`;
    ok = false;
  }
}

// zkinfer's encoded calldata must be exactly what ethers encodes from the ABI.
result.calldata_matches_abi =
  cd.verifier.data === verifier.interface.encodeFunctionData("verifyProof", [proof, inputs]) &&
  (!cd.registry.data || cd.registry.data === registry.interface.encodeFunctionData("verifyInference", [dep.model_id, proof, inputs]));
await step("verify_proof", () => verifier.verifyProof(proof, inputs).then(() => undefined));
await step("verify_proof_raw", () => provider.call({ to: dep.verifier, data: cd.verifier.data }).then(() => undefined));
await step("verify_inference", async () => {
  // A revert surfaces here, before any transaction is sent.
  await registry.verifyInference.staticCall(dep.model_id, proof, inputs);
  const tx = await registry.verifyInference(dep.model_id, proof, inputs);
  const rcpt = await tx.wait();
  if (rcpt.status !== 1) throw new Error(`transaction ${tx.hash} failed`);
  const ev = rcpt.logs.map((l) => registry.interface.parseLog(l)).find((e) => e?.name === "InferenceVerified");
  if (!ev) throw new Error(`no InferenceVerified event in ${tx.hash}`);
  return { tx: tx.hash, gas_used: rcpt.gasUsed.toString(), public_inputs_hash: ev.args.publicInputsHash };
});
console.log(JSON.stringify(result, null, 2));
process.exit(ok && result.calldata_matches_abi ? 0 : 1);
