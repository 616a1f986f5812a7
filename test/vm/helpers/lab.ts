/**
 * The VM suite's lab: the program's own config parser, topology plan, libvirt commands, cloud-init
 * builders and remote command text, driven from a test instead of the Pulumi engine. Nothing here
 * builds XML, cloud-init or command lines itself: it only calls the lab's pure functions and runs what
 * they return, in the order index.ts creates the resources (pool, networks, base image, per VM overlay
 * and seed, domains) and the reverse order for deletes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseLabConfig, type LabConfig } from '../../../components/config';
import { planTopology, type TopologyPlan, type VmPlan } from '../../../components/topology';
import * as libvirt from '../../../components/libvirt/commands';
import { seedFiles, LAB_USER } from '../../../components/cloud-init';
import { scriptCommandText, type ScriptCommand } from '../../../components/remote';
import { mustRun, runHostCommand, run, type HostCommandLike, type RouterSsh, REPO_ROOT } from './run';

export const STACK = 'vmtest';

/**
 * A top-level key cloud-init's schema does not know. cloud-init >= 23.4 logs the schema failure as a
 * WARNING, finishes the boot, and `cloud-init status` then exits 2 ("done" with recoverable errors,
 * cloud-init doc/rtd/explanation/return_codes.rst): the state a real node reaches with one harmless
 * warning. One worker boots with it so the wait scripts meet exit 2 on a real cloud-init.
 */
export const DELIBERATE_WARNING_KEY = 'lab_vm_suite_deliberate_warning';

export interface LabKeys {
  privateKey: string;
  publicKey: string;
  keyFile: string;
}

/** An SSH key pair as the program's @pulumi/tls ED25519 PrivateKey gives it (OpenSSH formats). */
export async function makeKeyPair(dir: string): Promise<LabKeys> {
  const keyFile = path.join(dir, 'id_ed25519');
  fs.rmSync(keyFile, { force: true });
  fs.rmSync(`${keyFile}.pub`, { force: true });
  await mustRun('ssh-keygen', ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `cil-${STACK}`, '-f', keyFile]);
  return { privateKey: fs.readFileSync(keyFile, 'utf8'), publicKey: fs.readFileSync(`${keyFile}.pub`, 'utf8').trim(), keyFile };
}

/** The key pair of an earlier run kept with VM_TEST_KEEP=1 (its lab's VMs trust only that key). */
export function loadKeyPair(dir: string): LabKeys {
  const keyFile = path.join(dir, 'id_ed25519');
  return { privateKey: fs.readFileSync(keyFile, 'utf8'), publicKey: fs.readFileSync(`${keyFile}.pub`, 'utf8').trim(), keyFile };
}

/** The raw `lab:` settings of a test stack (keys without `lab:`): the test image, small VMs, software
 *  emulation where KVM cannot run guests. The engine suite writes the same into its stack file. */
export function vmTestSettings(image: { path: string; sha256: string }, domainType: 'kvm' | 'qemu', cacheDir: string): Record<string, string> {
  return {
    encryption: 'ipsec',
    imageUrl: image.path,
    imageChecksum: `sha256:${image.sha256}`,
    imageCacheDir: cacheDir,
    domainType,
    routerVcpus: '1',
    routerMemoryMiB: '1024',
    routerDiskGiB: '8',
    workerVcpus: '1',
    workerMemoryMiB: '1280',
    workerDiskGiB: '8',
    captureInterface: 'seg2',
  };
}

/** The suite's stack config (vmTestSettings, parsed by the program's own config parser). */
export function vmTestConfig(image: { path: string; sha256: string }, domainType: 'kvm' | 'qemu', cacheDir: string): LabConfig {
  return parseLabConfig(vmTestSettings(image, domainType, cacheDir), STACK);
}

export interface NamedCommand {
  what: string;
  cmd: HostCommandLike;
}

export class Lab {
  readonly plan: TopologyPlan;
  readonly vms: VmPlan[];
  readonly uri: string;
  /** The base image as image-fetch.sh reported it (the delete runs with the create's environment). */
  base: { file: string; format: 'qcow2' | 'raw' };

  constructor(
    readonly cfg: LabConfig,
    readonly keys: LabKeys,
  ) {
    this.plan = planTopology(cfg);
    // The VM half only: the router and the two workers (no control-plane, no Kubernetes here).
    this.vms = [this.plan.router, ...this.plan.workers];
    this.uri = cfg.libvirtUri;
    this.base = { file: cfg.imageUrl, format: 'qcow2' };
  }

  get router(): VmPlan {
    return this.plan.router;
  }
  get workers(): VmPlan[] {
    return this.plan.workers;
  }

