/**
 * Pure judgements of the engine suite, on what the real engine leaves behind: the state (as `pulumi
 * stack export` prints it, apitype.DeploymentV3 in github.com/pulumi/pulumi sdk/v3 v3.248.0
 * go/common/apitype/core.go: `resources[]` of ResourceV3 with urn, type, id, inputs, outputs, `created`
 * and `modified` timestamps (RFC 3339; step.go sets `modified` whenever a step writes the resource and
 * keeps it on a same step), `delete` for a resource waiting to be deleted), the files of a file backend,
 * and the start times of the VMs.
 */
import * as zlib from 'zlib';

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  created?: string;
  modified?: string;
  delete?: boolean;
  pendingReplacement?: boolean;
}

/** `pulumi stack export` -> its resources (refuses anything else). */
export function stateResources(exported: unknown): StateResource[] {
  const d = exported as { deployment?: { resources?: unknown } };
  const rs = d?.deployment?.resources;
  if (!Array.isArray(rs)) throw new Error('not a `pulumi stack export` document: no deployment.resources array');
  return rs.map((r, i) => {
    const o = r as StateResource;
    if (typeof o?.urn !== 'string' || typeof o.type !== 'string') throw new Error(`deployment.resources[${i}] has no urn or type`);
    return o;
  });
}

/** The resource name at the end of a URN (`...::cluster-worker1-ready`). */
export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf('::') + 2);
}

/** A command's result and the VM it was taken on. */
export interface VmResult {
  name: string;
  /** The VM's address (the router's uplink address for commands that run on the router). */
  ip: string;
  /** When the engine last wrote the resource: the result's age. */
  taken: number;
}

/**
 * The results the lab's remote commands hold, and where they were taken: a node command's text is
 * `ssh ... lab@NODE 'sudo -n bash -s -- create SCRIPT'` (components/remote.ts scriptCommandLine),
 * a router command's is `sudo -n bash -s -- ...` alone.
 */
export function remoteResults(resources: StateResource[], routerIp: string): VmResult[] {
  const out: VmResult[] = [];
  for (const r of resources) {
    if (r.type !== 'command:remote:Command' || r.delete) continue;
    const create = r.inputs?.create;
    if (typeof create !== 'string') throw new Error(`${urnName(r.urn)}: its create command is not a plain string in the state (${JSON.stringify(create)?.slice(0, 80)})`);
    const stamp = r.modified ?? r.created;
    if (stamp === undefined || Number.isNaN(Date.parse(stamp))) throw new Error(`${urnName(r.urn)}: no created/modified time in the state`);
    out.push({ name: urnName(r.urn), ip: /\blab@([\d.]+)/.exec(create)?.[1] ?? routerIp, taken: Date.parse(stamp) / 1000 });
  }
  return out;
}

/**
 * Results taken before the VM they stand on last started (or on a VM that is not running): an output
 * of the old VM kept under a new one. `started(ip)` is the VM's start in seconds since the epoch.
 */
