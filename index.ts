/**
 * cilium-ipsec-lab: a libvirt lab (router + kubeadm control-plane + two workers in two routed
 * subnets) with Cilium, proving whether pod-to-pod traffic is encrypted. Stacks `unencrypted`, `ipsec`,
 * `wireguard` and `dev` are this same program with different `lab:` config (Pulumi.<stack>.yaml).
 *
 * The program itself is components/program.ts, shared with the lab command's inline program.
 */
import { labProgram } from './components/program';

export = labProgram();
