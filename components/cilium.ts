/**
 * Cilium through Helm (`kubernetes.helm.v3.Release` from https://helm.cilium.io or lab:ciliumChart, version pinned), its
 * values from the one pure function `ciliumValues`, and on the ipsec stack the key Secret
 * `cilium-ipsec-keys` (20 random bytes from @pulumi/random; the Release depends on it). A bounded wait
 * on the control-plane then checks that the agents rolled out and every node is Ready; on ipsec a second
 * one (ipsec-wait.sh) that every agent runs IPsec with the configured key id and SAs to every peer; on
 * wireguard (wireguard-wait.sh) that every agent runs WireGuard with a peer per other node.
 *
 * Before anything changes, the encryption-mode record refuses a switch Cilium does not document in place
 * (ipsec <-> wireguard), and on ipsec the key-id record refuses a key id Cilium's rotation does not take
 * and says when an `up` rotates the key. The rotation itself (capture and traffic around the Secret's
 * change, its verdict) is the proof's, built beside this component and handed the key: the Secret's
 * change waits for what `ipsecKeyAfter` names, the readiness wait for what `readyAfter` names.
 */
import { createHash } from 'crypto';
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { waitSeconds, type LabConfig } from './config';
import type { TopologyPlan } from './topology';
import { CILIUM_NAMESPACE, IPSEC_SECRET_KEY, IPSEC_SECRET_NAME, ciliumChartArgs, ciliumValues, ipsecKeysValue } from './cilium-values';
import { encryptionModeRecord, ipsecKeyRecord, IPSEC_KEY_BYTES, parseKeyRecord, pendingRotationAttempt, type KeyRotation } from './encryption-records';
import { xfrmToleranceEnv } from './proof/xfrm-counters';
import { REPO_ROOT } from './repo';
import { secretRandomText } from './keys';
import { runScript, SshTarget } from './remote';

export interface IpsecKeyArgs {
  spi: number;
  stack: string;
  /** The k8s provider of the Secret; it must have enableSecretMutable (see IpsecKey). */
  provider: k8s.Provider;
  /** What the key record must wait for (the cluster, the mode record). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /** What the Secret's create or update must wait for (a key rotation's window start). */
  after?: pulumi.Input<pulumi.Resource[]>;
  /** Where the rotation's pending note lives (default: the project root). */
  root?: string;
  /** Other names and parents under which a stack's state holds the key record: an alias keeps its stdout. */
  recordAliases?: pulumi.Input<pulumi.URN | pulumi.Alias>[];
}

export type IpsecKeyMaterialArgs = Pick<IpsecKeyArgs, 'spi' | 'stack' | 'dependsOn' | 'root' | 'recordAliases'>;

/**
 * The key-id record and the key it accepts: the random bytes (a new SPI draws new ones, keepers) and the
 * `cilium-ipsec-keys` value made of them. The bytes wait for the record, so a refused key id changes
 * nothing. Named `${name}-key-id` and `${name}-bytes` under `parent`; IpsecKey adds the Secret, and a
 * program without Kubernetes (the engine suite's) can make the same two resources.
 */
export function ipsecKeyMaterial(name: string, a: IpsecKeyMaterialArgs, parent?: pulumi.Resource): {
  record: command.local.Command;
  rotation: pulumi.Output<KeyRotation | undefined>;
  value: pulumi.Output<string>;
} {
  const root = a.root ?? REPO_ROOT;
  const record = ipsecKeyRecord(
    `${name}-key-id`,
    { stack: a.stack, keyId: a.spi, root, retry: pendingRotationAttempt(root, a.stack, a.spi) },
    { parent, dependsOn: a.dependsOn, aliases: a.recordAliases },
  );
  // 20 random bytes as 40 hex digits, kept in the state as a secret only (keys.ts secretRandomText).
  const hex = secretRandomText(`${name}-bytes`, { length: 2 * IPSEC_KEY_BYTES, alphabet: 'hex', keepers: { spi: String(a.spi) } }, { parent, dependsOn: [record] });
  return {
    record,
    rotation: record.stdout.apply((out) => parseKeyRecord(out).rotation),
    value: pulumi.secret(hex.apply((h) => ipsecKeysValue(a.spi, h))),
  };
}

/**
 * The IPsec key: the key-id record, the random key bytes and the Secret. A new SPI draws a new key
 * (keepers) and patches the Secret in place: Cilium's rotation is a `kubectl patch` of the Secret
 * (IPsec guide, Key Rotation), and the kubernetes provider updates a Secret's data in place only when its
 * enableSecretMutable is set; otherwise `.type`, `.data` and `.stringData` are replacement fields, and with
 * a fixed name the replacement deletes the Secret before creating it again (pulumi-kubernetes v4.25.0
 * provider/pkg/provider/diff.go forceNewProperties, provider.go Diff: deleteBeforeReplace for a named
 * object). The key bytes and the Secret wait for the record: a refused key id changes neither.
 */
export class IpsecKey extends pulumi.ComponentResource {
  public readonly secretName: pulumi.Output<string>;
  public readonly spi: pulumi.Output<number>;
  public readonly secret: k8s.core.v1.Secret;
  /** The key-id record: `rotation=FROM:TO` when this `up` rotates the key (or its window is started again). */
  public readonly record: command.local.Command;
  public readonly rotation: pulumi.Output<KeyRotation | undefined>;

