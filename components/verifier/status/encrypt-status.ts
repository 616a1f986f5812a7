/**
 * Parser for the text of `cilium-dbg encrypt status` (`cilium encrypt status` before 1.15), as the Cilium agent
 * prints it, from the first release that has the command (1.11) on. Pure: a string in, a record out.
 *
 * The forms, from the source that prints them (cilium/cilium cilium/cmd/encrypt_status.go, since 1.15
 * cilium-dbg/cmd/encrypt_status.go, printEncryptionStatus):
 *
 *   Encryption: IPsec                       Encryption: Wireguard
 *   Decryption interface(s): eth0, eth1     Interface: cilium_wg0
 *   Keys in use: 1                          	Public key: GsIGt1Juo6p8gR93driyMD5FwFu2uOBBYGVsZtfQxho=
 *   Max Seq. Number: 0x6e/0xffffffff        	Number of peers: 1
 *   Errors: 12                              (one Interface block per WireGuard device)
 *   	XfrmInStateProtoError: 12
 *
 * - values are padded with trailing blanks (`%-26s`); "Max Seq. Number" is "N/A" before any packet, and its
 *   limit 0xffffffffffffffff in releases that count 64-bit (ESN) sequence numbers (cilium/cilium#41827);
 * - "Decryption interface(s)" exists since 1.15 (cilium/cilium#28640) and may be empty (cilium/cilium#30294);
 * - the early form (cilium/cilium#17274) reads "Encryption: ipsec", "NodeEncryption: disabled",
 *   "Max. sequence number: ...", and per-reason error lines without a colon ("XfrmInStateProtoError 12");
 * - `Encryption: Disabled` has no other line;
 * - 1.19 (cilium-dbg/cmd/encrypt_status.go at v1.19.0) reads the kernel's state even when the agent does
 *   not answer: a first line "Msg: <what failed>" (e.g. the agent's API unreachable, or the WireGuard
 *   state of the kernel and the agent differing), then "Encryption:" with the agent's mode, empty when it
 *   did not answer; the IPsec block whenever Cilium's states (reqid 1) are installed and the WireGuard
 *   block whenever cilium_wg0 exists, whatever the mode.
 * The numbers under "Errors" are /proc/net/xfrm_stat's counters, summed and listed when not zero
 * (getXfrmStats, same file, v1.18.4 and v1.19.0): they count since the node booted and never reset, so
 * only their growth between two readings says something (components/proof/xfrm-counters.ts).
 * scripts/vm/lib.sh encrypt_status_read reads the same text for the waits on the nodes; the tests hold
 * the two to the same result on every form. Lines that fit none of these (kubectl's "Defaulted container ..." notes, a newer field) are kept, in order,
 * in `unknownLines`.
 */

export type EncryptionKind = 'ipsec' | 'wireguard' | 'disabled';

export interface WireguardInterfaceStatus {
  name: string;
  publicKey?: string;
  peers?: number;
}

/** `cilium-dbg encrypt status` (plus facts-cilium.sh's `agent=` line), parsed. */
export interface EncryptStatus {
  /** The agent pod the text came from (facts-cilium.sh's `agent=` line). */
  agent?: string;
  /** "Encryption:" as printed, e.g. IPsec, Wireguard, Disabled (early releases: ipsec). */
  mode?: string;
  /** The mode, normalised. */
  encryption?: EncryptionKind;
  /** 1.19's "Msg:" line: what cilium-dbg could not read or found inconsistent. */
  message?: string;
  /** "NodeEncryption:" / "Node encryption:" of early releases, as printed. */
  nodeEncryption?: string;
  /** "Decryption interface(s):" (1.15+); empty when the line is there with no interface. */
  decryptionInterfaces?: string[];
  keysInUse?: number;
  /** "Max Seq. Number:" (early releases: "Max. sequence number:") as printed: "0x1d/0xffffffff" or "N/A". */
  maxSeqNumber?: string;
  /** The highest output sequence number in use, when printed as a number. */
  maxSeqUsed?: number;
  /** Width of the sequence number the limit shows: 32 (0xffffffff) or 64 (0xffffffffffffffff). */
  maxSeqBits?: 32 | 64;
  errors?: number;
  /** Per-reason error counts printed under "Errors:" (names from /proc/net/xfrm_stat). */
  errorsByReason: Record<string, number>;
  /** WireGuard devices, in the order printed. */
  wireguard?: WireguardInterfaceStatus[];
  /** Every "Name: value" line as printed (for anything not parsed above). */
  fields: Record<string, string>;
  /** Lines that fit no known form, trimmed, in order. */
  unknownLines: string[];
}

