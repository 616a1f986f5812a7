/**
 * The engine suite's program: the VM half of the lab, made of the lab's own components and steps, run
 * by the real Pulumi engine. No kubeadm, no Kubernetes provider (nothing of Kubernetes can be
 * downloaded here): keys -> pool + networks -> base image -> router -> worker1 and worker2 (the
 * cluster's nodeMachine: VM + node-wait) -> the encryption-mode record and, on ipsec, the key-id record
 * and the key's random bytes as the Cilium component makes them -> the nonce and the "before" facts of
 * both workers (the proof's createNonce and createFactsBefore): results taken on the VMs, standing in
 * for the verdict.
 *
 * Its outputs are the lab's documented ones for this half (router, libvirt, nodes, kubeconfig), plus
 * `secretValues` (secret): the key material, so the suite can search the raw state file for each value.
 */
import * as pulumi from '@pulumi/pulumi';
import { loadLabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import { labFoundation } from '../../components/program';
import { labKubeconfig, nodeMachine } from '../../components/cluster';
import { encryptionModeRecord } from '../../components/encryption-records';
import { ipsecKeyMaterial } from '../../components/cilium';
import { createNonce } from '../../components/proof/nonce';
import { labMachines } from '../../components/machines';
import { createFactsBefore } from '../../components/proof/facts';
import { parseFacts } from '../../components/proof/parse';

export function vmHalfProgram() {
  const config = loadLabConfig();
  const plan = planTopology(config);

  const { keys, vmDeps, base, router } = labFoundation(config, plan);

  // As the cluster names them (`cluster-<vm>`), so state and URNs read as the lab's.
  const workers = plan.workers.map((vm) =>
    nodeMachine(`cluster-${vm.name}`, { config, plan, vm, sshPublicKey: keys.sshPublicKey, router: { target: router.target, ready: router.ready }, base, dependsOn: vmDeps }),
  );

  // The Cilium component's records (cilium.ts).
  const modeRecord = encryptionModeRecord('cilium-mode', config.encryption, { dependsOn: workers.map((w) => w.ready) });
  // The key-id record and the key's bytes exactly as the Cilium component makes them (the Secret aside).
  const key = config.encryption === 'ipsec' ? ipsecKeyMaterial('cilium-ipsec', { spi: config.ipsecKeyId, stack: config.stack, dependsOn: [modeRecord] }) : undefined;
  // As Cilium.records: what a refused change would touch waits for the records that refuse it.
  const records = [modeRecord, ...(key ? [key.record] : [])];

  // The lab's machines as the full program reads them (generation and boot ids), for the machines this
  // program makes: the nonce, and so the facts, are renewed after a rebuild or a reboot.
  const machinePlan = { ...plan, nodes: plan.workers, vms: [plan.router, ...plan.workers] };
  const machines = labMachines({
    config,
    plan: machinePlan,
    router,
    cluster: {
      generation: pulumi.all(workers.map((w) => w.vm.generation)).apply((gs) => gs.join('/')),
      nodesReady: workers.map((w) => w.ready),
      vms: workers.map((w) => w.vm),
    },
  });
  const { nonce } = createNonce('proof-nonce', { captureRun: config.captureRun, encryption: config.encryption, ipsecKeyId: config.ipsecKeyId, machines: machines.token }, { dependsOn: records });
  const facts = createFactsBefore('proof', workers.map((w) => w.node), nonce, { dependsOn: [modeRecord, ...workers.map((w) => w.ready)] });

  return {
    encryption: config.encryption,
    kubeconfig: labKubeconfig(config, plan, keys),
    router: {
      domain: router.domainName,
      uplinkIp: router.uplinkIp,
      interfaces: router.interfaces,
      captureInterface: config.captureInterface,
    },
    nodes: pulumi.all(facts.map((f) => f.stdout)).apply((outs) =>
      outs.map((o, i) => {
        const s = parseFacts(o);
        return { name: workers[i].node.name, role: workers[i].node.role, ip: workers[i].node.ip, hostname: s.hostname, addrs: s.addrs };
      }),
    ),
    nonce,
    machines: { generation: machines.generation, bootIds: machines.bootIds },
    libvirt: {
      uri: config.libvirtUri,
      pool: plan.pool.name,
      networks: Object.values(plan.networks).map((n) => n.name),
      domains: [plan.router, ...plan.workers].map((v) => v.domain),
    },
    secretValues: pulumi.secret({
      sshPrivateKey: keys.sshPrivateKey,
      caKeyPem: keys.caKeyPem,
      adminKeyPem: keys.adminKeyPem,
      bootstrapToken: keys.bootstrapToken,
      ipsecKey: key?.value ?? pulumi.output(''),
    }),
  };
}
