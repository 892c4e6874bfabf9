import { describe, expect, it } from 'vitest';
import { expandEnv } from '../../src/shared/env-ref.js';

describe('${VAR} references in settings', () => {
  it('expands ${VAR} in URLs and names what is missing', () => {
    expect(expandEnv('https://hooks/${A}/x', { A: 'abc' })).toEqual({ text: 'https://hooks/abc/x', missing: [] });
    expect(expandEnv('${NOPE}', {}).missing).toEqual(['NOPE']);
  });
});
