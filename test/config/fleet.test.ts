import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../src/config/fleet.js';

describe('fleet.yaml', () => {
  it('reads hosts in the long and the short form, with labels and a timeout', () => {
    const { fleet, errors } = parseFleet('timeout: 2s\nhosts:\n  web1: {address: "ssh://deploy@web1/srv/jobctl", labels: [web, eu]}\n  here: local\n', '/x/fleet.yaml');
    expect(errors).toEqual([]);
    expect(fleet!.timeoutMs).toBe(2000);
    expect(fleet!.hosts).toEqual([
      { name: 'web1', addressText: 'ssh://deploy@web1/srv/jobctl', address: { kind: 'ssh', host: 'web1', user: 'deploy', home: '/srv/jobctl' }, labels: ['web', 'eu'] },
      { name: 'here', addressText: 'local', address: { kind: 'local' }, labels: [] },
    ]);
  });
  it('defaults the per-host timeout to 5 s', () => {
    expect(parseFleet('hosts:\n  a: local\n', 'f').fleet!.timeoutMs).toBe(5000);
  });
  it('locates mistakes: unknown keys with a suggestion, bad addresses, no hosts', () => {
    const bad = parseFleet('hosts:\n  web1:\n    adress: ssh://web1\n', 'fleet.yaml');
    expect(bad.fleet).toBeUndefined();
    expect(bad.errors).toContainEqual({ file: 'fleet.yaml', line: 3, col: 5, message: 'unknown key "hosts.web1.adress" (did you mean "address"?)' });
    expect(parseFleet('hosts:\n  web1: http://web1\n', 'fleet.yaml').errors[0]).toMatchObject({ line: 2, col: 9 });
    expect(parseFleet('hosts:\n  web1: {address: local, lables: [x]}\n', 'fleet.yaml').errors[0]!.message).toMatch(/lables.*did you mean "labels"/);
    expect(parseFleet('hosts: {}\n', 'fleet.yaml').errors[0]!.message).toMatch(/at least one host/);
    expect(parseFleet('timeout: soon\nhosts: {a: local}\n', 'fleet.yaml').errors[0]).toMatchObject({ line: 1, message: expect.stringMatching(/invalid duration/) });
  });
});
