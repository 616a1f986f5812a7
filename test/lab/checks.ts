/**
 * What the lab suite (test/lab/suite.ts) judges, as pure functions of what the lab printed and recorded:
 * each stage's verification (read once, by the lab command's own reader, components/labcli/verification.ts),
 * the per-resource durations Pulumi prints, the Secret's identity in the exported state, and libvirt
 * names left behind. No I/O here: test/lab/checks.test.ts feeds them real and broken inputs.
 */
import { readVerification, type StackVerification } from '../../components/labcli/verification';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stages whose outputs the suite judges, and what each must show. */
export type Stage = 'unencrypted' | 'ipsec' | 'rotation' | 'wireguard';

function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

/**
 * The checks of one stage on `lab outputs --json`. A stage with nothing to judge fails: no verification,
 * no frames, no nonce count, no decryption count are failures, never passes by absence.
 */
export function stageChecks(stage: Stage, outputs: Obj): Check[] {
  const read = readVerification(outputs);
  if ('problem' in read) return [check(`${stage}: verification readable`, false, read.problem)];
  const v = read.verification;
  const out: Check[] = [check(`${stage}: verification passed`, v.pass, v.pass ? `verdict ${v.verdict ?? '-'}` : v.failures.join('; ') || 'no failures listed')];
  const frames = v.frames ?? 0;
  out.push(check(`${stage}: a capture was judged`, frames > 0 && v.capturePath !== undefined, `${frames} frames, ${v.capturePath ?? 'no capture path'}`));
  const hits = v.nonce?.hits;
  const decryptedHits = v.nonce?.decryptedHits ?? 0;
  switch (stage) {
    case 'unencrypted':
      out.push(check('unencrypted: expected cleartext', v.expected?.expect === 'cleartext', `expected ${v.expected?.expect ?? '-'}`));
      out.push(check('unencrypted: the nonce seen in cleartext', (hits ?? 0) > 0, `nonce in ${hits ?? 'no count'} frames`));
      break;
    case 'ipsec':
    case 'rotation': {
      out.push(check(`${stage}: expected encrypted (ipsec)`, v.expected?.expect === 'encrypted' && v.expected?.encryption === 'ipsec', `${v.expected?.encryption ?? '-'}/${v.expected?.expect ?? '-'}`));
      const esp = v.esp?.packets ?? 0;
      const ok = v.decryption?.ok ?? 0;
      const failed = v.decryption?.failed;
      out.push(check(`${stage}: ESP decrypted with the nodes' keys`, esp > 0 && ok > 0 && failed === 0, `${esp} ESP, ${ok} decrypted, ${failed ?? 'no count of'} failed`));
      out.push(check(`${stage}: the nonce inside the ESP only`, hits === 0 && decryptedHits > 0, `cleartext ${hits ?? 'no count'}, decrypted ${decryptedHits}`));
      if (stage === 'rotation') out.push(rotationCheck(v));
      break;
    }
    case 'wireguard': {
      out.push(check('wireguard: expected encrypted (wireguard)', v.expected?.expect === 'encrypted' && v.expected?.encryption === 'wireguard', `${v.expected?.encryption ?? '-'}/${v.expected?.expect ?? '-'}`));
      const data = v.wireguard?.dataPackets ?? 0;
      out.push(check('wireguard: WireGuard data on the wire, no nonce in clear', data > 0 && hits === 0, `${data} data packets, nonce in clear ${hits ?? 'no count'}`));
      break;
    }
  }
  return out;
}

function rotationCheck(v: StackVerification): Check {
  const r = v.rotation;
  if (!r) return check('rotation: rotation judged', false, 'no rotation in the verification');
  const d = r.directions.map((x) => `${x.src}->${x.dst} old..${x.lastOld ?? '-'} new ${x.firstNew ?? '-'}`).join(', ');
  return check(`rotation: met (${r.from} -> ${r.to})`, r.pass && r.directions.length > 0, `${r.directions.length} directions: ${d}; ping lost ${r.traffic.pingLost}/${r.traffic.pingTransmitted}`);
}