export function staleResults(results: VmResult[], started: (ip: string) => number | undefined): string[] {
  const stale: string[] = [];
  for (const r of results) {
    const s = started(r.ip);
    if (s === undefined) stale.push(`${r.name}: taken at ${iso(r.taken)} on ${r.ip}, which is not running`);
    else if (r.taken < s) stale.push(`${r.name}: taken at ${iso(r.taken)}, before ${r.ip} started at ${iso(s)}`);
  }
  return stale;
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

export interface StateChanges {
  created: string[];
  deleted: string[];
  /** Same URN, another id: replaced. */
  replaced: string[];
  /** Same URN and id, written again (`modified` moved). */
  updated: string[];
  /** Resources the engine left marked for deletion (a replacement that did not finish). */
  pendingDelete: string[];
}

/** What an operation did to the state, resource by resource. */
export function stateChanges(before: StateResource[], after: StateResource[]): StateChanges {
  const live = (rs: StateResource[]) => new Map(rs.filter((r) => !r.delete).map((r) => [r.urn, r]));
  const b = live(before);
  const a = live(after);
  const c: StateChanges = { created: [], deleted: [], replaced: [], updated: [], pendingDelete: [] };
  for (const [urn, r] of a) {
    const old = b.get(urn);
    if (!old) c.created.push(urnName(urn));
    else if (old.id !== r.id) c.replaced.push(urnName(urn));
    else if (old.modified !== r.modified) c.updated.push(urnName(urn));
  }
  for (const urn of b.keys()) if (!a.has(urn)) c.deleted.push(urnName(urn));
  const wasPending = new Set(before.filter((r) => r.delete).map((r) => `${r.urn}\0${r.id}`));
  for (const r of after) if (r.delete && !wasPending.has(`${r.urn}\0${r.id}`)) c.pendingDelete.push(urnName(r.urn));
  return c;
}

export function noChanges(c: StateChanges): boolean {
  return Object.values(c).every((l) => l.length === 0);
}

export function describeChanges(c: StateChanges): string {
  const parts = Object.entries(c)
    .filter(([, l]) => l.length > 0)
    .map(([k, l]) => `${k}: ${(l as string[]).join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'nothing';
}

/** A secret and the pieces of it whose presence in a file means it is there in plain text. */
export interface SecretProbe {
  name: string;
  needles: string[];
}

/** The base64 lines of a PEM or OpenSSH key (its armor lines are not secret). */
export function pemBodyLines(pem: string): string[] {
  return pem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('-----'));
}

/** How a value would read in a JSON file: escaped as a JSON string, without the quotes. */
export function jsonEscaped(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** Probes for a key in PEM form: the whole key as JSON holds it, its base64 encoding, and each body line. */
export function pemProbe(name: string, pem: string): SecretProbe {
  const lines = pemBodyLines(pem);
  if (!/^-----BEGIN [A-Z ]+-----\n/.test(pem) || lines.length === 0) throw new Error(`${name}: not a PEM or OpenSSH key (-----BEGIN ...----- and base64 lines)`);
  return { name, needles: [jsonEscaped(pem), Buffer.from(pem).toString('base64'), ...lines.filter((l) => l.length >= 16)] };
}

/** Probes for a kubeadm bootstrap token `id.secret`: the whole token and its secret half. */
export function tokenProbe(name: string, token: string): SecretProbe {
  const m = /^([a-z0-9]{6})\.([a-z0-9]{16})$/.exec(token);
  if (!m) throw new Error(`${name}: not a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})`);
  return { name, needles: [token, m[2]] };
}

/**
 * Probes for Cilium's key Secret value `SPI+ rfc4106(gcm(aes)) HEX 128`: the value, and the key bytes
 * in every form a random resource stores them (hex, base64, base64url).
 */
export function ipsecProbe(name: string, value: string): SecretProbe {
  const m = /^\d+\+? rfc4106\(gcm\(aes\)\) ([0-9a-f]{40}) 128$/.exec(value);
  if (!m) throw new Error(`${name}: not a Cilium IPsec key value (SPI+ rfc4106(gcm(aes)) <40 hex> 128)`);
  const bytes = Buffer.from(m[1], 'hex');
  return { name, needles: [jsonEscaped(value), m[1], bytes.toString('base64'), bytes.toString('base64url')] };
}

export interface StateFile {
  path: string;
  content: Buffer;
}

/** A file's text as the backend wrote it (gzip when PULUMI_SELF_MANAGED_STATE_GZIP is on). */
export function fileText(f: StateFile): string {
  const gz = f.content.length > 2 && f.content[0] === 0x1f && f.content[1] === 0x8b;
  return (gz ? zlib.gunzipSync(f.content) : f.content).toString('utf8');
}

/** Which secrets are readable in which files (names only: the values are never printed). */
export function secretsInFiles(files: StateFile[], probes: SecretProbe[]): string[] {
  const hits: string[] = [];
  for (const f of files) {
    const text = fileText(f);
    for (const p of probes) {
      const n = p.needles.findIndex((x) => x.length > 0 && text.includes(x));
      if (n >= 0) hits.push(`${p.name} in ${f.path} (probe ${n + 1} of ${p.needles.length})`);
    }
  }
  return hits;
}