  constructor(name: string, args: IpsecKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:cilium:IpsecKey', name, {}, opts);
    const { record, rotation, value } = ipsecKeyMaterial(name, args, this);
    this.record = record;
    this.rotation = rotation;
    this.secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: IPSEC_SECRET_NAME, namespace: CILIUM_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'cilium-ipsec-lab' } },
        type: 'Opaque',
        stringData: { [IPSEC_SECRET_KEY]: value },
      },
      {
        parent: this,
        provider: args.provider,
        additionalSecretOutputs: ['data', 'stringData'],
        dependsOn: pulumi.output(args.after ?? []).apply((after) => [this.record, ...after]),
      },
    );
    this.secretName = this.secret.metadata.name;
    this.spi = pulumi.output(args.spi);
    this.registerOutputs({ secretName: this.secretName, spi: this.spi, rotation: this.rotation });
  }
}

export interface CiliumArgs {
  config: LabConfig;
  plan: TopologyPlan;
  provider: k8s.Provider;
  /** Control-plane target for the readiness wait. */
  controlPlane: SshTarget;
  dependsOn: pulumi.Resource[];
  /** ipsec: what the Secret's change must wait for (a key rotation's window start). */
  ipsecKeyAfter?: pulumi.Input<pulumi.Resource[]>;
  /** What the encryption readiness wait (and so the proof) must wait for (a key rotation's end). */
  readyAfter?: pulumi.Input<pulumi.Resource[]>;
  /** Where the rotation's pending note lives (default: the project root). */
  root?: string;
  /** The machines' token (machines.ts): the readiness waits run again after a node was rebuilt or booted again. */
  machines?: pulumi.Input<string>;
}

/** Bound of the waits for IPsec or WireGuard on every node (keys reach the agents within about a minute). */
export const IPSEC_READY_SECONDS = 300;

export class Cilium extends pulumi.ComponentResource {
  public readonly version: pulumi.Output<string>;
  public readonly encryption: pulumi.Output<string>;
  public readonly values: pulumi.Output<ReturnType<typeof ciliumValues>>;
  public readonly release: k8s.helm.v3.Release;
  public readonly ipsecKey?: IpsecKey;
  /** Refuses an in-place mode switch Cilium does not document (encryption-records.ts); its stdout names
   *  the mode before the last switch. */
  public readonly modeRecord: command.local.Command;
  /** The records a refused change fails: whatever such a change would touch must depend on them. */
  public readonly records: pulumi.Resource[];
  /** ipsec: what ipsec-wait.sh printed per node (agent, mode, keys in use, errors, SPIs seen). */
  public readonly ipsecReadiness?: pulumi.Output<string>;
  /** Agents rolled out, all nodes Ready (and on ipsec: IPsec in place on every node, rotation done). */
  public readonly ready: pulumi.Resource;

  constructor(name: string, args: CiliumArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:cilium:Cilium', name, {}, opts);
    const { config: cfg, plan } = args;
    const machines = args.machines ?? '';
    const values = ciliumValues(cfg, plan);
    this.modeRecord = encryptionModeRecord(`${name}-mode`, cfg.encryption, { parent: this, dependsOn: args.dependsOn });
    const deps = [...args.dependsOn, this.modeRecord];
    this.records = [this.modeRecord];
    if (cfg.encryption === 'ipsec') {
      this.ipsecKey = new IpsecKey(
        `${name}-ipsec`,
        {
          spi: cfg.ipsecKeyId,
          stack: cfg.stack,
          provider: args.provider,
          dependsOn: [...deps],
          after: args.ipsecKeyAfter,
          root: args.root,
          // Where stacks made while the record was the rotation component's child keep its state: the alias
          // carries over its stdout, the key id the Secret holds.
          recordAliases: [{ name: `${name}-rotation-key-id`, parent: pulumi.createUrn(`${name}-rotation`, 'lab:proof:IpsecRotation', this) }],
        },
        { parent: this },
      );
      this.records.push(this.ipsecKey.record);
      deps.push(this.ipsecKey.secret);
    }
    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: 'cilium',
        ...ciliumChartArgs(cfg),
        namespace: CILIUM_NAMESPACE,
        values,
        timeout: waitSeconds(cfg, 900),
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
        env: { EXPECTED_NODES: expectedNodes, TIMEOUT_SECONDS: String(waitSeconds(cfg, 900)) },
        triggers: [cfg.ciliumVersion, valuesHash, this.release.id, machines],
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
          env: { EXPECTED_NODES: expectedNodes, KEY_ID: String(cfg.ipsecKeyId), TIMEOUT_SECONDS: String(waitSeconds(cfg, IPSEC_READY_SECONDS)), ...xfrmToleranceEnv() },
          triggers: [cfg.ciliumVersion, valuesHash, this.release.id, cfg.ipsecKeyId, cfg.captureRun, rolledOut.stdout, machines],
        },
        {
          parent: this,
          dependsOn: pulumi.output(args.readyAfter ?? []).apply((after) => [rolledOut, ...(this.ipsecKey ? [this.ipsecKey.secret] : []), ...after]),
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
          env: { EXPECTED_NODES: expectedNodes, TIMEOUT_SECONDS: String(waitSeconds(cfg, IPSEC_READY_SECONDS)) },
          triggers: [cfg.ciliumVersion, valuesHash, this.release.id, cfg.captureRun, rolledOut.stdout, machines],
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
