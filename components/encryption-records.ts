/**
 * Two small records in the stack's state that tell the program what the RUNNING cluster was set up with,
 * so that an `up` can act on the change itself: the encryption mode (a switch Cilium does not document in
 * place is refused), and on ipsec the key id (raising it by one is a key rotation; a first `up` is not).
 *
 * Why a command resource: a Pulumi program cannot read its own stack's previous outputs while it runs (a
 * StackReference to the stack being updated is not available), and config holds only the new value. A
 * `local.Command` whose create and update are the same script gets, on update, the previous run's stdout
 * in PULUMI_COMMAND_STDOUT (@pulumi/command's addPreviousOutputInEnv, on by default): the old value, read
 * at the moment the change is applied, from the state that records what was really deployed. The rules
 * live in the scripts (scripts/host/encryption-mode.sh, ipsec-key-record.sh); a refusal fails the record,
 * and everything a refused change would touch depends on it: the Release, the key's random bytes and the
 * Secret, the proof's nonce (and so every capture step). The engine runs a resource's step only after the
 * steps of what it depends on succeeded, and after a failed step it stops without its deletions
 * (pulumi/pulumi v3.248.0 pkg/resource/deploy/deployment_executor.go: deletes are post-steps, run only
 * once the program finished without an error), so a refused change leaves every one of them as it was.
 * The inputs travel in `environment` (not `triggers`): a trigger would replace the record, and a
 * replacement's create never sees the previous stdout.
 */
import * as command from '@pulumi/command';
import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import type { Encryption } from './config';
import { commandPath } from './repo';

/** rfc4106(gcm(aes)) with a 128-bit key: 16 key bytes + a 4-byte salt (cilium-values.ts ipsecKeysValue). */
export const IPSEC_KEY_BYTES = 20;

export interface KeyRotation {
  from: number;
  to: number;
  /** The rotation's window: 1, and one more each time an `up` starts again a window that never finished. */
  attempt: number;
}

/** The last value of `key=` in a record's key=value lines. */
const recordValue = (text: string, key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].pop()?.[1]?.trim();

/** The record's stdout -> the rotation this `up` performs, if any. */
export function parseKeyRecord(stdout: string): { keyId?: number; rotation?: KeyRotation } {
  const out: { keyId?: number; rotation?: KeyRotation } = {};
  const id = recordValue(stdout, 'key_id');
  if (id && /^\d+$/.test(id)) out.keyId = Number(id);
  const m = /^(\d+):(\d+)$/.exec(recordValue(stdout, 'rotation') ?? '');
  const attempt = recordValue(stdout, 'attempt');
  if (m) out.rotation = { from: Number(m[1]), to: Number(m[2]), attempt: attempt && /^\d+$/.test(attempt) ? Number(attempt) : 1 };
  return out;
}

/**
 * Where the key record notes a rotation window it started (relative to the project root), until the
 * window's pcap is fetched (clearPendingRotation). A note still there at the next `up` means that window
 * never finished: the program hands its attempt to the record (RETRY), which starts the window again.
 */
export function rotationPendingFile(stack: string): string {
  return path.posix.join('captures', stack, 'rotation.pending');
}

function readPending(root: string, stack: string): KeyRotation | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(root, rotationPendingFile(stack)), 'utf8');
  } catch {
    return undefined;
  }
  return parseKeyRecord(text).rotation;
}

/** The attempt of an unfinished window of the rotation to `keyId`, as the key record noted it; none: undefined. */
export function pendingRotationAttempt(root: string, stack: string, keyId: number): number | undefined {
  const p = readPending(root, stack);
  return p && p.to === keyId ? p.attempt : undefined;
}

/** The window of this rotation attempt finished (its pcap is here): remove the note, if it names this attempt. */
export function clearPendingRotation(root: string, stack: string, r: KeyRotation): void {
  const p = readPending(root, stack);
  if (p && p.from === r.from && p.to === r.to && p.attempt === r.attempt) fs.rmSync(path.join(root, rotationPendingFile(stack)), { force: true });
}

/** Records lab:encryption; refuses ipsec <-> wireguard in place (see scripts/host/encryption-mode.sh). */
export function encryptionModeRecord(name: string, encryption: Encryption, opts: pulumi.CustomResourceOptions): command.local.Command {
  const script = 'bash scripts/host/encryption-mode.sh';
  return new command.local.Command(name, { create: script, update: script, environment: { LAB_ENCRYPTION: encryption } }, opts);
}

export interface KeyRecordArgs {
  stack: string;
  keyId: number;
  /** The project root the pending note lives under (tests: a temporary directory). */
  root: string;
  /** pendingRotationAttempt: the attempt whose window must start again. */
  retry?: number;
}

/** Records lab:ipsecKeyId; says whether this `up` rotates the key (see scripts/host/ipsec-key-record.sh). */
export function ipsecKeyRecord(name: string, a: KeyRecordArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
  const script = 'bash scripts/host/ipsec-key-record.sh';
  const environment: Record<string, string> = {
    KEY_ID: String(a.keyId),
    KEY_BYTES: String(IPSEC_KEY_BYTES),
    PENDING_FILE: commandPath(a.root, rotationPendingFile(a.stack)),
    // Only while a window is unfinished: an input that comes and goes runs the record again (an update).
    ...(a.retry !== undefined ? { RETRY: String(a.retry) } : {}),
  };
  return new command.local.Command(name, { create: script, update: script, environment }, opts);
}
