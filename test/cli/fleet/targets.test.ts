import { describe, expect, it } from 'vitest';
import { linePrefixer } from '../../../src/cli/fleet/logs.js';
import { resolveFleetTarget } from '../../../src/cli/fleet/targets.js';
import type { FleetHost } from '../../../src/config/fleet.js';

const host = (name: string, labels: string[]): FleetHost => ({ name, addressText: 'local', address: { kind: 'local' }, labels });
const hosts = [host('web1', ['web', 'eu']), host('web2', ['web']), host('db1', ['db']), host('web', [])];

describe('fleet targets', () => {
  it('host:task names one host; a host name wins over a label of the same name', () => {
    expect(resolveFleetTarget('web1:worker', hosts)).toEqual({ hosts: [hosts[0]], target: 'worker', wherever: false });
    expect(resolveFleetTarget('web:worker', hosts).hosts.map((h) => h.name)).toEqual(['web']);
  });
  it('label:task and label:@group name every host with the label', () => {
    expect(resolveFleetTarget('eu:@billing', hosts)).toEqual({ hosts: [hosts[0]], target: '@billing', wherever: false });
    expect(resolveFleetTarget('db:report', hosts).hosts.map((h) => h.name)).toEqual(['db1']);
  });
  it('a bare task or @group goes to every host that has it', () => {
    expect(resolveFleetTarget('worker', hosts)).toEqual({ hosts, target: 'worker', wherever: true });
    expect(resolveFleetTarget('@billing', hosts).wherever).toBe(true);
  });
  it('unknown hosts and half targets are usage errors that list what exists', () => {
    expect(() => resolveFleetTarget('nowhere:worker', hosts)).toThrow('no host or label "nowhere" in the fleet; hosts: web1, web2, db1, web; labels: web, eu, db');
    expect(() => resolveFleetTarget('web1:', hosts)).toThrow(/bad target "web1:"/);
    expect(() => resolveFleetTarget(':worker', hosts)).toThrow(/bad target/);
  });
});

describe('fleet log lines', () => {
  it('prefix every whole line with its host, holding a partial line until it ends', () => {
    const out: string[] = [];
    const write = linePrefixer('web1 | ', (s) => out.push(s));
    write('a\nb');
    write('c\n');
    write('');
    expect(out.join('')).toBe('web1 | a\nweb1 | bc\n');
  });
});
