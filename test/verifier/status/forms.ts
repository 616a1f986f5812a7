/**
 * Texts of `cilium-dbg encrypt status` (`cilium encrypt status` before 1.15) in every released form, each
 * from the public source named above it. Both readers of this text get the same ones: the TypeScript
 * parser (components/verifier/status/encrypt-status.ts) and the waits' reader on the nodes
 * (scripts/vm/lib.sh encrypt_status_read).
 */

// cilium/cilium#28640 (the pull request that added the decryption interfaces, 1.15), its description.
export const V115 = `Encryption: IPsec
Decryption interface(s): eth0, eth1, eth2
Keys in use: 1
Max Seq. Number: 0x6e/0xffffffff
Errors: 0
`;

// cilium/cilium#30294 (Cilium 1.14.5 in kind): the prompt, the padding after the values, an empty interface list
// and "N/A" before any packet, as pasted.
export const V114 = `root@kind-worker2:/home/cilium# cilium encrypt status
Encryption: IPsec                     
Decryption interface(s): 
Keys in use: 1                         
Max Seq. Number: N/A
Errors: 0   
`;

// cilium/cilium#17274 (2021, the first release of the command): indented, lower-case mode, NodeEncryption,
// "Max. sequence number" and a per-reason error line without a colon.
export const V111 = `cilium encrypt status
  Encryption: ipsec
  NodeEncryption: disabled
  Keys in use: 2
  Max. sequence number: 0xffffbd4f/0xffffffff
  Errors: 12
    XfrmInStateProtoError 12
`;

// printEncryptionStatus in cilium/cilium cilium-dbg/cmd/encrypt_status.go (v1.18.4) prints errors as "\t%s: %-26d\n" and
// each WireGuard device as "Interface: %s", "\tPublic key: %s", "\tNumber of peers: %d"; the key and the peer
// count here are the ones cilium/cilium#15833 shows for cilium_wg0.
export const ERRORS = `Encryption: IPsec                     \nDecryption interface(s): enp1s0\nKeys in use: 4                         \n`
  + `Max Seq. Number: 0x1d/0xffffffffffffffff\nErrors: 5                         \n`
  + `\tXfrmInNoStates: 3                         \n\tXfrmInStateProtoError: 2                         \n`;
export const WIREGUARD = `Encryption: Wireguard                 \nInterface: cilium_wg0\n`
  + `\tPublic key: GsIGt1Juo6p8gR93driyMD5FwFu2uOBBYGVsZtfQxho=\n\tNumber of peers: 1\n`;

// Two WireGuard devices (an IPv6 one beside cilium_wg0), the same format.
export const WIREGUARD_TWO = `${WIREGUARD}Interface: cilium_wg1\n\tPublic key: 6gdyrnQ9ahwDNv0Q7gj2UI2h9MUITh+O7xb2wdacKQA=\n\tNumber of peers: 3\n`;

// facts-cilium.sh's `agent=` line in front of the command's text.
export const WITH_AGENT = `agent=cilium-7xk2p\n${WIREGUARD}`;

// kubectl's note on stderr merged in front, and a field no release prints (kept as unknown).
export const DISABLED_NOTES = 'Defaulted container "cilium-agent" out of: cilium-agent, config (init), mount-cgroup (init)\n'
  + 'Encryption: Disabled                  \nStrict mode: enabled\n';

// v1.19.0 printEncryptionStatus (cilium-dbg/cmd/encrypt_status.go): "Msg: %s" first when something did not add
// up; the WireGuard block is the kernel's device (dumpWireGuardStatus), checked against the agent's by
// validateWireguardStates ("interface %q: peer count mismatch (%s=%d, %s=%d)").
export const V119_WIREGUARD_MISMATCH = 'Msg: interface "cilium_wg0": peer count mismatch (agent=2, kernel=1)\n'
  + `Encryption: Wireguard                 \nInterface: cilium_wg0\n\tPublic key: GsIGt1Juo6p8gR93driyMD5FwFu2uOBBYGVsZtfQxho=\n\tNumber of peers: 1\n`;

// v1.19.0 in IPsec mode before any key is installed: dumpIPsecStatus returns nothing when no state has
// reqid 1, so only the mode line is printed.
export const V119_IPSEC_NO_KEYS = 'Encryption: IPsec                     \n';

/** Every form above, by name. */
export const FORMS: Record<string, string> = {
  V115, V114, V111, ERRORS, WIREGUARD, WIREGUARD_TWO, WITH_AGENT, DISABLED_NOTES, V119_WIREGUARD_MISMATCH, V119_IPSEC_NO_KEYS,
};
