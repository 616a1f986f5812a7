/**
 * The whole program under pulumi.runtime.setMocks, shared by the program tests. Mocks are set first,
 * then index.ts is imported (pulumi/examples testing-unit-ts: the program must see the mocks when it
 * runs). newResource echoes the inputs as outputs (as @pulumi/command and @pulumi/kubernetes do) plus
 * the outputs the program reads; the engine-side options mocks do not echo (dependsOn, deletedWith,
 * replaceWith) are read from each registration request.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- mock resource inputs and outputs are untyped JSON; the checks read them loosely */
import { generateKeyPairSync } from 'crypto';
import * as pulumi from '@pulumi/pulumi';
import { envOf } from '../helpers/script-command';

export interface Rec {
  type: string;
  name: string;
  inputs: any;
  /** Names of the resources it depends on (dependsOn and inputs). */
  deps: string[];
  /** Name of the resource it is deleted with, if any. */
  deletedWith?: string;
  /** Names of the resources whose replacement replaces it. */
  replaceWith: string[];
  /** What else the registration asks of the engine: its provider, replacement options, aliases. */
  options?: RegistrationOptions;
}

export interface RegistrationOptions {
  provider: string;
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  aliases: { name: string; parentUrn: string }[];
  /** The replacementTrigger option's value, as the engine receives it (undefined when not set). */
  replacementTrigger?: unknown;
  /** customTimeouts.create as the engine receives it ('' when not set). */
  createTimeout: string;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
export const PUB_PEM = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
export const PRIV_PEM = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const SECRET_SIG = '4dabf18193072939515e22adb298388d';
/** Mock inputs carry secrets wrapped ({ [SECRET_SIG]: ..., value }): unwrap them, remembering which were secret. */
function unwrapSecrets(v: any, secrets: Set<any>): any {
  if (Array.isArray(v)) return v.map((x) => unwrapSecrets(x, secrets));
  if (v && typeof v === 'object') {
    if (SECRET_SIG in v) {
      const inner = unwrapSecrets(v.value, secrets);
      secrets.add(inner);
      return inner;
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x, secrets)]));
  }
  return v;
}

export async function unwrap(v: any): Promise<any> {
  if (pulumi.Output.isInstance(v)) return unwrap(await (v as any).promise());
  if (Array.isArray(v)) return Promise.all(v.map(unwrap));
  if (v && typeof v === 'object' && v.constructor === Object) {
    const o: any = {};
    for (const [k, x] of Object.entries(v)) o[k] = await unwrap(x);
    return o;
  }
  return v;
}

/** What the machines' boot-id read returns: router and nodes, one id each (plan names). */
export const BOOT_IDS: Record<string, string> = {
  router: '0b6a2f1e-1111-4c6e-9d1e-5a7f3c2b0001',
  'control-plane': '0b6a2f1e-2222-4c6e-9d1e-5a7f3c2b0002',
  worker1: '0b6a2f1e-3333-4c6e-9d1e-5a7f3c2b0003',
  worker2: '0b6a2f1e-4444-4c6e-9d1e-5a7f3c2b0004',
};

export interface RunOptions {
  /** Boot ids the boot-id read answers with (default BOOT_IDS). */
  bootIds?: Record<string, string>;
  /** Gets `registered <name>` per resource and `answered <command>` per local.run, in the order they happen. */
  events?: string[];
  /** The host preflight answers after this many milliseconds (default at once). */
  preflightDelayMs?: number;
}

/**
 * `command:local:run` (pulumi-command 1.2.1 local.Run: the outputs echo the inputs plus stdout and
 * stderr, provider/pkg/provider/local/runController.go): the host preflight finds nothing to say, and
 * router-run.sh answers for boot-ids.sh with one `boot.<name>=<id>` line per machine of its stdin's
 * ROUTER_NAME and NODES.
 */
async function localRun(inputs: any, opts: RunOptions): Promise<Record<string, any>> {
  const cmd = String(inputs.command);
  let stdout: string;
  if (/preflight\.sh/.test(cmd)) {
    await new Promise((r) => setTimeout(r, opts.preflightDelayMs ?? 0));
    stdout = '';
  } else if (/router-run\.sh/.test(cmd)) {
    const env = envOf(inputs.environment.REMOTE_STDIN);
    const names = [env.ROUTER_NAME, ...env.NODES.split(' ').map((p) => p.split('=')[0])];
    const ids = opts.bootIds ?? BOOT_IDS;
    stdout = names.map((n) => `boot.${n}=${ids[n]}`).join('\n');
  } else {
    throw new Error(`no stand-in for local.run ${cmd}`);
  }
  opts.events?.push(`answered ${cmd}`);
  return { ...inputs, stdout, stderr: '' };
}

