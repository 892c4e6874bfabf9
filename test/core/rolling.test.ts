import { describe, expect, it } from 'vitest';
import { rollingStep, type StepObservation } from '../../src/core/rolling.js';

const step = (over: Partial<{ oldPid: number; requireHealthy: boolean }> = {}) => ({ oldPid: 100, requireHealthy: false, startedAt: 1000, timeoutMs: 5000, ...over });

describe('rollingStep', () => {
  const table: Array<[string, StepObservation, ReturnType<typeof step>, number, ReturnType<typeof rollingStep>]> = [
    ['the old process still stopping', { state: 'stopping', pid: 100 }, step(), 1500, { kind: 'wait' }],
    ['the new one starting', { state: 'starting', pid: 101 }, step(), 1500, { kind: 'wait' }],
    ['the new one running', { state: 'running', pid: 101 }, step(), 1500, { kind: 'done' }],
    ['still the old pid running (not yet restarted)', { state: 'running', pid: 100 }, step(), 1500, { kind: 'wait' }],
    ['running but health still starting', { state: 'running', pid: 101, health: { state: 'starting' } }, step({ requireHealthy: true }), 1500, { kind: 'wait' }],
    ['running and healthy', { state: 'running', pid: 101, health: { state: 'healthy' } }, step({ requireHealthy: true }), 1500, { kind: 'done' }],
    ['running and unhealthy', { state: 'running', pid: 101, health: { state: 'unhealthy', lastProbe: { output: 'HTTP 503\nbody' } } }, step({ requireHealthy: true }), 1500,
      { kind: 'failed', reason: 'the new process is unhealthy: HTTP 503' }],
    ['the new one crashed', { state: 'backoff', lastExit: { code: 3, signal: null } }, step(), 1500, { kind: 'failed', reason: 'the new process failed (exit code 3)' }],
    ['the new one could not start', { state: 'backoff', message: 'command not found' }, step(), 1500, { kind: 'failed', reason: 'the new process failed: command not found' }],
    ['fatal', { state: 'fatal', lastExit: { code: null, signal: 'SIGKILL' } }, step(), 1500, { kind: 'failed', reason: 'the new process is fatal (SIGKILL)' }],
    ['timed out waiting for running', { state: 'starting', pid: 101 }, step(), 6000, { kind: 'failed', reason: 'not running within 5s (now starting)' }],
    ['timed out waiting for healthy', { state: 'running', pid: 101, health: { state: 'starting' } }, step({ requireHealthy: true }), 6000, { kind: 'failed', reason: 'not healthy within 5s (now starting)' }],
  ];
  it.each(table)('%s', (_name, obs, s, now, expected) => {
    expect(rollingStep(obs, s, now)).toEqual(expected);
  });
});
