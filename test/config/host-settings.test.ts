import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadHostSettings, parseHostSettings } from '../../src/config/host-settings.js';
import { tempDir } from '../helpers/temp.js';

const parse = (text: string) => parseHostSettings(text, '/home/x/jobctl.yaml', 'jobctl.yaml');
const lines = (text: string) => parse(text).errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`);

describe('jobctl.yaml (host settings)', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((f) => f()));

  it('a missing file is empty settings, not an error', () => {
    const t = tempDir('jobctl-host-');
    cleanups.push(t.cleanup);
    const r = loadHostSettings(t.dir);
    expect(r).toMatchObject({ exists: false, errors: [], settings: { labels: [], notifiers: [] } });
  });

  it('normalizes every section with its defaults', () => {
    const { settings, errors } = parse([
      'labels: [web, eu-west, web]',
      'metrics: {}',
      'xxljob:',
      '  admin: http://127.0.0.1:8080/xxl-job-admin/',
      '  appname: jobctl-exec',
      '  access_token: ${XXL_TOKEN}',
      'lock:',
      '  redis: redis://127.0.0.1:6379/2',
      'notifiers:',
      '  ops: {url: "https://hooks.example/x", format: slack}',
    ].join('\n'));
    expect(errors).toEqual([]);
    expect(settings.labels).toEqual(['web', 'eu-west']);
    expect(settings.metrics).toEqual({ listen: '127.0.0.1:9464', host: '127.0.0.1', port: 9464 });
    expect(settings.xxljob).toEqual({
      admin: ['http://127.0.0.1:8080/xxl-job-admin'], appname: 'jobctl-exec', accessToken: '${XXL_TOKEN}',
      listen: '127.0.0.1:9999', address: 'http://127.0.0.1:9999/', version: 2,
    });
    expect(settings.lock).toEqual({ redis: 'redis://127.0.0.1:6379/2' });
    expect(settings.notifiers).toEqual([{ name: 'ops', url: 'https://hooks.example/x', format: 'slack', source: { file: '/home/x/jobctl.yaml', line: 10 } }]);
  });

  it('reports every problem at its line and column, with did-you-mean', () => {
    expect(lines([
      'lables: [a]',
      'metrics:',
      '  listen: "127.0.0.1:99999"',
      'xxljob:',
      '  admin: ftp://x',
      '  appnme: x',
      '  version: 4',
      'lock: {redis: "127.0.0.1:6379"}',
      'tasks: {}',
    ].join('\n'))).toEqual([
      'jobctl.yaml:1:1: unknown key "lables" (did you mean "labels"?); jobctl.yaml has labels, metrics, xxljob, lock, notifiers, access',
      'jobctl.yaml:3:11: metrics: listen: must be "host:port" with a port 1..65535, e.g. 127.0.0.1:9464 or [::1]:9464, got "127.0.0.1:99999"',
      'jobctl.yaml:4:1: xxljob: appname: is required',
      'jobctl.yaml:5:10: xxljob: admin: must be an http(s) URL, e.g. http://admin.internal:8080/xxl-job-admin, got "ftp://x"',
      'jobctl.yaml:6:3: xxljob: unknown key "appnme" (did you mean "appname"?)',
      'jobctl.yaml:7:12: xxljob: version: must be 2 (2.x: content, /run) or 3 (3.x: data), got number 4',
      'jobctl.yaml:8:15: lock: redis: must be a redis:// or rediss:// URL (or ${ENV_VAR}), e.g. redis://127.0.0.1:6379/0, got "127.0.0.1:6379"',
      'jobctl.yaml:9:1: unknown key "tasks"; tasks go in tasks/*.yaml; jobctl.yaml has labels, metrics, xxljob, lock, notifiers, access',
    ]);
  });

  it('xxljob: an empty access_token and a relative ca_file are errors; a ca_file is kept', () => {
    const base = ['xxljob:', '  admin: https://admin.internal/xxl-job-admin', '  appname: a'];
    expect(lines([...base, '  access_token: ""'].join('\n'))).toEqual([expect.stringMatching(/^jobctl.yaml:4:\d+: xxljob: access_token: must not be empty/)]);
    expect(lines([...base, '  access_token: "  "'].join('\n'))).toEqual([expect.stringMatching(/access_token: must not be empty/)]);
    expect(lines([...base, '  ca_file: certs/ca.pem'].join('\n'))).toEqual([expect.stringMatching(/^jobctl.yaml:4:\d+: xxljob: ca_file: must be an absolute path/)]);
    expect(parse([...base, '  ca_file: /etc/ssl/private-ca.pem'].join('\n')).settings.xxljob?.caFile).toBe('/etc/ssl/private-ca.pem');
  });

  it('a YAML syntax error or a non-map is one located error, never a throw', () => {
    expect(lines('labels: [a\n')).toHaveLength(1);
    expect(lines('- a\n- b\n')[0]).toMatch(/^jobctl.yaml:1:1: jobctl.yaml is a map of host settings/);
    expect(parse('').errors).toEqual([]);
  });

  it('an unreadable file is an error that names it', () => {
    const t = tempDir('jobctl-host-');
    cleanups.push(t.cleanup);
    fs.mkdirSync(path.join(t.dir, 'jobctl.yaml')); // a directory where the file should be
    const r = loadHostSettings(t.dir);
    expect(r.errors[0]?.message).toMatch(/^cannot read: /);
  });
});
