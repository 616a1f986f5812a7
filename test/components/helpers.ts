/** Shared helpers for the lab program tests. */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';

import { REPO_ROOT as repoRoot } from '../../components/repo';

export { repoRoot };
export const STACKS = ['dev', 'unencrypted', 'ipsec', 'wireguard'] as const;

/** A config value as the program reads it: Pulumi hands structured values (lists, objects) over as JSON. */
export function configText(v: unknown): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The `lab:` config of a stack as the Pulumi CLI would merge it: project values, then the stack file. */
export function stackConfig(stack: string): Record<string, string> {
  const project = YAML.parse(fs.readFileSync(path.join(repoRoot, 'Pulumi.yaml'), 'utf8'));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(project.config ?? {})) {
    out[k] = configText((v as { value: unknown }).value);
  }
  const file = path.join(repoRoot, `Pulumi.${stack}.yaml`);
  const st = YAML.parse(fs.readFileSync(file, 'utf8'));
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
