/**
 * The bundle's container images: which ones, under which names, from which pieces, and their build
 * into OCI layouts (oci.ts).
 *
 * Names are not chosen here but asked of the sources: kubeadm's own `config images list` for the
 * control plane, etcd, CoreDNS and pause (so the tags are the ones kubeadm will pull), the chart's
 * values.yaml for the Cilium agent and operator (image.repository/tag; the operator's name is
 * `<operator.image.repository>-generic<suffix>`, templates/cilium-operator/_helpers.tpl). The lab's
 * server and client images are made from Debian's packages and are not the images the lab's defaults
 * name (nginx:…-alpine, netshoot), so they get names of their own under BUNDLE_REGISTRY_HOST, and the
 * printed config overrides lab:serverImage and lab:clientImage.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { tarDirectory, writeImage, type ImageRuntimeConfig, type WrittenImage } from './oci';
import type { BundleVersions, PieceContext } from './recipe';

/**
 * The registry host of the bundle's own images. `.internal` is reserved for private names (ICANN,
 * 2024), so it can never be someone's registry; containerd reaches it only through the mirror entry
 * the printed config adds for it.
 */
export const BUNDLE_REGISTRY_HOST = 'bundle.lab.internal';

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A layer: a piece's rootfs tar, or files copied from a piece's output into a fresh directory. */
export type LayerSource =
  | { rootfs: string }
  | { files: { piece: string; from: string; to: string }[] }
  | { tree: { piece: string; from: string } };

export interface PlannedImage {
  ref: string;
  /** Short name for the table and the layout directory. */
  name: string;
  layers: LayerSource[];
  config: ImageRuntimeConfig;
}

export interface ImageNames {
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  etcd: string;
  coredns: string;
  pause: string;
  ciliumAgent: string;
  ciliumOperator: string;
  server: string;
  client: string;
}

/**
 * Pure: the images kubeadm asks for, from `kubeadm config images list` output, checked against the
 * versions the bundle builds (a kubeadm that wants another etcd or CoreDNS than the recipe has is an
 * error naming both). kube-proxy is left out: the lab skips kubeadm's addon/kube-proxy phase.
 */
export function kubeadmImages(listOutput: string, v: BundleVersions): Pick<ImageNames, 'kubeApiserver' | 'kubeControllerManager' | 'kubeScheduler' | 'etcd' | 'coredns' | 'pause'> {
  const refs = listOutput.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const find = (repoSuffix: string): string => {
    const hits = refs.filter((r) => r.slice(0, r.lastIndexOf(':')).endsWith(`/${repoSuffix}`));
    if (hits.length !== 1) throw new Error(`kubeadm config images list: expected one ${repoSuffix} image, got ${hits.length} in: ${refs.join(' ') || '(nothing)'}`);
    return hits[0];
  };
  const want = (ref: string, tag: string): string => {
    const got = ref.slice(ref.lastIndexOf(':') + 1);
    if (got !== tag) throw new Error(`kubeadm asks for ${ref}, but the bundle's recipe builds tag ${tag}`);
    return ref;
  };
  const k = `v${v.kubernetes}`;
  return {
    kubeApiserver: want(find('kube-apiserver'), k),
    kubeControllerManager: want(find('kube-controller-manager'), k),
    kubeScheduler: want(find('kube-scheduler'), k),
    etcd: want(find('etcd'), `${v.etcd}-${v.etcdImageRevision}`),
    coredns: want(find('coredns'), `v${v.coredns}`),
    pause: want(find('pause'), v.pause),
  };
}

/** Pure: the agent and generic operator image names from the chart's values.yaml. */
export function chartImages(valuesYaml: string): Pick<ImageNames, 'ciliumAgent' | 'ciliumOperator'> {
  const values = parseYaml(valuesYaml) as {
    image?: { repository?: string; tag?: string };
    operator?: { image?: { repository?: string; tag?: string; suffix?: string } };
  };
  const agent = values.image;
  const op = values.operator?.image;
  if (!agent?.repository || !agent.tag) throw new Error('chart values.yaml: image.repository and image.tag are expected');
  if (!op?.repository || !op.tag) throw new Error('chart values.yaml: operator.image.repository and operator.image.tag are expected');
  return { ciliumAgent: `${agent.repository}:${agent.tag}`, ciliumOperator: `${op.repository}-generic${op.suffix ?? ''}:${op.tag}` };
}

