import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { XxlJobService } from '../../../src/xxljob/daemon/service.js';
import type { XxlRunPort } from '../../../src/xxljob/daemon/run-port.js';
import type { HostSettings } from '../../../src/shared/types.js';
import { tempDirs } from '../../helpers/temp.js';
import { makePki } from '../../helpers/tls.js';
import { waitFor } from '../../helpers/wait.js';
import { TestAdmin } from '../../helpers/xxl-admin.js';

/**
 * The executor's settings as the service applies them. Upstream: xxl-job-core
 * server/EmbedServer.java checks the token only when it is not blank, so an empty token would
 * switch the check off; jobctl refuses it as a configuration error (issue 24, item 6).
 */

const temp = tempDirs('jobctl-xxl-svc-');
const services: XxlJobService[] = [];
const admins: TestAdmin[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  for (const a of admins.splice(0)) await a.close();
  temp.cleanup();
});

const port: XxlRunPort = {
  handlerTasks: () => [{ task: 'report', handler: 'reportHandler', glue: false, enabled: true }],
  refuses: () => undefined,
  trigger: async () => 'not in this test',
  kill: () => undefined,
  onRunEnd: () => () => undefined,
  findRun: () => undefined,
  runLog: (t, id) => `/nonexistent/${t}/${id}.log`,
};

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

function service(env: Record<string, string | undefined>): { svc: XxlJobService; warnings: string[] } {
  const warnings: string[] = [];
  const svc = new XxlJobService({ stateDir: temp.dir(), port, env, log: { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } });
  services.push(svc);
  return { svc, warnings };
}

const settings = (admin: string, listenPort: number, extra: { accessToken?: string; caFile?: string } = {}): HostSettings => ({
  labels: [], notifiers: [],
  xxljob: { admin: [admin], appname: 'svc-test', listen: `127.0.0.1:${listenPort}`, version: 2, ...extra },
});

async function refused(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(p, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(false);
    });
    c.once('error', () => resolve(true));
  });
}

describe('XxlJobService settings', () => {
  it('access_token set but empty once expanded (TOKEN=) is a config error: nothing is served, as with TOKEN unset', async () => {
    const admin = new TestAdmin();
    admins.push(admin);
    await admin.up();
    for (const env of [{ TOKEN: '' }, { TOKEN: '   ' }, {}]) {
      const p = await freePort();
      const { svc, warnings } = service(env);
      await svc.apply(settings(admin.base, p, { accessToken: '${TOKEN}' }));
      expect(svc.info()).toMatchObject({ enabled: true, registered: false, lastError: expect.stringMatching(/^xxljob\.access_token: /) });
      expect(warnings.join('\n')).toMatch(/empty once expanded|is not set/);
      expect(await refused(p)).toBe(true);
      expect(admin.registrations.size).toBe(0);
    }
    // With a token it serves, and a /run without the token is refused.
    const p = await freePort();
    const { svc } = service({ TOKEN: 'sesame' });
    await svc.apply(settings(admin.base, p, { accessToken: '${TOKEN}' }));
    const exec = await admin.executor('svc-test');
    expect((await admin.call(exec, '/run', { jobId: 1, logId: 1, executorHandler: 'reportHandler' }, { token: null })).msg).toBe('The access token is wrong.');
    expect(svc.info()?.lastError).toBeUndefined();
  });

  // A token from a variable with a newline or blanks around it (a secret file's last line) is that
  // token, as a literal one in jobctl.yaml is: before, every call to the admin failed (a newline
  // cannot be in a header) and every request to the executor was "The access token is wrong.".
  it('access_token from a variable with blanks or a newline around it is the token without them', async () => {
    const admin = new TestAdmin({ token: 'sesame' });
    admins.push(admin);
    await admin.up();
    const p = await freePort();
    const { svc } = service({ TOKEN: ' sesame\n' });
    await svc.apply(settings(admin.base, p, { accessToken: '${TOKEN}' }));
    const exec = await admin.executor('svc-test');
    expect((await admin.beat(exec)).code).toBe(200);
    expect(admin.refused).toBe(0);
    expect(svc.info()?.lastError).toBeUndefined();
  });

  it('ca_file: a missing file or one without a certificate is an error; a good one registers with an https admin', async () => {
    const dir = temp.dir();
    const pki = makePki(dir);
    const admin = new TestAdmin({ tls: { key: pki.key, cert: pki.cert } });
    admins.push(admin);
    await admin.up();
    const notPem = path.join(dir, 'not.pem');
    fs.writeFileSync(notPem, 'hello');
    for (const [caFile, says] of [[path.join(dir, 'none.pem'), /cannot read/], [notPem, /no PEM certificate/]] as const) {
      const { svc } = service({});
      const p = await freePort();
      await svc.apply(settings(admin.base, p, { caFile }));
      expect(svc.info()?.lastError).toMatch(says);
      expect(await refused(p)).toBe(true);
    }
    // Without ca_file the private CA is not trusted: registration fails and says what to set.
    const plain = service({});
    await plain.svc.apply(settings(admin.base, await freePort()));
    const err = await waitFor(() => plain.svc.info()?.lastError, 10_000, 'registration error');
    expect(err).toMatch(/certificate[\s\S]*xxljob\.ca_file/);
    const { svc } = service({});
    await svc.apply(settings(admin.base, await freePort(), { caFile: pki.caFile }));
    await admin.executor('svc-test');
    await waitFor(() => svc.info()?.registered, 10_000, 'registered');
  });
});
