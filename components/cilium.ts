/**
 * Cilium through Helm (`kubernetes.helm.v3.Release` from https://helm.cilium.io, version pinned), its
 * values from the one pure function `ciliumValues`, and on the ipsec stack the key Secret
 * `cilium-ipsec-keys` (20 random bytes from @pulumi/random; the Release depends on it). A bounded wait
 * on the control-plane then checks that the agents rolled out and every node is Ready.
 */
import { createHash } from 'crypto';
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import * as random from '@pulumi/random';
import type { LabConfig } from './config';
import type { TopologyPlan } from './topology';
import { CILIUM_NAMESPACE, CILIUM_REPO, IPSEC_SECRET_KEY, IPSEC_SECRET_NAME, ciliumValues, ipsecKeysValue } from './cilium-values';
import { runScript, SshTarget } from './remote';

export interface IpsecKeyArgs {
  spi: number;
  provider: k8s.Provider;
}

/** The IPsec key Secret. A new SPI draws a new key (keepers) and updates the Secret in place. */
export class IpsecKey extends pulumi.ComponentResource {
  public readonly secretName: pulumi.Output<string>;
  public readonly spi: pulumi.Output<number>;
  public readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: IpsecKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:cilium:IpsecKey', name, {}, opts);
    const key = new random.RandomId(`${name}-bytes`, { byteLength: 20, keepers: { spi: String(args.spi) } }, { parent: this });
    const value = pulumi.secret(key.hex.apply((hex) => ipsecKeysValue(args.spi, hex)));
    this.secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: IPSEC_SECRET_NAME, namespace: CILIUM_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'cilium-ipsec-lab' } },
        type: 'Opaque',
        stringData: { [IPSEC_SECRET_KEY]: value },
      },
      { parent: this, provider: args.provider, additionalSecretOutputs: ['data', 'stringData'] },
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
}

export class Cilium extends pulumi.ComponentResource {
  public readonly version: pulumi.Output<string>;
  public readonly encryption: pulumi.Output<string>;
  public readonly values: pulumi.Output<ReturnType<typeof ciliumValues>>;
  public readonly release: k8s.helm.v3.Release;
  public readonly ipsecKey?: IpsecKey;
  /** Agents rolled out, all nodes Ready. */
  public readonly ready: pulumi.Resource;

  constructor(name: string, args: CiliumArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:cilium:Cilium', name, {}, opts);
    const { config: cfg, plan } = args;
    const values = ciliumValues(cfg, plan);
    const deps = [...args.dependsOn];
    if (cfg.encryption === 'ipsec') {
      this.ipsecKey = new IpsecKey(`${name}-ipsec`, { spi: cfg.ipsecKeyId, provider: args.provider }, { parent: this, dependsOn: args.dependsOn });
      deps.push(this.ipsecKey.secret);
    }
    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: 'cilium',
        chart: 'cilium',
        version: cfg.ciliumVersion,
        repositoryOpts: { repo: CILIUM_REPO },
        namespace: CILIUM_NAMESPACE,
        values,
        timeout: 900,
      },
      { parent: this, provider: args.provider, dependsOn: deps },
    );
    const valuesHash = createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 16);
    this.ready = runScript(
      `${name}-ready`,
      {
        target: args.controlPlane,
        script: 'scripts/vm/cilium-wait.sh',
        env: { EXPECTED_NODES: plan.nodes.map((n) => n.hostname).join(' '), TIMEOUT_SECONDS: '900' },
        triggers: [cfg.ciliumVersion, valuesHash, this.release.id],
      },
      { parent: this, dependsOn: [this.release] },
    );
    this.version = pulumi.output(cfg.ciliumVersion);
    this.encryption = pulumi.output(cfg.encryption);
    this.values = pulumi.output(values);
    this.registerOutputs({ version: this.version, encryption: this.encryption, values: this.values });
  }
}