const registrations = new Map<string, { deps: string[]; deletedWith?: string; replaceWith: string[]; options: RegistrationOptions }>();
let patched = false;
/** Mocks do not show dependsOn, deletedWith, replaceWith and the other options: record them from each registration request. */
function recordRegistrations(): void {
  if (patched) return;
  patched = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MockMonitor } = require('@pulumi/pulumi/runtime/mocks');
  const orig = MockMonitor.prototype.registerResource;
  const nameOf = (u: string) => u.split('::').pop() as string;
  MockMonitor.prototype.registerResource = function (req: any, cb: any) {
    registrations.set(req.getName(), {
      deps: (req.getDependenciesList() as string[]).map(nameOf),
      deletedWith: req.getDeletedwith() ? nameOf(req.getDeletedwith()) : undefined,
      replaceWith: (req.getReplaceWithList() as string[]).map(nameOf),
      options: {
        provider: req.getProvider(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        replaceOnChanges: req.getReplaceonchangesList(),
        aliases: (req.getAliasesList() as any[]).filter((a) => a.hasSpec()).map((a) => ({ name: a.getSpec().getName(), parentUrn: a.getSpec().getParenturn() })),
        replacementTrigger: req.getReplacementTrigger()?.toJavaScript(),
        createTimeout: req.getCustomtimeouts()?.getCreate() ?? '',
      },
    });
    return orig.call(this, req, cb);
  };
}

/** Runs index.ts for `config` (a merged stack config, e.g. stackConfig('ipsec')) as a preview. */
export async function runProgram(
  stack: string,
  config: Record<string, string>,
  secrets: Set<any> = new Set(),
  opts: RunOptions = {},
): Promise<{ recs: Rec[]; mod: any }> {
  recordRegistrations();
  registrations.clear();
  const recs: Rec[] = [];
  let pending = 0;
  pulumi.runtime.setAllConfig(config);
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const i = unwrapSecrets(args.inputs, secrets);
        const out: any = { ...i };
        switch (args.type) {
          case 'tls:index/privateKey:PrivateKey':
            Object.assign(out, { privateKeyPem: PRIV_PEM, publicKeyPem: PUB_PEM, privateKeyOpenssh: 'OPENSSH-PRIVATE', publicKeyOpenssh: 'ssh-ed25519 AAAAmock lab' });
            break;
          case 'tls:index/selfSignedCert:SelfSignedCert':
          case 'tls:index/locallySignedCert:LocallySignedCert':
            out.certPem = `CERT-${args.name}`;
            break;
          case 'tls:index/certRequest:CertRequest':
            out.certRequestPem = 'CSR';
            break;
          case 'random:index/randomString:RandomString':
            out.result = 'abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, i.length);
            break;
          case 'random:index/randomPassword:RandomPassword':
            // Drawn from the alphabet the inputs give, as terraform-provider-random's CreateString does.
            out.result = (i.overrideSpecial === 'abcdef' && !i.lower ? '0123456789abcdef' : 'abcdefghijklmnopqrstuvwxyz0123456789').repeat(4).slice(0, i.length);
            break;
          case 'command:local:Command':
            out.stdout = /image-fetch/.test(i.create) ? `/cache/base.img\tqcow2\t600\t${'e'.repeat(64)}\n` : 'ok';
            out.stderr = '';
            break;
          case 'command:remote:Command':
            out.stdout = '';
            out.stderr = '';
            break;
        }
        recs.push({ type: args.type, name: args.name, inputs: i, deps: [], replaceWith: [] });
        opts.events?.push(`registered ${args.name}`);
        return { id: `${args.name}-id`, state: out };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        if (args.token !== 'command:local:run') return args.inputs;
        pending++;
        return localRun(unwrapSecrets(args.inputs, secrets), opts).finally(() => pending--);
      },
    },
    'cilium-ipsec-lab',
    stack,
    true, // preview: the proof's verification only runs during a real `pulumi up`
  );
  // Re-run the program for each stack: only index.ts leaves the module cache (components hold no state).
  delete require.cache[require.resolve('../../index')];
  const mod = await import('../../index');
  // Let every apply-created resource register.
  let n = -1;
  while (n !== recs.length || pending > 0) {
    n = recs.length;
    await new Promise((r) => setTimeout(r, 300));
  }
  for (const r of recs) Object.assign(r, registrations.get(r.name) ?? {});
  return { recs, mod };
}
