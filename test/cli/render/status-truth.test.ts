import { describe, expect, it } from 'vitest';
import { fatalRuleText, renderStatus, taskDetails } from '../../../src/cli/render/status.js';
import { containmentSummary } from '../../../src/runtime/process/contain.js';
import type { InstanceInfo, StatusResult, TaskStatus } from '../../../src/shared/protocol.js';

const restart = { policy: 'always', maxRestarts: 10, windowMs: 60_000, startRetries: 5 };

function task(instances: InstanceInfo[]): TaskStatus {
  return {
    name: 'hi-worker', group: 'hi', kind: 'service', enabled: true, file: '/h/tasks/hi.yaml', state: instances[0]!.state,
    desired: 'running', restarts: 5, instances,
    details: { command: 'exit 1', cwd: '/h/tasks', envKeys: [], logFiles: [], lastLines: [], restart },
  };
}

describe('status says the rule that fired', () => {
  it('a task that gave up after failed starts shows start_retries, not the restart window', () => {
    // The message as the instance machine writes it (test/core/instance-machine.test.ts).
    const gaveUp: InstanceInfo = {
      index: 0, state: 'fatal', since: 0, restarts: 5,
      message: 'exited with code 1; gave up after 6 failed starts in a row, none up for start_seconds (1000ms) (start_retries 5)',
    };
    const lines = taskDetails(task([gaveUp]), false, 1000);
    const line = lines.find((l) => l.startsWith('  restarts:'));
    expect(line).toBe('  restarts: 5 (restart: always; gave up: more than 5 failed starts in a row (start_retries) -> fatal)');
    expect(lines.join('\n')).not.toContain('within 1m');
  });

  it('one that gave up on the restart window shows that rule; a running one the window as before', () => {
    const window: InstanceInfo = { index: 0, state: 'fatal', since: 0, restarts: 10, message: 'exited with code 1; gave up after 10 restarts within 60s (max_restarts 10)' };
    expect(fatalRuleText(restart, [window])).toBe('gave up: more than 10 within 1m -> fatal');
    expect(fatalRuleText(restart, [{ index: 0, state: 'running', since: 0, restarts: 0 }])).toBe('more than 10 within 1m -> fatal');
  });
});

describe('containment in plain words', () => {
  it('a hybrid host: "cgroups: hybrid v1/v2; memory, cpu and pids limits enforced"', () => {
    expect(containmentSummary({ v2Controllers: [], v1Bases: { memory: '/a', cpu: '/b', pids: '/c' } })).toBe('cgroups: hybrid v1/v2; memory, cpu and pids limits enforced');
    expect(containmentSummary({ v2Controllers: ['memory', 'cpu', 'pids'], v1Bases: {} })).toBe('cgroups: v2; memory, cpu and pids limits enforced');
    expect(containmentSummary({ v2Controllers: ['pids'], v1Bases: { memory: '/a' } })).toBe('cgroups: hybrid v1/v2; memory and pids limits enforced (not cpu)');
    expect(containmentSummary({ v2Controllers: [], v1Bases: {} })).toBe('cgroups: v2; no limits can be enforced');
  });

  it('status prints the words; --verbose the paths', () => {
    const s: StatusResult = {
      daemon: {
        pid: 7, version: 'x', home: '/h', tasksDir: '/h/tasks', startedAt: 0, configErrors: [], warnings: [],
        containment: { mode: 'cgroup', description: 'cgroup v2 (/sys/fs/cgroup/unified/x/jobctl-1; limits: memory (v1), cpu (v1), pids (v1))', summary: 'cgroups: hybrid v1/v2; memory, cpu and pids limits enforced' },
      },
      tasks: [],
    };
    const plain = renderStatus(s, false, { single: false, now: 0 });
    expect(plain.split('\n')[0]).toBe('cgroups: hybrid v1/v2; memory, cpu and pids limits enforced');
    expect(plain).not.toContain('/sys/fs/cgroup');
    expect(renderStatus(s, false, { single: false, verbose: true, now: 0 }).split('\n')[0]).toBe('containment: cgroup v2 (/sys/fs/cgroup/unified/x/jobctl-1; limits: memory (v1), cpu (v1), pids (v1))');
  });
});
