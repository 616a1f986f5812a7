/**
 * Where the lab's software comes from, for labs without the internet: the apt sources of every VM
 * (`lab:aptSources`), the container registry mirrors of the nodes (`lab:registryMirrors`) and the Cilium
 * chart (`lab:ciliumChart`). Each parser takes the raw config text and returns the typed value or throws
 * an Error whose message is the expectation that failed (config.ts turns it into a LabConfigError with the
 * key and the value). The renderers turn the typed values into the files the guests read.
 *
 * Pure, except `checkLocalChart`, which reads the chart the user pointed at (the one check that needs
 * the file system; config.ts runs it before anything is created).
 */
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import * as YAML from 'yaml';

// --- apt sources -------------------------------------------------------------------------------------

/** One apt source, parsed from the one-line form of sources.list(5). */
export interface AptSource {
  type: 'deb' | 'deb-src';
  /** Options in the deb822 spelling (`Trusted`, `Signed-By`, ...), multi-values space-separated. */
  options: [string, string][];
  uri: string;
  suite: string;
  components: string[];
}

/**
 * The one-line options sources.list(5) documents (apt 2.7 on Ubuntu 24.04, 3.0 on Debian 13) and their
 * deb822 field names ("The one-line-style format ... options ... deb822 ... fields" table of that page).
 * Values that are lists (arch, lang, target) are comma-separated in one-line form, space-separated in
 * deb822.
 */
const APT_OPTIONS: Record<string, { field: string; list?: boolean }> = {
  arch: { field: 'Architectures', list: true },
  lang: { field: 'Languages', list: true },
  target: { field: 'Targets', list: true },
  pdiffs: { field: 'PDiffs' },
  'by-hash': { field: 'By-Hash' },
  'allow-insecure': { field: 'Allow-Insecure' },
  'allow-weak': { field: 'Allow-Weak' },
  'allow-downgrade-to-insecure': { field: 'Allow-Downgrade-To-Insecure' },
  trusted: { field: 'Trusted' },
  'signed-by': { field: 'Signed-By', list: true },
  'check-valid-until': { field: 'Check-Valid-Until' },
  'valid-until-min': { field: 'Valid-Until-Min' },
  'valid-until-max': { field: 'Valid-Until-Max' },
  'check-date': { field: 'Check-Date' },
  'date-max-future': { field: 'Date-Max-Future' },
  'inrelease-path': { field: 'InRelease-Path' },
};

const APT_LINE = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)\s*$/;
// apt's own URI methods that need no extra package: http(s) and a local directory (file:).
const APT_URI = /^(https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%/+:-]*)?|file:\/[A-Za-z0-9._~%/+-]*)$/;
const APT_WORD = /^[A-Za-z0-9._~/+-]+$/;

/** One one-line source: `deb [opt=value ...] URI SUITE [COMPONENT...]` (a SUITE ending in / takes none). */
export function parseAptSourceLine(line: string): AptSource {
  // cloud-init renders the apt sources it is given as a template ($RELEASE, $MIRROR): a literal $ would be
  // replaced on the guest, so none is accepted here.
  if (line.includes('$')) throw new Error(`an apt source line without "$" (cloud-init would substitute it): ${JSON.stringify(line)}`);
  const m = APT_LINE.exec(line.trim());
  if (!m) throw new Error(`an apt source in one-line form, "deb [option=value ...] URI SUITE [COMPONENT ...]": ${JSON.stringify(line)}`);
  const [, type, opts, uri, suite, rest] = m;
  if (!APT_URI.test(uri)) throw new Error(`an http://, https:// or file:/ URI in ${JSON.stringify(line)}, got ${JSON.stringify(uri)}`);
  if (!APT_WORD.test(suite)) throw new Error(`a suite of letters, digits and . _ ~ / + - in ${JSON.stringify(line)}`);
  const components = rest.trim() === '' ? [] : rest.trim().split(/\s+/);
  for (const c of components) if (!APT_WORD.test(c)) throw new Error(`components of letters, digits and . _ ~ / + - in ${JSON.stringify(line)}`);
  if (suite.endsWith('/') && components.length > 0) throw new Error(`no components after the exact path ${suite} (sources.list(5)) in ${JSON.stringify(line)}`);
  if (!suite.endsWith('/') && components.length === 0) throw new Error(`at least one component after the suite ${suite}, or a suite ending in / (sources.list(5)) in ${JSON.stringify(line)}`);
  const options: [string, string][] = [];
  for (const o of (opts ?? '').trim().split(/\s+/).filter(Boolean)) {
    const om = /^([a-z-]+)=([^=\s]+)$/.exec(o);
    const known = om ? APT_OPTIONS[om[1]] : undefined;
    if (!om || !known) {
      throw new Error(`options of the form name=value with a name among ${Object.keys(APT_OPTIONS).join(', ')} in ${JSON.stringify(line)}, got ${JSON.stringify(o)}`);
    }
    options.push([known.field, known.list ? om[2].split(',').join(' ') : om[2]]);
  }
  return { type: type as AptSource['type'], options, uri, suite, components };
}