  routerSsh(): RouterSsh {
    return { host: this.plan.router.ip, port: 22, user: LAB_USER, keyFile: this.keys.keyFile };
  }

  networks(): NamedCommand[] {
    return Object.values(this.plan.networks).map((n) => ({ what: `network ${n.name}`, cmd: libvirt.networkCommands(this.uri, n) }));
  }
  pool(): NamedCommand {
    return { what: `pool ${this.plan.pool.name}`, cmd: libvirt.poolCommands(this.uri, this.plan) };
  }
  imageFetch(): NamedCommand {
    return { what: 'image fetch', cmd: libvirt.imageFetchCommands(this.cfg) };
  }
  baseVolume(file: string, format: string): NamedCommand {
    return { what: `volume ${this.plan.baseVolume}`, cmd: libvirt.baseVolumeCommands(this.uri, this.plan, file, format) };
  }
  overlay(vm: VmPlan, baseFormat: 'qcow2' | 'raw'): NamedCommand {
    return { what: `volume ${vm.diskVolume}`, cmd: libvirt.overlayVolumeCommands(this.uri, this.plan, vm, baseFormat) };
  }
  /** The worker whose user-data carries DELIBERATE_WARNING_KEY. */
  get warnedWorker(): VmPlan {
    return this.plan.workers[this.plan.workers.length - 1];
  }

  seed(vm: VmPlan): NamedCommand {
    const files = seedFiles(this.plan, vm, {
      sshPublicKey: this.keys.publicKey,
      routerPrivateKey: vm.role === 'router' ? this.keys.privateKey : undefined,
    });
    if (vm.name === this.warnedWorker.name) {
      files.userData = `${files.userData.replace(/\n*$/, '\n')}${DELIBERATE_WARNING_KEY}: true\n`;
    }
    return { what: `seed ${vm.seedVolume}`, cmd: libvirt.seedVolumeCommands(this.uri, this.plan, vm, files) };
  }
  domain(vm: VmPlan): NamedCommand {
    return { what: `domain ${vm.domain}`, cmd: libvirt.domainCommands(this.uri, this.plan, vm, this.cfg.domainType) };
  }

  /** Every delete, in the order a `pulumi destroy` runs them (dependents first). */
  deleteOrder(): NamedCommand[][] {
    return [
      this.vms.map((vm) => this.domain(vm)),
      this.vms.flatMap((vm) => [this.overlay(vm, this.base.format), this.seed(vm)]),
      [this.baseVolume(this.base.file, this.base.format)],
      [this.pool()],
      this.networks(),
    ];
  }

  /** Runs every delete command (each group in parallel, groups in order). Throws the first failure. */
  async deleteAll(): Promise<string[]> {
    const out: string[] = [];
    for (const group of this.deleteOrder()) {
      const results = await Promise.all(group.map((c) => runHostCommand(c.what, c.cmd, 'delete')));
      for (const r of results) out.push(r.stdout.trim());
    }
    return out;
  }

  /** The command text and stdin remote.Command would send for a script (on the router, or on `node` from it). */
  scriptText(script: string, env: Record<string, string> = {}, node?: string): ScriptCommand {
    return scriptCommandText(script, env, node);
  }
  inlineText(text: string, env: Record<string, string> = {}, node?: string): ScriptCommand {
    return scriptCommandText({ name: 'lab-inline.sh', text }, env, node);
  }

  /** Libvirt objects whose name starts with the lab prefix (what must be gone after teardown). */
  async leftovers(): Promise<string[]> {
    const p = this.plan.prefix;
    const list = async (args: string[]) => {
      const r = await run(['virsh', '-q', '-c', this.uri, ...args]);
      return r.code === 0 ? r.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : [];
    };
    const found: string[] = [];
    for (const d of await list(['list', '--all', '--name'])) if (d.startsWith(p)) found.push(`domain ${d}`);
    for (const n of await list(['net-list', '--all', '--name'])) if (n.startsWith(p)) found.push(`network ${n}`);
    const pools = await list(['pool-list', '--all', '--name']);
    for (const pool of pools) {
      if (pool.startsWith(p)) found.push(`pool ${pool}`);
      for (const line of await list(['vol-list', '--pool', pool])) {
        const name = line.split(/\s+/)[0];
        if (name.startsWith(p)) found.push(`volume ${pool}/${name}`);
      }
    }
    if (fs.existsSync(this.plan.pool.path)) found.push(`directory ${this.plan.pool.path}`);
    for (const n of Object.values(this.plan.networks)) {
      if (fs.existsSync(`/sys/class/net/${n.bridge}`)) found.push(`bridge ${n.bridge}`);
    }
    return found;
  }
}

export { REPO_ROOT };
