/**
 * Cilium through Helm (`kubernetes.helm.v3.Release` from https://helm.cilium.io or lab:ciliumChart, version pinned), its
 * values from the one pure function `ciliumValues`, and on the ipsec stack the key Secret
 * `cilium-ipsec-keys` (20 random bytes from @pulumi/random; the Release depends on it). A bounded wait
 * on the control-plane then checks that the agents rolled out and every node is Ready; on ipsec a second
 * one (ipsec-wait.sh) that every agent runs IPsec with the configured key id and SAs to every peer; on
 * wireguard (wireguard-wait.sh) that every agent runs WireGuard with a peer per other node.
 *
 * Before anything changes, the encryption-mode record refuses a switch Cilium does not document in place
 * (ipsec <-> wireguard), and on ipsec the key-id record turns a raised lab:ipsecKeyId into the rotation
 * path (proof/rotation-path.ts): the Secret waits for the rotation capture to start.
 */
import { createHash } from 'crypto';
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import * as random from '@pulumi/random';
import type { LabConfig } from './config';
import type { TopologyPlan } from './topology';
import { CILIUM_NAMESPACE, IPSEC_SECRET_KEY, IPSEC_SECRET_NAME, ciliumChartArgs, ciliumValues, ipsecKeysValue } from './cilium-values';
import { encryptionModeRecord, IPSEC_KEY_BYTES } from './encryption-records';
import { IpsecRotation } from './proof/rotation-path';
import type { RotationVerifyFn } from './proof/rotation';
import { xfrmToleranceEnv } from './proof/xfrm-counters';
import type { LabNode } from './cluster';
import { runScript, SshTarget } from './remote';

export interface IpsecKeyArgs {
  spi: number;
  provider: k8s.Provider;
  /** What the Secret's create or update must wait for (a key rotation's capture start). */
  after?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
}

/** The IPsec key Secret. A new SPI draws a new key (keepers) and updates the Secret in place. */
export class IpsecKey extends pulumi.ComponentResource {
  public readonly secretName: pulumi.Output<string>;
  public readonly spi: pulumi.Output<number>;
  public readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: IpsecKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:cilium:IpsecKey', name, {}, opts);
    const key = new random.RandomId(`${name}-bytes`, { byteLength: IPSEC_KEY_BYTES, keepers: { spi: String(args.spi) } }, { parent: this });
    const value = pulumi.secret(key.hex.apply((hex) => ipsecKeysValue(args.spi, hex)));
    this.secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: IPSEC_SECRET_NAME, namespace: CILIUM_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'cilium-ipsec-lab' } },
        type: 'Opaque',
        stringData: { [IPSEC_SECRET_KEY]: value },
      },
      { parent: this, provider: args.provider, additionalSecretOutputs: ['data', 'stringData'], dependsOn: args.after },
    );
    this.secretName = this.secret.metadata.name;
    this.spi = pulumi.output(args.spi);
    this.registerOutputs({ secretName: this.secretName, spi: this.spi });
  }
}

export interface CiliumArgs {
  config: LabConfig;
  plan: TopologyPlan;
  provider: k8s.Provider;
  /** Control-plane target for the readiness wait. */
  controlPlane: SshTarget;
  dependsOn: pulumi.Resource[];
  /** The router and every node: the key rotation's capture, traffic and waits run there (ipsec). */
  router?: SshTarget;
  nodes?: LabNode[];
  /** For tests only: replaces the verifier library call of the rotation verdict. */
  rotationVerify?: RotationVerifyFn;
}

/** Bound of the waits for IPsec or WireGuard on every node (keys reach the agents within about a minute). */
export const IPSEC_READY_SECONDS = 300;

export class Cilium extends pulumi.ComponentResource {
  public readonly version: pulumi.Output<string>;
  public readonly encryption: pulumi.Output<string>;
  public readonly values: pulumi.Output<ReturnType<typeof ciliumValues>>;
  public readonly release: k8s.helm.v3.Release;
  public readonly ipsecKey?: IpsecKey;
  /** Refuses an in-place mode switch Cilium does not document (encryption-records.ts). */
  public readonly modeRecord: pulumi.Resource;
  /** ipsec: the key rotation path (exists in the graph only while a rotation is performed). */
  public readonly rotation?: IpsecRotation;
  /** ipsec: what ipsec-wait.sh printed per node (agent, mode, keys in use, errors, SPIs seen). */
  public readonly ipsecReadiness?: pulumi.Output<string>;
  /** Agents rolled out, all nodes Ready (and on ipsec: IPsec in place on every node, rotation done). */
  public readonly ready: pulumi.Resource;

