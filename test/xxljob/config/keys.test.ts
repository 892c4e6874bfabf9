import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadTaskFiles } from '../../../src/config/load.js';
import { parseHostSettings } from '../../../src/config/host-settings.js';

const load = (files: Record<string, string>) =>
  loadTaskFiles(os.tmpdir(), Object.entries(files).map(([name, text]) => ({ path: `${os.tmpdir()}/${name}`, display: name, text })));
const messages = (files: Record<string, string>) => load(files).errors.map((e) => `${e.file}:${e.line}:${e.col} ${e.message}`);

describe('xxljob: on a task', () => {
  it('a task with xxljob and no schedule is an on-demand cron task; glue defaults to false', () => {
    const set = load({ 'a.yaml': 'tasks:\n  settle:\n    command: ./settle.sh\n    timeout: 5m\n    xxljob: {handler: settleOrders}\n' });
    expect(set.errors).toEqual([]);
    const t = set.tasks[0]!;
    expect(t.kind).toBe('cron');
    expect(t).toMatchObject({ xxljob: { handler: 'settleOrders', glue: false }, timeoutMs: 300_000 });
    expect('schedule' in t).toBe(false);
  });

  it('a task may have both a schedule and a handler', () => {
    const set = load({ 'a.yaml': 'tasks:\n  both:\n    command: "true"\n    schedule: "@daily"\n    xxljob: {handler: h, glue: true}\n' });
    expect(set.errors).toEqual([]);
    expect(set.tasks[0]).toMatchObject({ kind: 'cron', schedule: '@daily', xxljob: { handler: 'h', glue: true } });
  });

  it('daemon keys, a bad handler, unknown keys and a handler used twice are errors at their place', () => {
    expect(messages({
      'a.yaml': 'tasks:\n  w:\n    command: "true"\n    instances: 2\n    xxljob: {handler: h0}\n  x:\n    command: "true"\n    xxljob: {handler: "has space"}\n  y:\n    command: "true"\n    xxljob: {handlr: h}\n  v:\n    command: "true"\n    xxljob: {handler: h1}\n',
      'b.yaml': 'tasks:\n  z:\n    command: "true"\n    xxljob: {handler: h1}\n',
    })).toEqual([
      'a.yaml:4:5 "instances" is only for service tasks; a task with xxljob runs like a cron task (one run per trigger); remove "instances" or "xxljob"',
      'a.yaml:8:23 xxljob.handler: a handler name is 1-100 letters, digits, _ . : -, got "has space"',
      'a.yaml:11:5 xxljob.handler: is required',
      'a.yaml:11:14 unknown key "xxljob.handlr" (did you mean "handler"?)',
      'b.yaml:4:14 xxljob.handler "h1" is already the handler of task "v" (a.yaml:14); each handler names one task',
    ]);
  });

  // The admin's job form clears and locks JobHandler for GLUE jobs (xxl-job-admin/src/main/resources/static/js/jobinfo.index.1.js),
  // so a trigger with glueType GLUE_* comes with executorHandler "" and can go to one task only.
  it('glue: true on a second task is an error that names the first', () => {
    expect(messages({
      'a.yaml': 'tasks:\n  g1:\n    command: "true"\n    xxljob: {handler: g1, glue: true}\n',
      'b.yaml': 'tasks:\n  g2:\n    command: "true"\n    xxljob: {handler: g2, glue: true}\n',
    })).toEqual(['b.yaml:4:27 xxljob.glue: task "g1" (a.yaml:4) already runs the GLUE jobs; the admin sends them without a handler name, so one task per host runs them all']);
  });

  it('is not allowed in defaults: (a handler names one task)', () => {
    expect(messages({ 'a.yaml': 'defaults:\n  xxljob: {handler: h}\ntasks:\n  t:\n    command: "true"\n    schedule: "@daily"\n' })[0]).toMatch(/xxljob/);
  });
});

describe('xxljob: in jobctl.yaml', () => {
  const parse = (text: string) => parseHostSettings(text, '/h/jobctl.yaml', 'jobctl.yaml');

  it('normalizes admin lists, trailing slashes, version and a wildcard listen (address left to the service)', () => {
    const { settings, errors } = parse('xxljob:\n  admin: [http://a:8080/xxl-job-admin/, https://b/xxl]\n  appname: app-1\n  listen: 0.0.0.0:9999\n  version: 3\n');
    expect(errors).toEqual([]);
    expect(settings.xxljob).toEqual({ admin: ['http://a:8080/xxl-job-admin', 'https://b/xxl'], appname: 'app-1', listen: '0.0.0.0:9999', version: 3 });
  });

  it('reports a bad appname, an unknown key and a bad address', () => {
    const lines = parse('xxljob:\n  admin: http://a/x\n  appname: "has space"\n  adress: http://x/\n  address: "10.0.0.1:9999"\n').errors.map((e) => `${e.line}: ${e.message}`);
    expect(lines.join('\n')).toMatch(/3: .*appname: must be 1-64 letters/);
    expect(lines.join('\n')).toMatch(/4: .*"adress".*did you mean "address"/);
    expect(lines.join('\n')).toMatch(/5: .*address: must be an http\(s\) URL/);
  });
});
