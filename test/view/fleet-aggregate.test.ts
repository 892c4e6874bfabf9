import { describe, expect, it } from 'vitest';
import type { DaemonInfo, StatusResult } from '../../src/shared/protocol.js';
import { FleetAggregate } from '../../src/view/fleet-aggregate.js';
import { cronTask, daemonTask } from '../tui/fake-backend.js';

const daemon = (home: string, over: Partial<DaemonInfo> = {}): DaemonInfo =>
  ({ pid: 42, version: '1.0.0', home, tasksDir: `${home}/tasks`, startedAt: 1000, configErrors: [], warnings: [], ...over });
const answer = (home: string, names: string[], over: Partial<DaemonInfo> = {}): StatusResult =>
  ({ daemon: daemon(home, over), tasks: names.map((n) => daemonTask(n)) });
const keys = (f: FleetAggregate) => f.tasks().map((t) => `${t.host}:${t.name}`);

describe('the fleet aggregator (fleet status, tui --fleet, web)', () => {
  it('merges hosts\' tasks with their host, in inventory order, and says which hosts answered and why the others did not', () => {
    const f = new FleetAggregate(['web1', 'web2', 'db']);
    f.answered('db', answer('/db', ['backup']));
    f.answered('web1', answer('/w1', ['api', 'queue']));
    f.down('web2', 'no answer within 1000ms');
    expect(keys(f)).toEqual(['web1:api', 'web1:queue', 'db:backup']);
    expect(f.hosts().map((h) => (h.answered ? `${h.host} ${h.taskCount}` : `${h.host} down: ${h.error}`)))
      .toEqual(['web1 2', 'web2 down: no answer within 1000ms', 'db 1']);
    expect(f.daemonInfo()).toMatchObject({ pid: 0, home: '2/3 hosts' });
  });

  it('names config errors and warnings by host', () => {
    const f = new FleetAggregate(['a', 'b']);
    const issue = { file: 'tasks/x.yaml', line: 3, col: 1, message: 'bad schedule' };
    f.answered('a', answer('/a', [], { configErrors: [issue], warnings: ['slow disk'] }));
    f.answered('b', answer('/b', []));
    expect(f.configErrors()).toEqual([{ host: 'a', issue }]);
    expect(f.daemonInfo().configErrors).toEqual([{ ...issue, file: 'a:tasks/x.yaml' }]);
    expect(f.daemonInfo().warnings).toEqual(['a: slow disk']);
  });

  it('a host that went away and comes back without a task does not keep that task', () => {
    const f = new FleetAggregate(['web1', 'web2']);
    f.answered('web1', answer('/w1', ['api', 'old']));
    f.answered('web2', answer('/w2', ['mail']));
    f.down('web1', 'the connection dropped');
    expect(keys(f)).toEqual(['web2:mail']);
    expect(f.daemonInfo().home).toBe('1/2 hosts');
    f.answered('web1', answer('/w1', ['api']));
    expect(keys(f)).toEqual(['web1:api', 'web2:mail']);
    expect(f.hosts()[0]).toMatchObject({ host: 'web1', answered: true });
  });

  it('a host\'s new answer replaces what it said before, even when its drop was not seen', () => {
    const f = new FleetAggregate(['web1']);
    f.answered('web1', answer('/w1', ['api']));
    f.task('web1', cronTask('nightly'));
    expect(keys(f)).toEqual(['web1:api', 'web1:nightly']);
    f.answered('web1', answer('/w1', ['api']));
    expect(keys(f)).toEqual(['web1:api']);
  });

  it('pushed states and removals change the host\'s tasks; no host answering is "0/N hosts"', () => {
    const f = new FleetAggregate(['a']);
    expect(f.snapshot()).toMatchObject({ daemon: { pid: 0, home: '0/1 hosts' }, tasks: [] });
    f.answered('a', answer('/a', ['x']));
    expect(f.task('a', { ...daemonTask('x'), state: 'stopped' })).toMatchObject({ host: 'a', name: 'x', state: 'stopped' });
    expect(f.tasks()[0]).toMatchObject({ state: 'stopped' });
    f.removed('a', 'x');
    expect(f.tasks()).toEqual([]);
  });
});
