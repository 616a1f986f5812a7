/**
 * The resource plugins a program needs and whether the Pulumi engine will find them, checked before
 * anything runs, so that a machine where Pulumi may not download plugins fails at once with the line
 * that installs each missing one, instead of in the middle of a deployment.
 *
 * What the engine does (github.com/pulumi/pulumi v3.248.0):
 * - An inline Automation API program reports no required plugins (@pulumi/pulumi automation/server.js
 *   getRequiredPlugins answers an empty list), so the engine loads each provider when the first
 *   resource of its package registers, at the version the npm package states (its package.json
 *   `pulumi` field: `{ resource: true, name, version }`).
 * - sdk/go/common/workspace/plugins.go getPluginInfoAndPath: an executable `pulumi-resource-<name>` on
 *   PATH wins whatever its version, unless PULUMI_IGNORE_AMBIENT_PLUGINS is true; otherwise the plugin
 *   cache under PULUMI_HOME (default ~/.pulumi) must hold exactly that version (SelectCompatiblePlugin:
 *   semver equality; a cached plugin without a version is taken when nothing better exists).
 * - pkg/resource/deploy/providers/registry.go loadProvider: a missing plugin is downloaded on the spot
 *   unless PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION is true; then the deployment fails there.
 * - Both variables are booleans read as "1" or "true" in any case (sdk/go/common/util/env/env.go
 *   BoolValue.Value).
 * `pulumi plugin ls --json` lists the cache (pkg/cmd/pulumi/plugin/plugin_list.go pluginInfoJSON:
 * name, kind, version, size, installTime, lastUsedTime).
 */
import * as fs from 'fs';
import * as path from 'path';

/** A plugin the program asks for: the npm package that asks and the exact version. */
export interface PluginSpec {
  name: string;
  version: string;
  package: string;
}

/** One entry of `pulumi plugin ls --json`. */
export interface InstalledPlugin {
  name: string;
  kind: string;
  /** Empty for a plugin installed without a version. */
  version: string;
}

/** Where the engine will take a plugin from, or why it will not find it. */
export type PluginStatus =
  | { spec: PluginSpec; found: 'path'; path: string }
  | { spec: PluginSpec; found: 'cache'; version: string }
  | { spec: PluginSpec; found: false; otherVersions: string[] };

/** Pulumi's reading of a boolean variable (env.go BoolValue.Value). */
export function pulumiTruthy(v: string | undefined): boolean {
  return v === '1' || (v ?? '').toLowerCase() === 'true';
}

/**
 * The resource plugins of the @pulumi/* packages the project depends on (package.json dependencies),
 * read from each installed package's package.json `pulumi` field. `only` keeps the named plugins (a
 * program that uses fewer packages than the project).
 */
export function requiredPlugins(root: string, only?: string[]): PluginSpec[] {
  const pkgFile = path.join(root, 'package.json');
  const deps = Object.keys((JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  const out: PluginSpec[] = [];
  for (const dep of deps.filter((d) => d.startsWith('@pulumi/')).sort()) {
    const file = path.join(root, 'node_modules', dep, 'package.json');
    let meta: { pulumi?: { resource?: boolean; name?: unknown; version?: unknown } };
    try {
      meta = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: cannot read the package's plugin (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run npm ci`, { cause: e });
    }
    const p = meta.pulumi;
    if (!p?.resource) continue;
    if (typeof p.name !== 'string' || typeof p.version !== 'string' || !/^\d+\.\d+\.\d+/.test(p.version)) {
      throw new Error(`${file}: "pulumi" field ${JSON.stringify(p)}: expected { "resource": true, "name": NAME, "version": X.Y.Z }`);
    }
    if (only && !only.includes(p.name)) continue;
    out.push({ name: p.name, version: p.version, package: dep });
  }
  for (const n of only ?? []) {
    if (!out.some((p) => p.name === n)) throw new Error(`${pkgFile}: no @pulumi/* dependency provides the resource plugin "${n}"`);
  }
  return out;
}

/** Parses `pulumi plugin ls --json` (an array of pluginInfoJSON objects). */
export function parsePluginList(json: string): InstalledPlugin[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new Error(`pulumi plugin ls --json printed something that is not JSON: ${JSON.stringify(json.slice(0, 200))}`);
  }
  if (!Array.isArray(data)) throw new Error(`pulumi plugin ls --json: expected a JSON array, got ${JSON.stringify(json.slice(0, 200))}`);
  return data.map((e, i) => {
    const o = e as Record<string, unknown>;
    if (typeof o?.name !== 'string' || typeof o.kind !== 'string' || typeof o.version !== 'string') {
      throw new Error(`pulumi plugin ls --json: entry ${i} ${JSON.stringify(e)} lacks name, kind or version`);
    }
    return { name: o.name, kind: o.kind, version: o.version };
  });
}

/** The first executable `pulumi-resource-<name>` on a PATH value (exec.LookPath's order). */
export function ambientPlugin(name: string, pathValue: string, isExecutable: (file: string) => boolean = executable): string | undefined {
  for (const dir of pathValue.split(path.delimiter)) {
    const file = path.join(dir === '' ? '.' : dir, `pulumi-resource-${name}`);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

function executable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

const bare = (v: string) => v.replace(/^v/, '');

/** Pure: where the engine takes each plugin from (see the header), or what is there instead. */
export function checkPlugins(
  required: PluginSpec[],
  installed: InstalledPlugin[],
  ambient: (name: string) => string | undefined,
): PluginStatus[] {
  return required.map((spec) => {
    const onPath = ambient(spec.name);
    if (onPath) return { spec, found: 'path', path: onPath };
    const same = installed.filter((p) => p.kind === 'resource' && p.name === spec.name);
    const exact = same.find((p) => bare(p.version) === bare(spec.version));
    if (exact) return { spec, found: 'cache', version: bare(exact.version) };
    const unversioned = same.find((p) => p.version === '');
    if (unversioned) return { spec, found: 'cache', version: '' };
    return { spec, found: false, otherVersions: same.map((p) => bare(p.version)) };
  });
}

/** The command that installs a plugin at the version the program asks for. */
export function pluginInstallCommand(spec: PluginSpec): string {
  return `pulumi plugin install resource ${spec.name} ${spec.version}`;
}

/**
 * One line per missing plugin: what is there instead, and the command that installs it, run through the
 * lab (`npm run lab -- pulumi ...`: the CLI the lab uses, with the same PULUMI_HOME).
 */
export function missingPluginLines(statuses: PluginStatus[]): string[] {
  return statuses
    .filter((s): s is Extract<PluginStatus, { found: false }> => s.found === false)
    .map((s) => {
      const have = s.otherVersions.length > 0 ? `installed only at ${s.otherVersions.join(', ')}, the engine takes exactly ${s.spec.version}` : 'not installed';
      return `${s.spec.name} ${s.spec.version} (${s.spec.package}): ${have}; install it: npm run lab -- ${pluginInstallCommand(s.spec)}`;
    });
}
