/**
 * Writes container images as OCI image layouts (opencontainers/image-spec v1.1: image-layout.md,
 * manifest.md, config.md), without a container engine: each layer is a tar, gzipped into a blob; the
 * config lists the layers' diff ids (sha256 of the uncompressed tar); the manifest points at the
 * config and the layer blobs; index.json names the manifest with org.opencontainers.image.ref.name.
 * A layout is what `skopeo copy oci:DIR:TAG docker://...` pushes to a registry.
 */
import { execFile } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { Transform } from 'stream';
import * as zlib from 'zlib';

export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  index: 'application/vnd.oci.image.index.v1+json',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** The runtime settings of an image (config.md "config" object), the ones the bundle's images use. */
export interface ImageRuntimeConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Labels?: Record<string, string>;
}

export interface ImageSpec {
  /** Full reference, e.g. registry.k8s.io/pause:3.10. */
  ref: string;
  /** Layer tars, bottom first. */
  layers: string[];
  config: ImageRuntimeConfig;
  /** One history line per layer (created_by). */
  history: string[];
}

export interface WrittenImage {
  ref: string;
  manifest: Descriptor;
  layers: Descriptor[];
  /** Bytes of all blobs (compressed layers, config, manifest). */
  size: number;
}

/** Fixed creation time: the layouts of one recipe are byte-for-byte the same on every build. */
export const CREATED = '1970-01-01T00:00:00Z';

function blobPath(layout: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  return path.join(layout, 'blobs', alg, hex);
}

function writeBlob(layout: string, data: Buffer, mediaType: string): Descriptor {
  const digest = `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(blobPath(layout, digest), data);
  return { mediaType, digest, size: data.length };
}

class Hasher extends Transform {
  readonly hash = crypto.createHash('sha256');
  bytes = 0;
  _transform(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null, d?: Buffer) => void) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/** Gzips one layer tar into the layout; returns its descriptor and diff id. Streams: layers are large. */
export async function addLayer(layout: string, tar: string): Promise<{ descriptor: Descriptor; diffId: string }> {
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  const tmp = path.join(layout, 'blobs', `.layer-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  const raw = new Hasher();
  const gz = new Hasher();
  await pipeline(fs.createReadStream(tar), raw, zlib.createGzip({ level: 6 }), gz, fs.createWriteStream(tmp));
  const digest = `sha256:${gz.hash.digest('hex')}`;
  fs.renameSync(tmp, blobPath(layout, digest));
  return { descriptor: { mediaType: MEDIA.layerGzip, digest, size: gz.bytes }, diffId: `sha256:${raw.hash.digest('hex')}` };
}

/** The tag part of a reference (after the last ':' that follows the last '/'). */
export function refTag(ref: string): string {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon <= slash) throw new Error(`image reference ${ref} has no tag`);
  return ref.slice(colon + 1);
}

/** Writes one image as an OCI layout in `layout` (a directory of its own). */
export async function writeImage(layout: string, spec: ImageSpec): Promise<WrittenImage> {
  if (spec.layers.length === 0) throw new Error(`image ${spec.ref}: no layers`);
  if (spec.history.length !== spec.layers.length) throw new Error(`image ${spec.ref}: ${spec.layers.length} layers but ${spec.history.length} history lines`);
  fs.mkdirSync(layout, { recursive: true });
  fs.writeFileSync(path.join(layout, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`);
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const tar of spec.layers) {
    const l = await addLayer(layout, tar);
    layers.push(l.descriptor);
    diffIds.push(l.diffId);
  }
  const config = {
    created: CREATED,
    architecture: 'amd64',
    os: 'linux',
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: spec.history.map((h) => ({ created: CREATED, created_by: h })),
  };
  const configDesc = writeBlob(layout, Buffer.from(JSON.stringify(config)), MEDIA.config);
  const manifest = { schemaVersion: 2, mediaType: MEDIA.manifest, config: configDesc, layers };
  const manifestDesc = writeBlob(layout, Buffer.from(JSON.stringify(manifest)), MEDIA.manifest);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [{ ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': refTag(spec.ref) } }],
  };
  fs.writeFileSync(path.join(layout, 'index.json'), `${JSON.stringify(index)}\n`);
  const size = layers.reduce((s, l) => s + l.size, 0) + configDesc.size + manifestDesc.size;
  return { ref: spec.ref, manifest: manifestDesc, layers, size };
}

/**
 * Tars a directory as a layer: sorted names, one mtime, numeric root ownership, so the same files give
 * the same layer digest on every build.
 */
export function tarDirectory(dir: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'tar',
      ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', dir, '-cf', out, '.'],
      (e, _stdout, stderr) => (e ? reject(new Error(`tar of ${dir} failed: ${stderr || e.message}`)) : resolve()),
    );
  });
}
