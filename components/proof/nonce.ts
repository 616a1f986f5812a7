/**
 * The per-run nonce: a 16-character text the client puts in every ICMP echo payload (`ping -p`, whose
 * pattern is at most 16 bytes) and every HTTP request (path and header). Finding it in the capture in
 * cleartext is a leak; finding it only inside decrypted ESP proves the ESP carried our traffic.
 *
 * The text is `lab-` + 12 random lowercase letters/digits (36^12 values): ASCII only, so the bytes of the
 * ping pattern are exactly the text and the verifier's `--nonce TEXT` matches them.
 */
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import type { Encryption } from '../config';

export const NONCE_PREFIX = 'lab-';
export const NONCE_LENGTH = 16;
export const NONCE_PATTERN = /^[A-Za-z0-9-]{16}$/;

/** What makes a new nonce (and so a new capture): the run counter, the encryption mode, on ipsec the key
 *  id (after a key rotation the ordinary capture is taken again, with the new key), and the machines'
 *  token (machines.ts: after a rebuild or a reboot a capture taken before says nothing). */
export function nonceKeepers(captureRun: number, encryption: Encryption, ipsecKeyId?: number, machines?: pulumi.Input<string>): Record<string, pulumi.Input<string>> {
  const k: Record<string, pulumi.Input<string>> = { captureRun: String(captureRun), encryption };
  if (encryption === 'ipsec' && ipsecKeyId !== undefined) k.ipsecKeyId = String(ipsecKeyId);
  if (machines !== undefined) k.machines = machines;
  return k;
}

/**
 * A RandomString replaced whenever `lab:captureRun`, `lab:encryption`, (ipsec) `lab:ipsecKeyId` or the
 * machines' token changes (its keepers); every capture command has the nonce in its triggers, so a new nonce re-runs the whole
 * capture. The caller makes it depend on the records that refuse a change (opts.dependsOn), so a refused
 * change keeps the nonce.
 */
export function createNonce(
  name: string,
  args: { captureRun: number; encryption: Encryption; ipsecKeyId?: number; machines?: pulumi.Input<string> },
  opts: pulumi.CustomResourceOptions,
): { resource: random.RandomString; nonce: pulumi.Output<string> } {
  const resource = new random.RandomString(
    name,
    {
      length: NONCE_LENGTH - NONCE_PREFIX.length,
      special: false,
      upper: false,
      lower: true,
      numeric: true,
      keepers: nonceKeepers(args.captureRun, args.encryption, args.ipsecKeyId, args.machines),
    },
    opts,
  );
  return { resource, nonce: pulumi.interpolate`${NONCE_PREFIX}${resource.result}` };
}
