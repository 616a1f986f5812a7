/**
 * The two pods the proof needs: an HTTP server on worker2 and a client on worker1, in their own
 * namespace. Different nodes on purpose: same-node pod traffic is never encrypted by Cilium.
 * Pods are pinned to their node with the `kubernetes.io/hostname` node selector.
 *
 * Server: nginx (config `lab:serverImage`, pinned) on port 80; its access log (stdout) records every
 * request line, which carries the nonce. Client: netshoot (`lab:clientImage`, pinned) with iputils ping
 * (`-p` takes a 16-byte pattern; busybox ping takes one byte) and curl, kept idle by a shell loop.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

export const PROOF_NAMESPACE = 'lab-proof';
export const SERVER_POD = 'server';
export const CLIENT_POD = 'client';
export const SERVER_PORT = 80;

export interface WorkloadSpecInput {
  namespace: string;
  serverImage: string;
  clientImage: string;
  /** Kubernetes node names (kubernetes.io/hostname). */
  serverNode: string;
  clientNode: string;
}

const LABELS = { 'app.kubernetes.io/part-of': 'cilium-ipsec-lab' };

/** Pure: the two pod manifests (as @pulumi/kubernetes Pod args). */
export function podSpecs(w: WorkloadSpecInput): { server: k8s.core.v1.PodArgs; client: k8s.core.v1.PodArgs } {
  const common = {
    terminationGracePeriodSeconds: 1,
    restartPolicy: 'Always',
    tolerations: [{ operator: 'Exists' }],
  };
  return {
    server: {
      metadata: { name: SERVER_POD, namespace: w.namespace, labels: { ...LABELS, 'lab/role': 'server' } },
      spec: {
        ...common,
        nodeSelector: { 'kubernetes.io/hostname': w.serverNode },
        containers: [
          {
            name: 'http',
            image: w.serverImage,
            imagePullPolicy: 'IfNotPresent',
            ports: [{ name: 'http', containerPort: SERVER_PORT, protocol: 'TCP' }],
            readinessProbe: { tcpSocket: { port: SERVER_PORT }, periodSeconds: 2 },
          },
        ],
      },
    },
    client: {
      metadata: { name: CLIENT_POD, namespace: w.namespace, labels: { ...LABELS, 'lab/role': 'client' } },
      spec: {
        ...common,
        nodeSelector: { 'kubernetes.io/hostname': w.clientNode },
        containers: [
          {
            name: 'client',
            image: w.clientImage,
            imagePullPolicy: 'IfNotPresent',
            // Idle until deleted, and exit at once on SIGTERM (a shell as PID 1 ignores it otherwise).
            command: ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while true; do sleep 3600 & wait $!; done'],
          },
        ],
      },
    },
  };
}

export interface Workloads {
  namespace: k8s.core.v1.Namespace;
  server: k8s.core.v1.Pod;
  client: k8s.core.v1.Pod;
  serverIp: pulumi.Output<string>;
  clientIp: pulumi.Output<string>;
}

/** Creates the namespace and both pods (the k8s provider waits for each pod to be Ready). */
export function createWorkloads(
  name: string,
  w: Omit<WorkloadSpecInput, 'namespace'>,
  opts: pulumi.CustomResourceOptions,
): Workloads {
  const namespace = new k8s.core.v1.Namespace(
    `${name}-ns`,
    { metadata: { name: PROOF_NAMESPACE, labels: LABELS } },
    opts,
  );
  const specs = podSpecs({ ...w, namespace: PROOF_NAMESPACE });
  // Fixed names (the traffic script and the docs refer to them): a replacement must delete first.
  const podOpts = { ...opts, dependsOn: [namespace], deleteBeforeReplace: true };
  const server = new k8s.core.v1.Pod(`${name}-server`, specs.server, podOpts);
  const client = new k8s.core.v1.Pod(`${name}-client`, specs.client, podOpts);
  const ip = (p: k8s.core.v1.Pod, which: string) =>
    p.status.apply((s) => {
      if (!s?.podIP) throw new Error(`the ${which} pod has no status.podIP (not scheduled or not running)`);
      return s.podIP;
    });
  return { namespace, server, client, serverIp: ip(server, 'server'), clientIp: ip(client, 'client') };
}