  constructor(name: string, args: CiliumArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:cilium:Cilium', name, {}, opts);
    const { config: cfg, plan } = args;
    const values = ciliumValues(cfg, plan);
    this.modeRecord = encryptionModeRecord(`${name}-mode`, cfg.encryption, { parent: this, dependsOn: args.dependsOn });
    const deps = [...args.dependsOn, this.modeRecord];
    if (cfg.encryption === 'ipsec') {
      if (args.router && args.nodes) {
        this.rotation = new IpsecRotation(
          `${name}-rotation`,
          { config: cfg, router: args.router, nodes: args.nodes, dependsOn: [...deps], verify: args.rotationVerify },
          { parent: this },
        );
      }
      this.ipsecKey = new IpsecKey(
        `${name}-ipsec`,
        { spi: cfg.ipsecKeyId, provider: args.provider, after: this.rotation ? this.rotation.started : [] },
        // A copy: `deps` grows by the Secret below, and the Secret's own parent must not wait for it.
        { parent: this, dependsOn: [...deps] },
      );
      this.rotation?.finish(`${name}-rotation`, this.ipsecKey.secret);
      deps.push(this.ipsecKey.secret);
    }
    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: 'cilium',
        ...ciliumChartArgs(cfg),
        namespace: CILIUM_NAMESPACE,
        values,
        timeout: 900,
      },
      { parent: this, provider: args.provider, dependsOn: deps },
    );
    const valuesHash = createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 16);
    const expectedNodes = plan.nodes.map((n) => n.hostname).join(' ');
    const rolledOut = runScript(
      `${name}-ready`,
      {
        target: args.controlPlane,
        script: 'scripts/vm/cilium-wait.sh',
        env: { EXPECTED_NODES: expectedNodes, TIMEOUT_SECONDS: '900' },
        triggers: [cfg.ciliumVersion, valuesHash, this.release.id],
      },
      { parent: this, dependsOn: [this.release] },
    );
    this.ready = rolledOut;
    if (cfg.encryption === 'ipsec') {
      // Before every capture run and after every key change: the capture must never start while some
      // node pair still talks in clear (a correct cluster would then read as partial).
      const ipsecReady = runScript(
        `${name}-ipsec-ready`,
        {
          target: args.controlPlane,
          script: 'scripts/vm/ipsec-wait.sh',
          env: { EXPECTED_NODES: expectedNodes, KEY_ID: String(cfg.ipsecKeyId), TIMEOUT_SECONDS: String(IPSEC_READY_SECONDS), ...xfrmToleranceEnv() },
          triggers: [cfg.ciliumVersion, valuesHash, this.release.id, cfg.ipsecKeyId, cfg.captureRun, rolledOut.stdout],
        },
        {
          parent: this,
          dependsOn: (this.rotation ? this.rotation.done : pulumi.output([] as pulumi.Resource[])).apply((done) => [
            rolledOut,
            ...(this.ipsecKey ? [this.ipsecKey.secret] : []),
            ...done,
          ]),
        },
      );
      this.ipsecReadiness = ipsecReady.stdout;
      this.ready = ipsecReady;
    } else if (cfg.encryption === 'wireguard') {
      // The same for WireGuard: every agent has a peer per other node before the capture starts.
      this.ready = runScript(
        `${name}-wireguard-ready`,
        {
          target: args.controlPlane,
          script: 'scripts/vm/wireguard-wait.sh',
          env: { EXPECTED_NODES: expectedNodes, TIMEOUT_SECONDS: String(IPSEC_READY_SECONDS) },
          triggers: [cfg.ciliumVersion, valuesHash, this.release.id, cfg.captureRun, rolledOut.stdout],
        },
        { parent: this, dependsOn: [rolledOut] },
      );
    }
    this.version = pulumi.output(cfg.ciliumVersion);
    this.encryption = pulumi.output(cfg.encryption);
    this.values = pulumi.output(values);
    this.registerOutputs({ version: this.version, encryption: this.encryption, values: this.values });
  }
}