/** After the in-place switch: the output names the run before it, and both captures are on disk. */
export function switchChecks(outputs: Obj, captureFiles: string[]): Check[] {
  const ver = outputs.verification;
  const before = isObj(ver) && isObj(ver.before) ? ver.before : undefined;
  const beforeMode = before && isObj(before.expected) ? before.expected.encryption : undefined;
  const pcaps = captureFiles.filter((f) => f.endsWith('.pcap'));
  return [
    check('ipsec: the run before the switch is kept in verification.before', beforeMode === 'none', `before: ${beforeMode === undefined ? 'absent' : String(beforeMode)}`),
    check('ipsec: both captures kept (none and ipsec)', pcaps.some((f) => /-none\.pcap$/.test(f)) && pcaps.some((f) => /-ipsec\.pcap$/.test(f)), pcaps.join(', ') || 'no pcap'),
  ];
}

export interface ResourceTiming {
  op: string;
  type: string;
  name: string;
  seconds: number;
}

const STEP_LINE = /^\s*(?:[+~-]+)?\s*(\S+:\S+)\s+(\S+)\s+(created|updated|replaced|deleted|read|refreshed)(?: replacement| original)?\s+\(([\d.]+)s\)/;

/**
 * The durations Pulumi's non-interactive display prints when a step ends, e.g.
 * `+  command:remote:Command cluster-init created (412.35s)`, `++ ... created replacement (0.23s)`: one
 * row per step, in the order they ended (a replacement's create and delete are rows of their own).
 */
export function resourceTimings(output: string): ResourceTiming[] {
  const rows: ResourceTiming[] = [];
  for (const line of output.split('\n')) {
    const m = STEP_LINE.exec(line);
    if (m) rows.push({ type: m[1], op: m[3], name: m[2], seconds: Number(m[4]) });
  }
  return rows;
}

/** The state's resources of a type, from `pulumi stack export` (deployment.resources). */
export function stateResourcesOfType(exported: unknown, type: string): Obj[] {
  const d = isObj(exported) && isObj(exported.deployment) ? exported.deployment : undefined;
  const res = d && Array.isArray(d.resources) ? d.resources : [];
  return res.filter((r): r is Obj => isObj(r) && r.type === type);
}

/** uid and resourceVersion of the IPsec key Secret as the state holds them. */
export function secretIdentity(exported: unknown, name: string): { uid: string; resourceVersion: string } | undefined {
  for (const r of stateResourcesOfType(exported, 'kubernetes:core/v1:Secret')) {
    const meta = isObj(r.outputs) && isObj(r.outputs.metadata) ? r.outputs.metadata : undefined;
    if (meta?.name === name && typeof meta.uid === 'string' && typeof meta.resourceVersion === 'string') {
      return { uid: meta.uid, resourceVersion: meta.resourceVersion };
    }
  }
  return undefined;
}

/** A rotation patches the Secret: the same object (uid), a new resourceVersion, and an `updated` step. */
export function secretPatchedCheck(
  before: { uid: string; resourceVersion: string } | undefined,
  after: { uid: string; resourceVersion: string } | undefined,
  steps: ResourceTiming[],
): Check {
  const secretSteps = steps.filter((s) => s.type === 'kubernetes:core/v1:Secret').map((s) => s.op);
  const ok = !!before && !!after && before.uid === after.uid && before.resourceVersion !== after.resourceVersion && secretSteps.length > 0 && secretSteps.every((o) => o === 'updated');
  const what = before && after ? `uid ${before.uid === after.uid ? 'kept' : `${before.uid} -> ${after.uid}`}, resourceVersion ${before.resourceVersion} -> ${after.resourceVersion}` : `uid before ${before?.uid ?? 'absent'}, after ${after?.uid ?? 'absent'}`;
  return check('rotation: the key Secret patched in place', ok, `${what}; steps: ${secretSteps.join(', ') || 'none'}`);
}

/** libvirt objects whose names start with one of the prefixes (what `down` must leave no trace of). */
export function leftovers(names: string[], prefixes: string[]): string[] {
  return names.filter((n) => prefixes.some((p) => n.startsWith(p)));
}
