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
 * and everything that would change the cluster (the Secret, the Release) depends on it.
 * The inputs travel in `environment` (not `triggers`): a trigger would replace the record, and a
 * replacement's create never sees the previous stdout.
 */
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import type { Encryption } from './config';

/** rfc4106(gcm(aes)) with a 128-bit key: 16 key bytes + a 4-byte salt (cilium-values.ts ipsecKeysValue). */
export const IPSEC_KEY_BYTES = 20;

export interface KeyRotation {
  from: number;
  to: number;
}

/** The record's stdout -> the rotation this `up` performs, if any. */
export function parseKeyRecord(stdout: string): { keyId?: number; rotation?: KeyRotation } {
  const line = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(stdout)?.[1]?.trim();
  const out: { keyId?: number; rotation?: KeyRotation } = {};
  const id = line('key_id');
  if (id && /^\d+$/.test(id)) out.keyId = Number(id);
  const m = /^(\d+):(\d+)$/.exec(line('rotation') ?? '');
  if (m) out.rotation = { from: Number(m[1]), to: Number(m[2]) };
  return out;
}

/** Records lab:encryption; refuses ipsec <-> wireguard in place (see scripts/host/encryption-mode.sh). */
export function encryptionModeRecord(name: string, encryption: Encryption, opts: pulumi.CustomResourceOptions): command.local.Command {
  const script = 'bash scripts/host/encryption-mode.sh';
  return new command.local.Command(name, { create: script, update: script, environment: { LAB_ENCRYPTION: encryption } }, opts);
}

/** Records lab:ipsecKeyId; says whether this `up` rotates the key (see scripts/host/ipsec-key-record.sh). */
export function ipsecKeyRecord(name: string, keyId: number, opts: pulumi.CustomResourceOptions): command.local.Command {
  const script = 'bash scripts/host/ipsec-key-record.sh';
  return new command.local.Command(
    name,
    { create: script, update: script, environment: { KEY_ID: String(keyId), KEY_BYTES: String(IPSEC_KEY_BYTES) } },
    opts,
  );
}
