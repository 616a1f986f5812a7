/**
 * The two pods the proof needs: an HTTP server on worker2 and a client on worker1, in their own
 * namespace. Different nodes on purpose: same-node pod traffic is never encrypted by Cilium.
 * Pods are pinned to their node with the `kubernetes.io/hostname` node selector.
 *
 * Server: nginx (config `lab:serverImage`, pinned) on port 80 with the lab's own site config (a
 * ConfigMap, see serverNginxConfig): `GET /echo?msg=<nonce>` answers with the nonce, so the nonce
 * crosses the capture point in both directions over HTTP, and every request is one access-log line on
 * stdout starting `lab-access `. Client: netshoot (`lab:clientImage`, pinned) with iputils ping (`-p`
 * takes a 16-byte pattern; busybox ping takes one byte) and curl, kept idle by a shell loop.
 */
import * as crypto from 'crypto';
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

/**
 * First word of the server's access-log lines. `kubectl logs` merges the container's stdout and stderr
 * (stream selection is the alpha PodLogsQuerySplitStreams gate, Kubernetes 1.32), and nginx's error log
 * repeats the request line of a failed request, so traffic.sh counts only lines with this prefix.
 */
export const SERVER_ACCESS_LOG_PREFIX = 'lab-access';
/** Where the image's nginx.conf includes site configs from (`include /etc/nginx/conf.d/*.conf` in http{}). */
const NGINX_CONF_DIR = '/etc/nginx/conf.d';

/**
 * Pure: the server's site config, replacing the image's default.conf (which answers 404 to /echo).
 * `/echo?msg=X` returns X when it looks like a nonce ([A-Za-z0-9-], at most 64) and 400 otherwise, so
 * the server never reflects arbitrary input.
 */
export function serverNginxConfig(port: number = SERVER_PORT): string {
  return [
    '# The lab server pod\'s site (components/proof/workloads.ts): echoes the nonce, logs one line per request.',
    `log_format lab_access '${SERVER_ACCESS_LOG_PREFIX} $remote_addr "$request" $status $body_bytes_sent "$http_x_lab_nonce"';`,
    'server {',
    `    listen ${port};`,
    '    access_log /dev/stdout lab_access;',
    '    location = /echo {',
    '        default_type text/plain;',
    '        if ($arg_msg !~ "^[A-Za-z0-9-]{1,64}$") {',
    '            return 400 "msg must be 1 to 64 characters [A-Za-z0-9-]\\n";',
    '        }',
    '        return 200 "$arg_msg\\n";',
    '    }',
    '    location / {',
    '        return 404;',
    '    }',
    '}',
    '',
  ].join('\n');
}

/**
 * The ConfigMap's name carries a hash of its content: a changed config changes the pod's volume, which
 * a Pod cannot update in place, so the server pod is replaced and nginx reads the new file.
 */
export function serverConfigMapName(config: string = serverNginxConfig()): string {
  return `server-nginx-${crypto.createHash('sha256').update(config).digest('hex').slice(0, 10)}`;
}

/** Pure: the server's ConfigMap (as @pulumi/kubernetes ConfigMap args). */
export function serverConfigMapSpec(namespace: string): k8s.core.v1.ConfigMapArgs {
  const config = serverNginxConfig();
  return {
    metadata: { name: serverConfigMapName(config), namespace, labels: { ...LABELS, 'lab/role': 'server' } },
    data: { 'default.conf': config },
  };
}

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
            volumeMounts: [{ name: 'site', mountPath: NGINX_CONF_DIR, readOnly: true }],
          },
        ],
        volumes: [{ name: 'site', configMap: { name: serverConfigMapName() } }],
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
  serverConfig: k8s.core.v1.ConfigMap;
  server: k8s.core.v1.Pod;
  client: k8s.core.v1.Pod;
  serverIp: pulumi.Output<string>;
  clientIp: pulumi.Output<string>;
}

/**
 * Creates the namespace and both pods (the k8s provider waits for each pod to be Ready). `machines` (the
 * machines' token, machines.ts) replaces both pods when a node was rebuilt or booted again: kubelet
 * restarts them by itself then, possibly with new addresses, which the state would not know (their
 * status is read at creation).
 */
export function createWorkloads(
  name: string,
  w: Omit<WorkloadSpecInput, 'namespace'>,
  opts: pulumi.CustomResourceOptions,
  machines?: pulumi.Input<string>,
): Workloads {
  const namespace = new k8s.core.v1.Namespace(
    `${name}-ns`,
    { metadata: { name: PROOF_NAMESPACE, labels: LABELS } },
    opts,
  );
  const specs = podSpecs({ ...w, namespace: PROOF_NAMESPACE });
  const serverConfig = new k8s.core.v1.ConfigMap(`${name}-server-config`, serverConfigMapSpec(PROOF_NAMESPACE), {
    ...opts,
    dependsOn: [namespace],
  });
  // Fixed names (the traffic script and the docs refer to them): a replacement must delete first.
  const podOpts = { ...opts, dependsOn: [namespace], deleteBeforeReplace: true, ...(machines !== undefined ? { replacementTrigger: machines } : {}) };
  const server = new k8s.core.v1.Pod(`${name}-server`, specs.server, { ...podOpts, dependsOn: [namespace, serverConfig] });
  const client = new k8s.core.v1.Pod(`${name}-client`, specs.client, podOpts);
  const ip = (p: k8s.core.v1.Pod, which: string) =>
    p.status.apply((s) => {
      if (!s?.podIP) throw new Error(`the ${which} pod has no status.podIP (not scheduled or not running)`);
      return s.podIP;
    });
  return { namespace, serverConfig, server, client, serverIp: ip(server, 'server'), clientIp: ip(client, 'client') };
}
