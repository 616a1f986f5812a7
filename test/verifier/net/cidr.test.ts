/**
 * The one address / CIDR parser: what it accepts, what it refuses and why (host bits, inet_aton shorthands,
 * zones), and the overlap / containment helpers.
 */
import { strict as assert } from 'node:assert';
import { addressText, CidrError, cidrContains, cidrsOverlap, parseAddress, parseCidr } from '../../../components/verifier/net/cidr';

describe('verifier net/cidr: parseCidr, parseAddress', () => {
  it('canonical networks of both families, trimmed and normalised', () => {
    assert.deepEqual([parseCidr(' 10.0.0.0/8 ').text, parseCidr('fd00:10:0:0::/64').text, parseCidr('0.0.0.0/0').text],
      ['10.0.0.0/8', 'fd00:10::/64', '0.0.0.0/0']);
    const c = parseCidr('192.168.44.0/24');
    assert.equal(c.family, 'ipv4');
    assert.equal(c.bits, 24);
    assert.equal(c.address.toString(), '192.168.44.0');
  });
  const BAD: [string, RegExp][] = [
    ['10.0.1.5/8', /^"10\.0\.1\.5\/8" has host bits set \(the network is 10\.0\.0\.0\/8\)$/],
    ['fd00::1/64', /host bits set \(the network is fd00::\/64\)/],
    ['10.0.0.0/33', /prefix length must be 0\.\.32, got "33"/],
    ['fd00::/129', /prefix length must be 0\.\.128/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/8/8', /prefix length/],
    ['10.0.0.0', /the \/LEN is missing/],
    ['10.1/16', /"10\.1" is not an IPv4 or IPv6 address/],
    ['0x0a.0.0.0/8', /not an IPv4 or IPv6 address/],
    ['300.1.1.1/8', /not an IPv4 or IPv6 address/],
    ['fe80::%eth0/64', /not an IPv4 or IPv6 address/],
    ['banana', /is not a CIDR/],
    ['', /is not a CIDR/],
  ];
  for (const [text, re] of BAD) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseCidr(text), (e: unknown) => e instanceof CidrError && e instanceof RangeError && re.test(e.message)
        && e.input === text);
    });
  }
  it('family and plain-address options', () => {
    assert.throws(() => parseCidr('fd00::/8', { family: 'ipv4' }), /is an IPv6 CIDR; expected IPv4/);
    assert.throws(() => parseCidr('10.0.0.0/8', { family: 'ipv6' }), /is an IPv4 CIDR; expected IPv6/);
    assert.equal(parseCidr('10.0.1.50', { allowAddress: true }).text, '10.0.1.50/32');
    assert.equal(parseCidr('fd00::5', { allowAddress: true }).text, 'fd00::5/128');
  });
  it('addresses: four decimal parts for IPv4, no zone for IPv6', () => {
    assert.equal(parseAddress('10.0.0.1').toString(), '10.0.0.1');
    assert.equal(addressText('FD00:0::1'), 'fd00::1');
    for (const bad of ['10.1', '10.0.0.256', '010.0.0.1x', 'fe80::1%eth0', '1.2.3.4.5', '']) {
      assert.equal(addressText(bad), undefined, bad);
      assert.throws(() => parseAddress(bad), /is not an IPv4 or IPv6 address/);
    }
  });
  it('overlap and containment', () => {
    const p = (t: string) => parseCidr(t);
    assert.equal(cidrsOverlap(p('10.0.0.0/8'), p('10.20.0.0/16')), true);
    assert.equal(cidrsOverlap(p('10.20.0.0/16'), p('10.0.0.0/8')), true);
    assert.equal(cidrsOverlap(p('10.0.0.0/8'), p('172.30.0.0/16')), false);
    assert.equal(cidrsOverlap(p('192.168.44.0/24'), p('192.168.45.0/24')), false);
    assert.equal(cidrsOverlap(p('10.0.0.0/8'), p('fd00::/8')), false);
    assert.equal(cidrContains(p('10.0.0.0/8'), parseAddress('10.255.0.1')), true);
    assert.equal(cidrContains(p('10.0.0.0/8'), parseAddress('11.0.0.1')), false);
    assert.equal(cidrContains(p('fd00::/8'), parseAddress('10.0.0.1')), false);
  });
});
