/**
 * The one reading of a stack's `verification` output, for `up`'s summary, `compare`, its mode rows and the
 * comparison page. The output is plain JSON (the Automation API's outputs, `pulumi stack output --json`, a
 * recorded file), so it is checked once here, field by field, against what the lab writes
 * (components/proof: the verifier's Report plus the lab's judgement); the readers then use typed values with no
 * casts or guards of their own. A field of the wrong type is a problem that names the key, the value and what was
 * expected; a section the output lacks is absent, and the rows that show it say '-'.
 *
 * `schemaVersion` (top level of `verification`) is written by the lab. A verification without one was written by
 * a lab from before the field existed (such stacks and recordings are still read: the fields read here have not
 * changed since); it reads as version 0. A version newer than VERIFICATION_SCHEMA_VERSION is refused, since its
 * fields may mean something this command does not know.
 */
import { ENCRYPTIONS } from '../config';
import type { AgentEvidence } from '../proof/agents';
import type { WireguardCorrelation } from '../proof/judge-wireguard';
import type { RotationResult } from '../proof/judge-rotation';
import type { VerificationResult } from '../proof/verification';
import type { EspFlowReport, Report, Timeline, Verdict } from '../verifier/report';
import { FRAME_CLASSES, VERDICTS } from '../verifier/report';

/** The version of the `verification` output this command reads. */
export const VERIFICATION_SCHEMA_VERSION = 1;

type Wireguard = Pick<Report['wireguard'], 'packets' | 'dataPackets' | 'handshakes'> & {
  /** Outputs recorded before the count of invalid datagrams existed lack it. */
  invalid?: number;
  flows: Pick<Report['wireguard']['flows'][number], 'src' | 'dst'>[];
};
type Direction = Pick<RotationResult['directions'][number], 'src' | 'dst' | 'lastOld' | 'firstNew' | 'oldAfterSwitch'>;
type Rotation = Pick<RotationResult, 'from' | 'to' | 'pass' | 'cleartextWindows' | 'decryption' | 'xfrmErrorsGrown'> & {
  directions: Direction[];
  traffic: Pick<RotationResult['traffic'], 'pingLost' | 'pingTransmitted'>;
};
type Side = Pick<WireguardCorrelation['clientToServer'], 'dataPackets' | 'podPacketsSent'>;

/** A stack's `verification`, as far as the lab command reads it. */
export interface StackVerification {
  /** 0: written before the lab recorded a version. */
  schemaVersion: number;
  pass: boolean;
  failures: string[];
  verdict?: Verdict;
  expected?: Partial<Pick<VerificationResult['expected'], 'encryption' | 'expect'>>;
  frames?: number;
  capturePath?: string;
  wiresharkConfigDir?: string;
  reportPage?: string;
  esp?: Pick<Report['esp'], 'packets' | 'spis'> & { flows: Pick<EspFlowReport, 'src' | 'dst' | 'paths' | 'sizes'>[] };
  cleartext?: Pick<Report['cleartext'], 'podPackets'>;
  /** `decryptedHits` (nonce frames found only inside decrypted ESP) is optional: a recording without it still reads, as compare and report use `hits` alone. */
  nonce?: Pick<NonNullable<Report['nonce']>, 'hits'> & { decryptedHits?: number };
  decryption?: Pick<NonNullable<Report['decryption']>, 'ok' | 'failed'>;
  tcpdump?: { captured: number; dropped: number };
  timeline?: Timeline;
  wireguard?: Wireguard;
  wireguardCorrelation?: { clientToServer: Side; serverToClient: Side; holds: boolean };
  agents?: Pick<AgentEvidence, 'node' | 'mode' | 'errors' | 'keysInUse' | 'keyIds' | 'wireguardPeers'>[];
  rotation?: Rotation;
}

/** Why a value could not be read: where it is, what was expected, what was there. */
class ReadError extends Error {
  constructor(at: string, expected: string, value: unknown) {
    super(`${at}: expected ${expected}, got ${value === undefined ? 'nothing' : JSON.stringify(value)?.slice(0, 80) ?? String(value)}`);
  }
}

/** Reads a value at a path (for the error), or throws ReadError. */
type Read<T> = (v: unknown, at: string) => T;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const num: Read<number> = (v, at) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ReadError(at, 'a number', v);
  return v;
};
const str: Read<string> = (v, at) => {
  if (typeof v !== 'string') throw new ReadError(at, 'a string', v);
  return v;
};
const bool: Read<boolean> = (v, at) => {
  if (typeof v !== 'boolean') throw new ReadError(at, 'true or false', v);
  return v;
};
/** A time, or null where the direction never had a packet of that SPI. */
const timeOrNull: Read<number | null> = (v, at) => (v === null ? null : num(v, at));
const oneOf = <T extends string>(values: readonly T[]): Read<T> => (v, at) => {
  if (!(values as readonly unknown[]).includes(v)) throw new ReadError(at, `one of ${values.join(', ')}`, v);
  return v as T;
};
const list = <T>(item: Read<T>): Read<T[]> => (v, at) => {
  if (!Array.isArray(v)) throw new ReadError(at, 'a list', v);
  return v.map((x, i) => item(x, `${at}[${i}]`));
};
const record = <T>(value: Read<T>): Read<Record<string, T>> => (v, at) => {
  if (!isObject(v)) throw new ReadError(at, 'an object', v);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x, `${at}.${k}`)]));
};

