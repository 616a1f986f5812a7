/**
 * Generated key material of one lab, all in Pulumi state as secrets (never in plain config):
 * the SSH key pair (router + nodes), the cluster CA and an admin client certificate (so the
 * kubeconfig is known without reading anything back from the VMs), and the kubeadm bootstrap token.
 */
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import * as tls from '@pulumi/tls';
import { caCertHash } from './kubeadm';

/** Ten years: a lab's CA must outlive the lab. */
const CA_HOURS = 24 * 365 * 10;
const ADMIN_HOURS = 24 * 365;

export class LabKeys extends pulumi.ComponentResource {
  public readonly sshPublicKey: pulumi.Output<string>;
  /** OpenSSH private key (secret). */
  public readonly sshPrivateKey: pulumi.Output<string>;
  public readonly caCertPem: pulumi.Output<string>;
  /** CA private key PEM (secret). */
  public readonly caKeyPem: pulumi.Output<string>;
  /** kubeadm discovery-token-ca-cert-hash, `sha256:<hex>`. */
  public readonly caCertHash: pulumi.Output<string>;
  public readonly adminCertPem: pulumi.Output<string>;
  /** Admin client key PEM (secret). */
  public readonly adminKeyPem: pulumi.Output<string>;
  /** `abcdef.0123456789abcdef` (secret). */
  public readonly bootstrapToken: pulumi.Output<string>;

  constructor(name: string, args: Record<string, never> = {}, opts?: pulumi.ComponentResourceOptions) {
    super('lab:keys:LabKeys', name, args, opts);
    const parent = { parent: this };

    const ssh = new tls.PrivateKey(`${name}-ssh`, { algorithm: 'ED25519' }, parent);
    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: 'RSA', rsaBits: 2048 }, parent);
    const caCert = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        subject: { commonName: 'kubernetes' },
        isCaCertificate: true,
        validityPeriodHours: CA_HOURS,
        allowedUses: ['cert_signing', 'crl_signing', 'digital_signature', 'key_encipherment'],
      },
      parent,
    );
    const adminKey = new tls.PrivateKey(`${name}-admin-key`, { algorithm: 'RSA', rsaBits: 2048 }, parent);
    const adminCsr = new tls.CertRequest(
      `${name}-admin-csr`,
      { privateKeyPem: adminKey.privateKeyPem, subject: { commonName: 'lab-admin', organization: 'system:masters' } },
      parent,
    );
    const adminCert = new tls.LocallySignedCert(
      `${name}-admin`,
      {
        certRequestPem: adminCsr.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: caCert.certPem,
        validityPeriodHours: ADMIN_HOURS,
        allowedUses: ['client_auth', 'digital_signature', 'key_encipherment'],
      },
      parent,
    );
    const tokenId = new random.RandomString(`${name}-token-id`, { length: 6, upper: false, special: false }, parent);
    const tokenSecret = new random.RandomString(`${name}-token-secret`, { length: 16, upper: false, special: false }, parent);

    this.sshPublicKey = ssh.publicKeyOpenssh;
    this.sshPrivateKey = pulumi.secret(ssh.privateKeyOpenssh);
    this.caCertPem = caCert.certPem;
    this.caKeyPem = pulumi.secret(caKey.privateKeyPem);
    this.caCertHash = caKey.publicKeyPem.apply(caCertHash);
    this.adminCertPem = adminCert.certPem;
    this.adminKeyPem = pulumi.secret(adminKey.privateKeyPem);
    this.bootstrapToken = pulumi.secret(pulumi.interpolate`${tokenId.result}.${tokenSecret.result}`);

    this.registerOutputs({
      sshPublicKey: this.sshPublicKey,
      caCertPem: this.caCertPem,
      caCertHash: this.caCertHash,
      adminCertPem: this.adminCertPem,
    });
  }
}