const MODES: Record<string, EncryptionKind> = { ipsec: 'ipsec', wireguard: 'wireguard', disabled: 'disabled' };

function int(v: string): number | undefined {
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

function parseMaxSeq(st: EncryptStatus, v: string): void {
  st.maxSeqNumber = v;
  const m = /^0x([0-9a-fA-F]+)\/0x([0-9a-fA-F]+)$/.exec(v);
  if (!m) return;
  const used = parseInt(m[1], 16);
  if (Number.isSafeInteger(used)) st.maxSeqUsed = used;
  if (/^f{8}$/i.test(m[2])) st.maxSeqBits = 32;
  else if (/^f{16}$/i.test(m[2])) st.maxSeqBits = 64;
}

export function parseEncryptStatus(stdout: string): EncryptStatus {
  const st: EncryptStatus = { fields: {}, errorsByReason: {}, unknownLines: [] };
  let section: 'top' | 'errors' | 'wireguard' = 'top';
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (raw.startsWith('agent=')) {
      st.agent = raw.slice('agent='.length).trim();
      continue;
    }
    // A per-reason error line: "XfrmInStateProtoError: 12" or, in early releases, "XfrmInStateProtoError 12".
    const reason = /^(Xfrm[A-Za-z]+)\s*:?\s+(\d+)$/.exec(line) ?? (section === 'errors' ? /^([A-Za-z][A-Za-z0-9]*)\s*:?\s+(\d+)$/.exec(line) : null);
    if (reason) {
      st.errorsByReason[reason[1]] = Number(reason[2]);
      if (line.includes(':')) st.fields[reason[1]] = reason[2];
      continue;
    }
    const m = /^([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (!m) {
      st.unknownLines.push(line);
      continue;
    }
    const [, name, value] = m;
    st.fields[name] = value;
    const key = name.toLowerCase();
    const wg = st.wireguard?.[st.wireguard.length - 1];
    if (key === 'encryption') {
      st.mode = value;
      const kind = MODES[value.toLowerCase()];
      if (kind !== undefined) st.encryption = kind;
      section = 'top';
    } else if (key === 'msg') {
      st.message = value;
    } else if (key === 'nodeencryption' || key === 'node encryption') {
      st.nodeEncryption = value;
    } else if (key === 'decryption interface(s)') {
      st.decryptionInterfaces = value.split(',').map((x) => x.trim()).filter((x) => x !== '');
    } else if (key === 'keys in use' && int(value) !== undefined) {
      st.keysInUse = int(value);
    } else if (key === 'max seq. number' || key === 'max. sequence number') {
      parseMaxSeq(st, value);
    } else if (key === 'errors' && int(value) !== undefined) {
      st.errors = int(value);
      section = 'errors';
    } else if (key === 'interface') {
      (st.wireguard ??= []).push({ name: value });
      section = 'wireguard';
    } else if (section === 'wireguard' && wg && key === 'public key') {
      wg.publicKey = value;
    } else if (section === 'wireguard' && wg && key === 'number of peers' && int(value) !== undefined) {
      wg.peers = int(value);
    } else {
      st.unknownLines.push(line);
    }
  }
  return st;
}
