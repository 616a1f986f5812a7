/**
 * The whole bundle: the script pieces of the recipe plus the two TypeScript pieces (the images as OCI
 * layouts, and the registry storage they are pushed into), run by the runner, then the manifest that
 * `serve` and `config` read.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildImages, type BuiltImage } from './images';
import { refTag } from './oci';
import { keysFor, repoFile, scriptPieces, type BundleOptions, type Piece, type PieceContext } from './recipe';
import { runPieces, timingTable, type PieceResult } from './runner';
import { MANIFEST_FILE, freePort, registryDaemon, splitRef, startDaemon, stopDaemon, type BundleManifest } from './serve';

const IMAGE_DEPS = ['kubernetes', 'cilium', 'etcd', 'coredns', 'chart', 'rootfs-static', 'rootfs-cilium', 'rootfs-server', 'rootfs-client'];

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (e, stdout, stderr) =>
      e ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${(stderr || e.message).trim().split('\n').slice(-5).join(' | ')}`)) : resolve(stdout),
    );
  });
}

/**
 * The registry piece: a registry of its own on a free 127.0.0.1 port over OUT/storage, every layout
 * pushed with skopeo, each manifest read back by its tag and compared with the digest written. What
 * `serve` later runs is the same registry binary over this storage.
 */
async function fillRegistry(ctx: PieceContext): Promise<void> {
  const images = JSON.parse(fs.readFileSync(path.join(ctx.deps.images, 'images.json'), 'utf8')) as BuiltImage[];
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const d = registryDaemon('registry-build', ctx.work, path.join(ctx.out, 'storage'), listen, `http://${listen}/v2/`);
  await startDaemon(d);
  try {
    for (const img of images) {
      const { repo, tag } = splitRef(img.ref);
      const layout = path.join(ctx.deps.images, img.layout);
      await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:${refTag(img.ref)}`, `docker://${listen}/${repo}:${tag}`]);
      const raw = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${listen}/${repo}:${tag}`]);
      const manifest = JSON.parse(raw) as { config?: { digest?: string } };
      const expected = JSON.parse(fs.readFileSync(path.join(layout, 'blobs', ...img.manifest.digest.split(':')), 'utf8')) as { config: { digest: string } };
      if (manifest.config?.digest !== expected.config.digest) {
        throw new Error(`registry: ${img.ref} reads back with config ${manifest.config?.digest}, expected ${expected.config.digest}`);
      }
      ctx.log(`pushed ${img.ref}`);
    }
  } finally {
    stopDaemon(d);
  }
  fs.writeFileSync(path.join(ctx.out, 'images.json'), `${JSON.stringify(images, null, 2)}\n`);
}

/** Every piece of the bundle, in the order the lanes take them. */
export function bundlePieces(o: BundleOptions): Piece[] {
  const pieces = scriptPieces(o);
  const images: Piece = {
    name: 'images',
    version: `k8s v${o.versions.kubernetes}, cilium v${o.versions.cilium}`,
    source: 'OCI layouts from the pieces above',
    deps: IMAGE_DEPS,
    inputs: { debianSuite: o.versions.debianSuite, etcdImageRevision: o.versions.etcdImageRevision },
    files: ['components/bundle/images.ts', 'components/bundle/oci.ts'],
    lane: 'assemble',
    build: async (ctx) => void (await buildImages(ctx, o.versions)),
  };
  const registry: Piece = {
    name: 'registry',
    version: 'distribution 2.8',
    source: 'docker-registry + skopeo',
    deps: ['images'],
    inputs: {},
    files: ['components/bundle/pipeline.ts', 'components/bundle/serve.ts'],
    lane: 'assemble',
    build: fillRegistry,
  };
  return [...pieces, images, registry];
}

export interface BundleRun {
  results: PieceResult[];
  manifest: BundleManifest;
  table: string;
}

/** Builds (or reuses) every piece, writes <cache>/current.json and returns the timing table. */
export async function buildBundle(o: BundleOptions, log: (line: string) => void, niceness: string[] = ['nice', '-n', '19']): Promise<BundleRun> {
  const start = Date.now();
  const pieces = bundlePieces(o);
  const keys = keysFor(pieces, repoFile);
  fs.mkdirSync(o.cacheDir, { recursive: true });
  const results = await runPieces(pieces, { cacheDir: o.cacheDir, keys, log, niceness });
  const dirs = Object.fromEntries(results.map((r) => [r.name, r.dir]));
  const images = JSON.parse(fs.readFileSync(path.join(dirs.registry, 'images.json'), 'utf8')) as BuiltImage[];
  const chart = fs.readdirSync(dirs.chart).find((f) => f.endsWith('.tgz'));
  if (!chart) throw new Error(`bundle: the chart piece (${dirs.chart}) holds no .tgz`);
  const sha = fs.readFileSync(path.join(dirs.guest, 'guest.qcow2.sha256'), 'utf8').split(/\s+/)[0];
  const manifest: BundleManifest = {
    versions: o.versions,
    pieces: dirs,
    images,
    chart,
    guest: { file: `debian-13-${o.versions.debianSuite}-lab-${sha.slice(0, 12)}.qcow2`, sha256: sha },
  };
  fs.writeFileSync(path.join(o.cacheDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  const table = timingTable(results, Math.round((Date.now() - start) / 1000));
  return { results, manifest, table };
}
