import { describe, expect, it } from 'vitest';
import { parseHostSettings } from '../../src/config/host-settings.js';

const parse = (text: string) => parseHostSettings(text, '/home/x/jobctl.yaml', 'jobctl.yaml');
const lines = (text: string) => parse(text).errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`);

describe('access: in jobctl.yaml', () => {
  it('reads operators with their role and scope', () => {
    const { settings, errors } = parse([
      'access:',
      '  alice: {role: operator, tasks: ["@billing", "report-*", "@billing"]}',
      '  bob: {role: viewer}',
      '  root.ops: {role: admin}',
    ].join('\n'));
    expect(errors).toEqual([]);
    expect(settings.access).toEqual({
      alice: { role: 'operator', tasks: ['@billing', 'report-*'] },
      bob: { role: 'viewer' },
      'root.ops': { role: 'admin' },
    });
  });

  it('reports each mistake at its line and column, saying what to write', () => {
    expect(lines([
      'access:',
      '  alice: {role: owner}',
      '  bob: {role: viewer, task: [x]}',
      '  carol: {role: admin, tasks: ["@all"]}',
      '  "-x": {role: viewer}',
      '  dave: {role: operator, tasks: []}',
      '  erin: {role: operator, tasks: ["a b"]}',
    ].join('\n'))).toEqual([
      'jobctl.yaml:2:17: access: operator "alice": role: "owner" is not one of viewer, operator, admin',
      'jobctl.yaml:3:23: access: operator "bob": unknown key "task" (did you mean "tasks"?)',
      'jobctl.yaml:4:24: access: operator "carol": tasks: an admin acts on the whole daemon (reload, down); tasks: limits a viewer or an operator',
      'jobctl.yaml:5:3: access: invalid operator name "-x": an operator name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. alice)',
      'jobctl.yaml:6:33: access: operator "dave": tasks: must not be an empty list',
      'jobctl.yaml:7:34: access: operator "erin": tasks.0: a scope entry is a task name, a glob (report-*) or a group (@billing), got "a b"',
    ]);
    expect(lines('access: [alice]')).toEqual([expect.stringMatching(/^jobctl\.yaml:1:9: access: expected a map of operator -> \{role, tasks\}/)]);
  });
});
