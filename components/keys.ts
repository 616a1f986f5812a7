/**
 * Generated key material of one lab, all in Pulumi state as secrets (never in plain config):
 * the SSH key pair (router + nodes), the cluster CA and an admin client certificate (so the
 * kubeconfig is known without reading anything back from the VMs), and the kubeadm bootstrap token.
 */
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import * as tls from '@pulumi/tls';
import { caCertHash } from './kubeadm';

/** The characters of a secret random text: lowercase hex digits, or a kubeadm token's [a-z0-9]. */
export type SecretAlphabet = 'hex' | 'lowercase-alnum';

/**
 * A random text that the state holds only as a secret. RandomPassword is the random provider's one
 * resource whose id says nothing of its value: RandomString's id is its result, RandomId's is the bytes
 * in base64url (terraform-provider-random internal/provider resource_string.go, resource_id.go) and
 * RandomBytes' the bytes in base64, because ids cannot be secret (pulumi-random v4.18.4
 * provider/resources.go computeRandomBytesID); RandomPassword's id is "none" and its result a secret
 * output (resource_password.go). Each character is drawn uniformly from the alphabet with crypto/rand
 * (internal/random/string.go CreateString, no minimum counts), so 40 hex digits are 20 random bytes.
 */
export function secretRandomText(
  name: string,
  a: { length: number; alphabet: SecretAlphabet; keepers?: Record<string, pulumi.Input<string>> },
  opts?: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
  const charset = a.alphabet === 'hex'
    ? { lower: false, numeric: true, special: true, overrideSpecial: 'abcdef' }
    : { lower: true, numeric: true, special: false };
  const r = new random.RandomPassword(
    name,
    { length: a.length, upper: false, ...charset, minLower: 0, minNumeric: 0, minSpecial: 0, minUpper: 0, ...(a.keepers ? { keepers: a.keepers } : {}) },
    opts,
  );
  return r.result;
}

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
    // The token id is public (kubeadm prints it); its secret half must stay out of the state's plain text.
    const tokenSecret = secretRandomText(`${name}-token-secret`, { length: 16, alphabet: 'lowercase-alnum' }, parent);

    this.sshPublicKey = ssh.publicKeyOpenssh;
    this.sshPrivateKey = pulumi.secret(ssh.privateKeyOpenssh);
    this.caCertPem = caCert.certPem;
    this.caKeyPem = pulumi.secret(caKey.privateKeyPem);
    this.caCertHash = caKey.publicKeyPem.apply(caCertHash);
    this.adminCertPem = adminCert.certPem;
    this.adminKeyPem = pulumi.secret(adminKey.privateKeyPem);
    this.bootstrapToken = pulumi.secret(pulumi.interpolate`${tokenId.result}.${tokenSecret}`);

    this.registerOutputs({
      sshPublicKey: this.sshPublicKey,
      caCertPem: this.caCertPem,
      caCertHash: this.caCertHash,
      adminCertPem: this.adminCertPem,
    });
  }
}
