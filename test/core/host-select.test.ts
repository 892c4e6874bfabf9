import { describe, expect, it } from 'vitest';
import { globToRegExp, partitionForHost, selectsHost } from '../../src/core/host-select.js';

const web1 = { hostname: 'web1.eu.example.com', labels: ['web', 'eu'] };

describe('hosts: selectors', () => {
  it('a task without hosts runs everywhere', () => {
    expect(selectsHost(undefined, web1)).toBe(true);
  });
  it('a label of this host selects it', () => {
    expect(selectsHost(['db', 'eu'], web1)).toBe(true);
    expect(selectsHost(['db'], web1)).toBe(false);
  });
  it('a hostname glob selects it, case-insensitive, whole name only', () => {
    expect(selectsHost(['web*'], web1)).toBe(true);
    expect(selectsHost(['WEB?.eu.example.com'], web1)).toBe(true);
    expect(selectsHost(['web[0-9].*'], web1)).toBe(true);
    expect(selectsHost(['web[!1].*'], web1)).toBe(false);
    expect(selectsHost(['web1'], web1)).toBe(false);
    expect(selectsHost(['db-*'], web1)).toBe(false);
  });
  it('dots in a glob are literal', () => {
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
  it('partitions a task list', () => {
    const tasks = [{ name: 'a' }, { name: 'b', hosts: ['db'] }, { name: 'c', hosts: ['web'] }];
    const { here, elsewhere } = partitionForHost(tasks, web1);
    expect(here.map((t) => t.name)).toEqual(['a', 'c']);
    expect(elsewhere.map((t) => t.name)).toEqual(['b']);
  });
});
