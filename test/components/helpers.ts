/** Shared helpers for the lab program tests. */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { runWithStandIns } from '../helpers/stand-ins';
import { REPO_ROOT as repoRoot } from '../../components/repo';

export { repoRoot };
export const STACKS = ['dev', 'unencrypted', 'ipsec', 'wireguard'] as const;

/** A config value as the program reads it: Pulumi hands structured values (lists, objects) over as JSON. */
export function configText(v: unknown): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The `lab:` config of a stack as the Pulumi CLI would merge it: project values, then the stack file. */
export function stackConfig(stack: string): Record<string, string> {
  return mergedConfig(fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), 'utf8'));
}

/** The project values of Pulumi.yaml with a stack file's `config:` (its YAML text) over them. */
export function mergedConfig(stackFileText: string): Record<string, string> {
  const project = YAML.parse(fs.readFileSync(path.join(repoRoot, 'Pulumi.yaml'), 'utf8'));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(project.config ?? {})) {
    out[k] = configText((v as { value: unknown }).value);
  }
  const st = YAML.parse(stackFileText) ?? {};
  for (const [k, v] of Object.entries(st.config ?? {})) out[k] = configText(v);
  return out;
}

/** stackConfig without the `lab:` prefix, as parseLabConfig takes it; empty values dropped. */
export function rawLab(stack: string): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(stackConfig(stack))) {
    if (k.startsWith('lab:') && v !== '') raw[k.slice(4)] = v;
  }
  return raw;
}

/** A repository script with stand-ins for the commands it drives, on a PATH of only the system directories. */
export function withShims(shims: Record<string, string>, script: string, env: Record<string, string>) {
  return runWithStandIns(script, shims, env, { path: 'system' });
}
