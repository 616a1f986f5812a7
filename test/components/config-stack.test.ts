/**
 * The config as a stack sees it: Pulumi.yaml's project values with a stack file over them, read by
 * loadLabConfig through pulumi.Config (the path `pulumi up` takes), not parseLabConfig with a hand-made
 * map. A project value reaches the program exactly as if the stack had set it, so a guard that asks
 * "did the stack set this key?" can only work when the project value is the neutral one.
 */
import * as assert from 'assert';
import * as pulumi from '@pulumi/pulumi';
import { CONFIG_KEYS, DEFAULT_IMAGE_CHECKSUM, LabConfigError, loadLabConfig } from '../../components/config';
import { mergedConfig } from './helpers';

function loadWith(stackFile: string) {
  pulumi.runtime.setAllConfig(mergedConfig(stackFile));
  pulumi.runtime.setMocks(
    {
      newResource: () => {
        throw new Error('loading the config creates nothing');
      },
      call: () => ({}),
    },
    'cilium-ipsec-lab',
    'custom',
    true,
  );
  return loadLabConfig();
}

describe('lab config as a stack sees it (Pulumi.yaml values + stack file, through loadLabConfig)', () => {
  it('a stack that sets nothing gets the default image with its pinned digest', () => {
    const c = loadWith('config: {}\n');
    assert.strictEqual(c.imageUrl, CONFIG_KEYS.imageUrl.default);
    assert.strictEqual(c.imageChecksum, DEFAULT_IMAGE_CHECKSUM);
  });

  it('a stack that changes lab:imageUrl alone is refused before anything is created, naming both keys', () => {
    assert.throws(
      () => loadWith('config:\n  lab:imageUrl: https://cloud-images.example/other-24.04.img\n'),
      (e: unknown) => {
        assert.ok(e instanceof LabConfigError, String(e));
        assert.match(e.message, /^lab:imageChecksum = "": expected a checksum for lab:imageUrl "https:\/\/cloud-images\.example\/other-24\.04\.img"/);
        assert.match(e.message, /the default checksum belongs to the default image only/);
        return true;
      },
    );
  });

  it('a custom image with its own checksum, or a SHA256SUMS URL, is accepted as given', () => {
    const digest = 'sha256:' + '1'.repeat(64);
    const c = loadWith(`config:\n  lab:imageUrl: https://cloud-images.example/other.img\n  lab:imageChecksum: ${digest}\n`);
    assert.strictEqual(c.imageChecksum, digest);
    const sums = loadWith('config:\n  lab:imageUrl: https://cloud-images.example/other.img\n  lab:imageChecksum: https://cloud-images.example/SHA256SUMS\n');
    assert.strictEqual(sums.imageChecksum, 'https://cloud-images.example/SHA256SUMS');
  });

  it('a local image may go without a checksum (nothing is downloaded)', () => {
    const c = loadWith('config:\n  lab:imageUrl: /var/cache/lab/debian-13.qcow2\n');
    assert.strictEqual(c.imageChecksum, '');
  });

  it('the default image with a checksum set explicitly keeps that checksum', () => {
    const digest = 'sha256:' + '2'.repeat(64);
    assert.strictEqual(loadWith(`config:\n  lab:imageChecksum: ${digest}\n`).imageChecksum, digest);
  });
});