/** Pure: a tag for a Debian-built image: its main package's version, made a valid tag. */
export function debianTag(packagesList: string, pkg: string, suite: string): string {
  const line = packagesList.split('\n').find((l) => l.split(' ')[0] === pkg);
  if (!line) throw new Error(`package ${pkg} is not in the image's package list`);
  const version = line.split(' ')[1].replace(/^\d+:/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${version}-${suite}`;
}

/** Pure: every image of the bundle, with its layers and runtime settings. */
export function imagePlan(n: ImageNames): PlannedImage[] {
  const goImage = (name: string, ref: string, piece: string, bin: string, to: string, config: ImageRuntimeConfig): PlannedImage => ({
    ref,
    name,
    layers: [{ rootfs: 'rootfs-static' }, { files: [{ piece, from: bin, to }] }],
    config: { Env: [PATH_ENV], ...config },
  });
  return [
    // Upstream: build/server-image (binary in /usr/local/bin on a distroless base); kubeadm's static
    // pods run the command by name.
    goImage('kube-apiserver', n.kubeApiserver, 'kubernetes', 'bin/kube-apiserver', 'usr/local/bin/kube-apiserver', { Entrypoint: ['/usr/local/bin/kube-apiserver'] }),
    goImage('kube-controller-manager', n.kubeControllerManager, 'kubernetes', 'bin/kube-controller-manager', 'usr/local/bin/kube-controller-manager', {
      Entrypoint: ['/usr/local/bin/kube-controller-manager'],
    }),
    goImage('kube-scheduler', n.kubeScheduler, 'kubernetes', 'bin/kube-scheduler', 'usr/local/bin/kube-scheduler', { Entrypoint: ['/usr/local/bin/kube-scheduler'] }),
    goImage('etcd', n.etcd, 'etcd', 'bin/etcd', 'usr/local/bin/etcd', { Cmd: ['/usr/local/bin/etcd'] }),
    // kubeadm's CoreDNS Deployment passes only args (-conf /etc/coredns/Corefile): the entrypoint is the binary.
    goImage('coredns', n.coredns, 'coredns', 'bin/coredns', 'coredns', { Entrypoint: ['/coredns'] }),
    // build/pause/Dockerfile: FROM scratch, /pause, USER 65535:65535.
    { ref: n.pause, name: 'pause', layers: [{ files: [{ piece: 'kubernetes', from: 'bin/pause', to: 'pause' }] }], config: { Entrypoint: ['/pause'], User: '65535:65535' } },
    // images/cilium/Dockerfile (release stage) on the runtime rootfs.
    {
      ref: n.ciliumAgent,
      name: 'cilium',
      layers: [{ rootfs: 'rootfs-cilium' }, { tree: { piece: 'cilium', from: 'agent' } }],
      config: {
        Env: [PATH_ENV, 'HUBBLE_SERVER=unix:///var/run/cilium/hubble.sock', 'INITSYSTEM=SYSTEMD'],
        WorkingDir: '/home/cilium',
        Cmd: ['/usr/bin/cilium-dbg'],
      },
    },
    // images/operator/Dockerfile: the binary and the CA bundle on a static base.
    goImage('operator-generic', n.ciliumOperator, 'cilium', 'operator/usr/bin/cilium-operator-generic', 'usr/bin/cilium-operator-generic', {
      Cmd: ['/usr/bin/cilium-operator-generic'],
    }),
    // As the official nginx image runs it: in the foreground, stopped gracefully by SIGQUIT.
    {
      ref: n.server,
      name: 'server',
      layers: [{ rootfs: 'rootfs-server' }],
      config: { Env: [PATH_ENV], Cmd: ['nginx', '-g', 'daemon off;'], ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGQUIT' },
    },
    { ref: n.client, name: 'client', layers: [{ rootfs: 'rootfs-client' }], config: { Env: [PATH_ENV], Cmd: ['/bin/bash'] } },
  ];
}

export interface BuiltImage extends WrittenImage {
  name: string;
  /** The OCI layout, relative to the images piece's directory. */
  layout: string;
}

function needDep(deps: Record<string, string>, piece: string): string {
  const d = deps[piece];
  if (!d) throw new Error(`the images step needs the output of piece ${piece}`);
  return d;
}

/** The images piece: asks kubeadm and the chart for the names, then writes every layout. */
export async function buildImages(ctx: PieceContext, v: BundleVersions): Promise<BuiltImage[]> {
  const kubeadm = path.join(needDep(ctx.deps, 'kubernetes'), 'bin', 'kubeadm');
  const list = execFileSync(kubeadm, ['config', 'images', 'list', '--kubernetes-version', `v${v.kubernetes}`], { encoding: 'utf8' });
  ctx.log(`kubeadm config images list: ${list.trim().split('\n').join(' ')}`);
  const names: ImageNames = {
    ...kubeadmImages(list, v),
    ...chartImages(fs.readFileSync(path.join(needDep(ctx.deps, 'chart'), 'values.yaml'), 'utf8')),
    server: `${BUNDLE_REGISTRY_HOST}/lab/server:nginx-${debianTag(fs.readFileSync(path.join(needDep(ctx.deps, 'rootfs-server'), 'packages'), 'utf8'), 'nginx', v.debianSuite)}`,
    client: `${BUNDLE_REGISTRY_HOST}/lab/client:curl-${debianTag(fs.readFileSync(path.join(needDep(ctx.deps, 'rootfs-client'), 'packages'), 'utf8'), 'curl', v.debianSuite)}`,
  };
  const built: BuiltImage[] = [];
  for (const img of imagePlan(names)) {
    const tars: string[] = [];
    const history: string[] = [];
    for (const [i, layer] of img.layers.entries()) {
      if ('rootfs' in layer) {
        tars.push(path.join(needDep(ctx.deps, layer.rootfs), 'rootfs.tar'));
        history.push(`bundle: ${layer.rootfs} (mmdebstrap ${v.debianSuite})`);
        continue;
      }
      const stage = path.join(ctx.work, img.name, `layer${i}`);
      fs.rmSync(stage, { recursive: true, force: true });
      fs.mkdirSync(stage, { recursive: true });
      if ('tree' in layer) {
        fs.cpSync(path.join(needDep(ctx.deps, layer.tree.piece), layer.tree.from), stage, { recursive: true, verbatimSymlinks: true });
        history.push(`bundle: ${layer.tree.piece}/${layer.tree.from}`);
      } else {
        for (const f of layer.files) {
          const to = path.join(stage, f.to);
          fs.mkdirSync(path.dirname(to), { recursive: true });
          fs.copyFileSync(path.join(needDep(ctx.deps, f.piece), f.from), to);
          fs.chmodSync(to, 0o755);
        }
        history.push(`bundle: ${layer.files.map((f) => `/${f.to}`).join(' ')}`);
      }
      const tar = path.join(ctx.work, img.name, `layer${i}.tar`);
      await tarDirectory(stage, tar);
      tars.push(tar);
    }
    const layout = path.join('layouts', img.name);
    const written = await writeImage(path.join(ctx.out, layout), { ref: img.ref, layers: tars, config: img.config, history });
    built.push({ ...written, name: img.name, layout });
    ctx.log(`${img.ref} ${written.manifest.digest} ${(written.size / 1e6).toFixed(1)} MB`);
    fs.rmSync(path.join(ctx.work, img.name), { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(ctx.out, 'images.json'), `${JSON.stringify(built, null, 2)}\n`);
  return built;
}
