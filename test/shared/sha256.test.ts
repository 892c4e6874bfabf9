import crypto from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/shared/sha256.js';
import { homeCgroupName } from '../../src/runtime/cgroup.js';

const nodeSha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

describe('sha256Hex', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('equals node:crypto on every length around the block edges and on UTF-8 text', () => {
    for (let n = 0; n <= 200; n++) {
      const s = Array.from({ length: n }, (_, i) => String.fromCharCode(32 + ((i * 7 + n) % 95))).join('');
      expect(sha256Hex(s), `length ${n}`).toBe(nodeSha256(s));
    }
    for (const s of ['/home/ünïcode/jobctl', '/srv/日本語/home', '/tmp/emoji-😀', 'x'.repeat(1000)]) expect(sha256Hex(s)).toBe(nodeSha256(s));
  });

  it('keeps the names of existing cgroup subtrees (homeCgroupName as it was with node:crypto)', () => {
    for (const home of ['/root/.jobctl', '/tmp/h', '/srv/jobs/home', 'relative/home']) {
      expect(homeCgroupName(home)).toBe(`jobctl-${nodeSha256(path.resolve(home)).slice(0, 12)}`);
    }
    expect(homeCgroupName('/root/.jobctl')).toBe(`jobctl-${nodeSha256('/root/.jobctl').slice(0, 12)}`);
  });
});
