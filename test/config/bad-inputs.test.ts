import { afterAll, describe, expect, it } from 'vitest';
import { loadTaskDir } from '../../src/config/load.js';
import { tempDir, writeFiles } from '../helpers/temp.js';

/**
 * Each bad input and the exact errors it gives: file, line, column, task and message.
 * A line is `FILE:LINE:COL task "NAME": MESSAGE` (task omitted for file-level errors).
 */
interface Case {
  name: string;
  files: Record<string, string>;
  errors: string[];
}

const DUR = 'use 500ms, 10s, 5m, 1h30m or a number of seconds';
const CRON_HINT = 'use 5 fields (min hour day month weekday), 6 with seconds first, or @hourly/@daily/@weekly/@monthly/@yearly';

const cases: Case[] = [
  {
    name: 'YAML syntax: bad indentation',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n   instances: 2\n' },
    errors: ['tasks/a.yaml:4:1: YAML syntax: All mapping items must start at the same column'],
  },
  {
    name: 'YAML syntax: unclosed flow sequence',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: [a, b\n' },
    errors: ['tasks/a.yaml:4:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  },
  {
    name: 'YAML: same task name twice in one file',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n  web:\n    command: y\n' },
    errors: ['tasks/a.yaml:4:3: Map keys must be unique: each task name may appear once'],
  },
  {
    name: 'file is a list',
    files: { 'a.yaml': '- command: x\n' },
    errors: ['tasks/a.yaml:1:1: a task file is a map with `tasks:` (and optional `defaults:` and `notifiers:`)'],
  },
  {
    name: 'unknown top-level key',
    files: { 'a.yaml': 'task:\n  web:\n    command: x\n' },
    errors: ['tasks/a.yaml:1:1: unknown top-level key "task" (did you mean "tasks"?); a file has tasks:, defaults: and notifiers:'],
  },
  {
    name: 'tasks is a list',
    files: { 'a.yaml': 'tasks:\n  - web\n' },
    errors: ['tasks/a.yaml:2:3: tasks: expected a map of task name -> task'],
  },
  {
    name: 'task is a string',
    files: { 'a.yaml': 'tasks:\n  web: node server.js\n' },
    errors: ['tasks/a.yaml:2:8 task "web": task "web" must be a map of keys with at least `command`'],
  },
  {
    name: 'missing command',
    files: { 'a.yaml': 'tasks:\n  web:\n    instances: 2\n' },
    errors: ['tasks/a.yaml:2:3 task "web": command: is required'],
  },
  {
    name: 'unknown key with suggestion',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    instnces: 2\n' },
    errors: ['tasks/a.yaml:4:5 task "web": unknown key "instnces" (did you mean "instances"?)'],
  },
  {
    name: 'unknown key without suggestion',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    colour: red\n' },
    errors: ['tasks/a.yaml:4:5 task "web": unknown key "colour"'],
  },
  {
    name: 'unknown nested key',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    logs:\n      max_sise: 1MB\n' },
    errors: ['tasks/a.yaml:5:7 task "web": unknown key "logs.max_sise" (did you mean "max_size"?)'],
  },
  {
    name: 'wrong type: instances as text',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    instances: two\n' },
    errors: ['tasks/a.yaml:4:16 task "web": instances: expected a number, got "two"'],
  },
  {
    name: 'wrong type: enabled as text',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    enabled: "no"\n' },
    errors: ['tasks/a.yaml:4:14 task "web": enabled: expected a boolean, got "no"'],
  },
  {
    name: 'instances not whole',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    instances: 1.5\n' },
    errors: ['tasks/a.yaml:4:16 task "web": instances: must be a whole number, got number 1.5'],
  },
  {
    name: 'instances negative',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    instances: -1\n' },
    errors: ['tasks/a.yaml:4:16 task "web": instances: must be at least 0, got number -1'],
  },
  {
    name: 'hosts: a glob whose [range] runs backwards (it crashed the daemon at start)',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    hosts: ["[z-a]"]\n' },
    errors: ['tasks/a.yaml:4:13 task "web": hosts.0: not a hostname glob: a [range] runs from low to high, e.g. [a-z], got "[z-a]"'],
  },
  {
    name: 'command empty string',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: ""\n' },
    errors: ['tasks/a.yaml:3:14 task "web": command: must not be empty'],
  },
  {
    name: 'command empty list',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: []\n' },
    errors: ['tasks/a.yaml:3:14 task "web": command: must not be an empty list'],
  },
  {
    name: 'command as a map',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: {run: x}\n' },
    errors: ['tasks/a.yaml:3:14 task "web": command: must be a non-empty string (run by /bin/sh -c) or a list of strings (exec\'d directly), got a map'],
  },
  {
    name: 'bad duration',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    stop_timeout: 10x\n' },
    errors: [`tasks/a.yaml:4:19 task "web": stop_timeout: invalid duration: ${DUR}, got "10x"`],
  },
  {
    name: 'bad nested duration',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    backoff:\n      max: soon\n' },
    errors: [`tasks/a.yaml:5:12 task "web": backoff.max: invalid duration: ${DUR}, got "soon"`],
  },
  {
    name: 'bad size',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    max_memory: lots\n' },
    errors: ['tasks/a.yaml:4:17 task "web": max_memory: invalid size: use 512KB, 100MB, 1GB or a number of bytes, got "lots"'],
  },
  {
    name: 'bad cron: out of range',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "61 * * * *"\n' },
    errors: [`tasks/a.yaml:4:15 task "job": schedule: invalid expression "61 * * * *": Invalid value for minute: 61; ${CRON_HINT}`],
  },
  {
    name: 'bad cron: too few fields',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "* * *"\n' },
    // Issue 30: our own words alone, not croner's "five, six, or seven parts" before them.
    errors: [`tasks/a.yaml:4:15 task "job": schedule: invalid expression "* * *": it has 3 fields; ${CRON_HINT}`],
  },
  {
    name: 'bad cron: four fields',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "*/5 * * *"\n' },
    errors: [`tasks/a.yaml:4:15 task "job": schedule: invalid expression "*/5 * * *": it has 4 fields; ${CRON_HINT}`],
  },
  {
    name: 'bad cron: seven fields',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "0 0 0 * * * 2030"\n' },
    errors: [`tasks/a.yaml:4:15 task "job": schedule: invalid expression "0 0 0 * * * 2030": it has 7 fields; ${CRON_HINT}`],
  },
  {
    name: 'bad cron: @reboot',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "@reboot"\n' },
    errors: [`tasks/a.yaml:4:15 task "job": schedule: invalid expression "@reboot": @reboot is not supported in this environment. This is an event-based trigger that requires system startup detection.; ${CRON_HINT}`],
  },
  {
    name: 'bad time zone with suggestion',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "@daily"\n    timezone: Europe/Berln\n' },
    errors: ['tasks/a.yaml:5:15 task "job": timezone: unknown zone "Europe/Berln" (did you mean "Europe/Berlin"?); use an IANA name such as Europe/Berlin or UTC'],
  },
  {
    name: 'bad enum value with suggestion',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "@daily"\n    overlap: skp\n' },
    errors: ['tasks/a.yaml:5:14 task "job": overlap: "skp" is not one of skip, queue, replace, allow (did you mean "skip"?)'],
  },
  {
    name: 'bad restart policy',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    restart: on-failur\n' },
    errors: ['tasks/a.yaml:4:14 task "web": restart: "on-failur" is not one of always, on-failure, never (did you mean "on-failure"?)'],
  },
  {
    name: 'bad signal',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    stop_signal: SIGSTOPP\n' },
    errors: ['tasks/a.yaml:4:18 task "web": stop_signal: unknown signal: use SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, got "SIGSTOPP"'],
  },
  {
    name: 'bad task name',
    files: { 'a.yaml': 'tasks:\n  Web_Server:\n    command: x\n' },
    errors: ['tasks/a.yaml:2:3 task "Web_Server": invalid task name "Web_Server": use 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit'],
  },
  {
    name: 'task name with a slash',
    files: { 'a.yaml': 'tasks:\n  ../etc:\n    command: x\n' },
    errors: ['tasks/a.yaml:2:3 task "../etc": invalid task name "../etc": use 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit'],
  },
  {
    name: 'daemon key on a cron task',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "@hourly"\n    instances: 2\n' },
    errors: ['tasks/a.yaml:5:5 task "job": "instances" is only for service tasks (tasks without a schedule); remove it or remove "schedule"'],
  },
  {
    name: 'scale on a cron task',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "@hourly"\n    scale: {max: 3, probe: "echo 1"}\n' },
    errors: ['tasks/a.yaml:5:5 task "job": "scale" is only for service tasks (tasks without a schedule); remove it or remove "schedule"'],
  },
  {
    name: 'cron key on a service task',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    timeout: 5m\n' },
    errors: ['tasks/a.yaml:4:5 task "web": "timeout" is only for cron tasks (tasks with a schedule); add a "schedule" or remove "timeout"'],
  },
  {
    name: 'overlap on a service task',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    overlap: skip\n' },
    errors: ['tasks/a.yaml:4:5 task "web": "overlap" is only for cron tasks (tasks with a schedule); add a "schedule" or remove "overlap"'],
  },
  {
    name: 'duplicate name in two files: both places',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n', 'b.yaml': '\ntasks:\n  web:\n    command: y\n' },
    errors: [
      'tasks/a.yaml:2:3 task "web": task name "web" is used again in tasks/b.yaml:3; task names are unique across the directory',
      'tasks/b.yaml:3:3 task "web": task name "web" is already used in tasks/a.yaml:2; task names are unique across the directory',
    ],
  },
  {
    name: 'unknown notifier',
    files: {
      'a.yaml': 'notifiers:\n  ops-chat: {url: "https://chat.example/hook"}\ntasks:\n  job:\n    command: x\n    schedule: "@daily"\n    notify: {to: [ops-chta]}\n',
    },
    errors: ['tasks/a.yaml:7:19 task "job": notify.to: unknown notifier "ops-chta" (did you mean "ops-chat"?); define it under a top-level notifiers: map (in a task file or jobctl.yaml)'],
  },
  {
    name: 'notifier with bad format',
    files: { 'a.yaml': 'notifiers:\n  ops:\n    url: https://x.example\n    format: slak\n' },
    errors: ['tasks/a.yaml:4:13: notifier "ops": format: "slak" is not one of generic, slack, dingtalk, feishu, wecom (did you mean "slack"?)'],
  },
  {
    name: 'notifier without url',
    files: { 'a.yaml': 'notifiers:\n  ops:\n    format: slack\n' },
    errors: ['tasks/a.yaml:2:3: notifier "ops": url: is required'],
  },
  {
    name: 'bad notify event',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "@daily"\n    notify: {on: [crash], to: []}\n' },
    errors: [
      'tasks/a.yaml:5:19 task "job": notify.on.0: "crash" is not one of failure, fatal, timeout, recovered, unhealthy',
      'tasks/a.yaml:5:31 task "job": notify.to: must not be an empty list',
    ],
  },
  {
    name: 'error in defaults points at defaults',
    files: { 'a.yaml': 'defaults:\n  stop_timeout: forever\ntasks:\n  web:\n    command: x\n' },
    errors: [
      `tasks/a.yaml:2:17: defaults: stop_timeout: invalid duration: ${DUR}, got "forever"`,
    ],
  },
  {
    name: 'schedule in defaults is not allowed',
    files: { 'a.yaml': 'defaults:\n  schedule: "@daily"\ntasks:\n  web:\n    command: x\n' },
    errors: ['tasks/a.yaml:2:3: defaults: "schedule" cannot be a default; set it on each task'],
  },
  {
    name: 'scale min above max',
    files: { 'a.yaml': 'tasks:\n  w:\n    command: x\n    scale: {min: 5, max: 2, probe: "echo 3"}\n' },
    errors: ['tasks/a.yaml:4:18 task "w": scale.min: 5 is larger than scale.max 2'],
  },
  {
    name: 'scale without probe',
    files: { 'a.yaml': 'tasks:\n  w:\n    command: x\n    scale: {max: 2}\n' },
    errors: ['tasks/a.yaml:4:5 task "w": scale.probe: is required'],
  },
  {
    name: 'cwd that does not exist',
    files: { 'a.yaml': 'tasks:\n  w:\n    command: x\n    cwd: ./nowhere\n' },
    errors: ['tasks/a.yaml:4:10 task "w": cwd: directory <dir>/nowhere does not exist'],
  },
  {
    name: 'bad env variable name',
    files: { 'a.yaml': 'tasks:\n  w:\n    command: x\n    env:\n      "BAD-NAME": 1\n' },
    errors: ['tasks/a.yaml:5:7 task "w": env: invalid name "BAD-NAME": environment variable names are letters, digits and _'],
  },
  {
    name: 'several errors sorted by file and line',
    files: {
      'b.yaml': 'tasks:\n  one:\n    command: x\n    retries: 2\n',
      'a.yaml': 'tasks:\n  two:\n    command: x\n    schedule: "@daily"\n    history: 0\n  three:\n    comand: y\n',
    },
    errors: [
      'tasks/a.yaml:5:14 task "two": history: must be at least 1, got number 0',
      'tasks/a.yaml:6:3 task "three": command: is required',
      'tasks/a.yaml:7:5 task "three": unknown key "comand" (did you mean "command"?)',
      'tasks/b.yaml:4:5 task "one": "retries" is only for cron tasks (tasks with a schedule); add a "schedule" or remove "retries"',
    ],
  },
  {
    name: 'depends_on: unknown task, in another file too',
    files: {
      'a.yaml': 'tasks:\n  web:\n    command: x\n    depends_on: {dbb: started}\n',
      'b.yaml': 'tasks:\n  db:\n    command: y\n',
    },
    errors: ['tasks/a.yaml:4:18 task "web": depends_on: unknown task "dbb" (did you mean "db"?); name a task defined in the task directory'],
  },
  {
    name: 'depends_on: a cycle across files',
    files: {
      'a.yaml': 'tasks:\n  web:\n    command: x\n    depends_on:\n      api: started\n',
      'b.yaml': 'tasks:\n  api:\n    command: y\n    depends_on:\n      web: started\n',
    },
    errors: [
      'tasks/a.yaml:5:7 task "web": depends_on: a cycle: api -> web -> api; remove one of these dependencies',
      'tasks/b.yaml:5:7 task "api": depends_on: a cycle: api -> web -> api; remove one of these dependencies',
    ],
  },
  {
    name: 'depends_on: itself',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    depends_on: {web: started}\n' },
    errors: ['tasks/a.yaml:4:18 task "web": depends_on: "web" cannot depend on itself; remove it'],
  },
  {
    name: 'depends_on: bad condition',
    files: { 'a.yaml': 'tasks:\n  db:\n    command: y\n  web:\n    command: x\n    depends_on: {db: ready}\n' },
    errors: ['tasks/a.yaml:6:22 task "web": depends_on.db: "ready" is not one of started, healthy, completed'],
  },
  {
    name: 'depends_on: healthy without a health check',
    files: { 'a.yaml': 'tasks:\n  db:\n    command: y\n  web:\n    command: x\n    depends_on: {db: healthy}\n' },
    errors: ['tasks/a.yaml:6:18 task "web": depends_on: "db" has no health check, so it is never healthy; add health: to db or use "started"'],
  },
  {
    name: 'depends_on: completed on a task that always restarts',
    files: { 'a.yaml': 'tasks:\n  db:\n    command: y\n  web:\n    command: x\n    depends_on: {db: completed}\n' },
    errors: ['tasks/a.yaml:6:18 task "web": depends_on: "db" restarts always, so it never completes; use "started" or "healthy", or give db restart: on-failure'],
  },
  {
    name: 'health: no probe',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    health: {interval: 5s}\n' },
    errors: ['tasks/a.yaml:4:13 task "web": health: give one probe: command, http or tcp'],
  },
  {
    name: 'health: two probes',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    health:\n      command: "true"\n      tcp: 127.0.0.1:80\n' },
    errors: ['tasks/a.yaml:6:7 task "web": health: give one probe, not command and tcp; split them or keep one'],
  },
  {
    name: 'health: bad tcp address and http URL',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    health: {tcp: "localhost"}\n  api:\n    command: x\n    health: {http: "localhost:80/x"}\n' },
    errors: [
      'tasks/a.yaml:4:19 task "web": health.tcp: must be host:port, e.g. 127.0.0.1:6379, got "localhost"',
      'tasks/a.yaml:7:20 task "api": health.http: must be an http:// or https:// URL, e.g. http://127.0.0.1:8080/health, got "localhost:80/x"',
    ],
  },
  {
    name: 'health: unknown key',
    files: { 'a.yaml': 'tasks:\n  web:\n    command: x\n    health: {tcp: "127.0.0.1:80", intervall: 3}\n' },
    errors: ['tasks/a.yaml:4:35 task "web": unknown key "health.intervall" (did you mean "interval"?)'],
  },
  {
    name: 'health on a cron task',
    files: { 'a.yaml': 'tasks:\n  job:\n    command: x\n    schedule: "@daily"\n    health: {tcp: "127.0.0.1:80"}\n' },
    errors: ['tasks/a.yaml:5:5 task "job": "health" is only for service tasks (tasks without a schedule); remove it or remove "schedule"'],
  },
];

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));

function render(e: { file: string; line: number; col: number; task?: string; message: string }): string {
  return `${e.file}:${e.line}:${e.col}${e.task !== undefined ? ` task "${e.task}"` : ''}: ${e.message}`;
}

describe('bad task files', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$name', ({ files, errors }) => {
    const { dir, cleanup } = tempDir();
    temps.push(cleanup);
    writeFiles(dir, files);
    const set = loadTaskDir(dir, 'tasks');
    expect(set.errors.map(render)).toEqual(errors.map((e) => e.replace('<dir>', dir)));
    // An invalid file contributes no task.
    const badFiles = new Set(set.errors.map((e) => e.file));
    for (const t of set.tasks) expect(badFiles.has(`tasks/${t.source.file.slice(dir.length + 1)}`)).toBe(false);
  });
});