/** `lab:aptSources`: a JSON list of one-line sources (as `pulumi config` stores a list); [] = the internet defaults. */
export function parseAptSources(text: string): AptSource[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || !list.every((l) => typeof l === 'string')) {
    throw new Error('a list of apt source lines, e.g. ["deb [trusted=yes] http://192.168.210.1:8080/debian trixie main"]');
  }
  return list.map(parseAptSourceLine);
}

/**
 * The sources as deb822 stanzas (sources.list(5), "DEB822-STYLE FORMAT"). Given in this form, cloud-init
 * (cc_apt_configure.generate_sources_list, 23.4 and later) writes them to
 * /etc/apt/sources.list.d/<distro>.sources, the file Ubuntu 24.04 and Debian 13 keep their distribution
 * sources in, and removes a leftover /etc/apt/sources.list on Debian; a one-line text would go to
 * sources.list beside the distribution's file instead of replacing it.
 */
export function aptSourcesDeb822(sources: readonly AptSource[]): string {
  return sources
    .map((s) => {
      const lines = [`Types: ${s.type}`, `URIs: ${s.uri}`, `Suites: ${s.suite}`];
      if (s.components.length > 0) lines.push(`Components: ${s.components.join(' ')}`);
      for (const [k, v] of s.options) lines.push(`${k}: ${v}`);
      return lines.join('\n') + '\n';
    })
    .join('\n');
}

// --- registry mirrors ---------------------------------------------------------------------------------

/** The registry namespaces containerd looks up under config_path: a host, host:port, or `_default`. */
const REGISTRY_HOST = /^(_default|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?)$/;
const MIRROR_URL = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%/+-]*)?$/;

/** `lab:registryMirrors`: a JSON object, registry host -> mirror endpoint URL; {} = pull from the registries. */
export function parseRegistryMirrors(text: string): Record<string, string> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    obj = undefined;
  }
  const shape = 'an object of registry host -> mirror URL, e.g. {"registry.k8s.io": "http://192.168.210.1:5000", "docker.io": "http://192.168.210.1:5000"}';
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(shape);
  const out: Record<string, string> = {};
  for (const [host, url] of Object.entries(obj)) {
    if (!REGISTRY_HOST.test(host)) throw new Error(`${shape}; ${JSON.stringify(host)} is not a registry host[:port] or _default`);
    if (typeof url !== 'string' || !MIRROR_URL.test(url)) {
      throw new Error(`${shape}; the mirror of ${host} must be an http:// or https:// URL without query, got ${JSON.stringify(url)}`);
    }
    out[host] = url.replace(/\/+$/, '');
  }
  return out;
}

/**
 * containerd's hosts.toml for one registry namespace (containerd docs/hosts.md). The mirror is both the
 * namespace's `server` and its one `[host]` entry:
 *   - hosts are tried first and `server` (by default the registry itself) after them, so the mirror as
 *     the server is what keeps the upstream from being consulted ("If you wish to ensure *only* the
 *     mirror is utilised and the upstream not consulted, set the mirror as the server");
 *   - containerd 1.7 refuses a file without a `host` table: parseHostsFile calls getSortedHosts, which
 *     fails with "invalid `host` tree" (remotes/docker/config/hosts.go, v1.7.24, Debian 13's containerd),
 *     and the CRI then goes to the registry itself. Found by the lab suite: kubeadm's image pull went to
 *     https://registry.k8s.io with a server-only file.
 * containerd adds /v2 to either URL's path and keeps the image's repository path, so image names stay the
 * registry's own.
 */