type Fields<T> = { [K in keyof T]-?: Read<T[K]> };
/** An object with these fields; a field whose reader is wrapped in `optional` may be missing (or undefined). */
const fields = <T>(shape: Fields<T>): Read<T> => (v, at) => {
  if (!isObject(v)) throw new ReadError(at, 'an object', v);
  const out: Record<string, unknown> = {};
  for (const [k, read] of Object.entries(shape) as [string, Read<unknown>][]) {
    const x = read(v[k], `${at}.${k}`);
    if (x !== undefined) out[k] = x;
  }
  return out as T;
};
const optional = <T>(read: Read<T>): Read<T | undefined> => (v, at) => (v === undefined || v === null ? undefined : read(v, at));

/** { node: { counter: [before, after] } }. */
const counterPairs = record(record((v, at) => {
  const pair = list(num)(v, at);
  if (pair.length !== 2) throw new ReadError(at, 'a [before, after] pair', v);
  return [pair[0], pair[1]] as [number, number];
}));
const window = fields<Rotation['cleartextWindows'][number]>({ start: num, end: num, packets: num });
const side = fields<Side>({ dataPackets: num, podPacketsSent: num });

const VERIFICATION = fields<StackVerification>({
  schemaVersion: (v, at) => {
    if (v === undefined) return 0;
    const n = num(v, at);
    if (!Number.isInteger(n) || n < 1 || n > VERIFICATION_SCHEMA_VERSION) {
      throw new ReadError(at, `a version this lab command reads (1 to ${VERIFICATION_SCHEMA_VERSION})`, v);
    }
    return n;
  },
  pass: bool,
  failures: list(str),
  verdict: optional(oneOf(VERDICTS)),
  expected: optional(fields<NonNullable<StackVerification['expected']>>({ encryption: optional(oneOf(ENCRYPTIONS)),
    expect: optional(oneOf(['encrypted', 'cleartext'] as const)) })),
  frames: optional(num),
  capturePath: optional(str),
  wiresharkConfigDir: optional(str),
  reportPage: optional(str),
  esp: optional(fields<NonNullable<StackVerification['esp']>>({
    packets: num, spis: list(num),
    flows: list(fields({ src: str, dst: str, paths: list(str), sizes: fields({ min: num, max: num, mean: num }) })),
  })),
  cleartext: optional(fields({ podPackets: num })),
  nonce: optional(fields({ hits: num, decryptedHits: optional(num) })),
  decryption: optional(fields({ ok: num, failed: num })),
  tcpdump: optional(fields({ captured: num, dropped: num })),
  timeline: optional(fields<Timeline>({
    bucketSeconds: num,
    buckets: list(fields<Timeline['buckets'][number]>({ start: num, counts: fields(Object.fromEntries(FRAME_CLASSES.map((c) => [c, num])) as Fields<Timeline['buckets'][number]['counts']>) })),
  })),
  wireguard: optional(fields<Wireguard>({ packets: num, dataPackets: num, handshakes: num, invalid: optional(num), flows: list(fields({ src: str, dst: str })) })),
  wireguardCorrelation: optional(fields({ clientToServer: side, serverToClient: side, holds: bool })),
  agents: optional(list(fields<NonNullable<StackVerification['agents']>[number]>({
    node: str, mode: optional(str), errors: optional(num), keysInUse: optional(num), keyIds: optional(list(num)), wireguardPeers: optional(num),
  }))),
  rotation: optional(fields<Rotation>({
    from: num, to: num, pass: bool,
    directions: list(fields<Direction>({ src: str, dst: str, lastOld: timeOrNull, firstNew: timeOrNull, oldAfterSwitch: num })),
    cleartextWindows: list(window),
    decryption: fields({ from: fields({ ok: num, failed: num }), to: fields({ ok: num, failed: num }) }),
    traffic: fields({ pingLost: num, pingTransmitted: num }),
    xfrmErrorsGrown: counterPairs,
  })),
});

/**
 * A stack's `verification` from its outputs. `problem` when it cannot be used: none there, or a field that is not
 * what the lab writes (the message names the key, the value and what was expected).
 */
export function readVerification(outputs: Readonly<Record<string, unknown>>): { verification: StackVerification } | { problem: string } {
  if (outputs.verification === undefined || outputs.verification === null) return { problem: 'no verification output' };
  try {
    return { verification: VERIFICATION(outputs.verification, 'verification') };
  } catch (e) {
    if (e instanceof ReadError) return { problem: e.message };
    throw e;
  }
}