export function containerdHostsToml(host: string, mirror: string): string {
  const m = JSON.stringify(mirror);
  return [`# lab:registryMirrors: ${host} is pulled from this mirror only.`, `server = ${m}`, '', `[host.${m}]`, '  capabilities = ["pull", "resolve"]', ''].join('\n');
}

/** Where containerd's CRI reads registry host configuration (config_path, set by node-kube-install.sh). */
export const CONTAINERD_CERTS_D = '/etc/containerd/certs.d';

/** The hosts.toml files of all mirrors: path -> content. */
export function containerdHostsFiles(mirrors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(mirrors)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([host, url]) => [`${CONTAINERD_CERTS_D}/${host}/hosts.toml`, containerdHostsToml(host, url)]),
  );
}

// --- the Cilium chart ---------------------------------------------------------------------------------

export const CILIUM_REPO = 'https://helm.cilium.io';

export type ChartSource =
  /** A Helm chart repository (index.yaml): the chart `cilium` at lab:ciliumVersion. */
  | { kind: 'repository'; repo: string }
  /** A packaged chart (.tgz) on a web server. */
  | { kind: 'archive-url'; url: string }
  /** A packaged chart or a chart directory on the machine running Pulumi (absolute, or relative to the project). */
  | { kind: 'local'; path: string };

/**
 * `lab:ciliumChart`: a repository URL, a .tgz URL named as `helm package` names it (cilium-<version>.tgz:
 * its version can only be checked by its name before it is downloaded), or a local .tgz or directory.
 */
export function parseChartSource(text: string, version: string): ChartSource {
  const forms = 'a chart repository URL (https://helm.cilium.io), the URL of cilium-<version>.tgz, or a local chart .tgz or directory (absolute, ./relative or file://)';
  if (/^https?:\/\/\S+$/.test(text)) {
    if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%/+-]*)?$/.test(text)) throw new Error(`${forms}; ${JSON.stringify(text)} is not a plain URL`);
    if (text.endsWith('.tgz')) {
      const name = text.slice(text.lastIndexOf('/') + 1);
      if (name !== `cilium-${version}.tgz`) throw new Error(`${forms}; a chart archive URL must end in cilium-${version}.tgz to match lab:ciliumVersion ${version}`);
      return { kind: 'archive-url', url: text };
    }
    return { kind: 'repository', repo: text.replace(/\/+$/, '') };
  }
  const local = text.startsWith('file://') ? text.slice('file://'.length) : text;
  if ((local.startsWith('/') || local.startsWith('./') || local.startsWith('../')) && !/\s/.test(local)) return { kind: 'local', path: local };
  throw new Error(forms);
}

/** The chart of a local source, resolved against the project directory. */
export function localChartPath(source: Extract<ChartSource, { kind: 'local' }>, root: string): string {
  return path.resolve(root, source.path);
}

/** Chart.yaml of a packaged chart: the first `<dir>/Chart.yaml` entry of the gzipped tar (POSIX ustar headers). */
function chartYamlFromTgz(file: string): string | undefined {
  const tar = gunzipSync(fs.readFileSync(file));
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number) => header.subarray(start, start + len).toString('latin1').replace(/\0.*$/s, '');
    const name = (field(345, 155) ? `${field(345, 155)}/` : '') + field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    if (/^[^/]+\/Chart\.yaml$/.test(name)) return tar.subarray(off + 512, off + 512 + size).toString('utf8');
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/**
 * A local chart must be Cilium's at lab:ciliumVersion: Helm installs a local chart whatever version the
 * Release asks for, and the lab's values follow lab:ciliumVersion. Returns the problem, or undefined.
 */
export function checkLocalChart(file: string, version: string): string | undefined {
  let text: string | undefined;
  try {
    text = fs.statSync(file).isDirectory() ? fs.readFileSync(path.join(file, 'Chart.yaml'), 'utf8') : chartYamlFromTgz(file);
  } catch (e) {
    return `a readable chart directory or .tgz at ${file} (${(e as Error).message})`;
  }
  if (text === undefined) return `a chart archive with <name>/Chart.yaml at ${file}`;
  const meta = YAML.parse(text) as { name?: unknown; version?: unknown } | null;
  if (meta?.name !== 'cilium' || String(meta.version).replace(/^v/, '') !== version) {
    return `the cilium chart at lab:ciliumVersion ${version}; ${file} holds ${String(meta?.name)} ${String(meta?.version)}`;
  }
  return undefined;
}
