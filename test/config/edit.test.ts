import { describe, expect, it } from 'vitest';
import { addTaskToText, isEmptyTaskFile, removeTaskFromText, shortDiff } from '../../src/config/edit.js';

describe('task file edits', () => {
  it('adds to a compact file without blank lines, matching its indentation', () => {
    const text = 'tasks:\n    a:\n        command: x\n    b:\n        command: y\n';
    expect(addTaskToText(text, 'c', { instances: 2, command: 'z' })).toBe(
      'tasks:\n    a:\n        command: x\n    b:\n        command: y\n    c:\n        instances: 2\n        command: z\n',
    );
  });

  it('fills an empty tasks: and creates a new file', () => {
    expect(addTaskToText('# mine\ntasks:\n', 'a', { command: 'x', instances: 1 })).toBe('# mine\ntasks:\n  a:\n    command: x\n    instances: 1\n');
    expect(addTaskToText('# only a comment\n', 'a', { command: 'x' })).toBe('# only a comment\ntasks:\n  a:\n    command: x\n');
    expect(addTaskToText(undefined, 'a', { schedule: '@daily', command: ['a', 'b c'] })).toBe(
      '# yaml-language-server: $schema=../schema/tasks.schema.json\ntasks:\n  a:\n    schedule: "@daily"\n    command: [ a, b c ]\n',
    );
  });

  it('keeps a file without a final newline intact', () => {
    expect(addTaskToText('tasks:\n  a:\n    command: x', 'b', { command: 'y' })).toBe('tasks:\n  a:\n    command: x\n  b:\n    command: y\n');
  });

  it('refuses a duplicate, a flow map, or broken YAML', () => {
    expect(() => addTaskToText('tasks:\n  a:\n    command: x\n', 'a', { command: 'y' })).toThrow('task "a" is already in this file');
    expect(() => addTaskToText('tasks: {a: {command: x}}\n', 'b', { command: 'y' })).toThrow(/flow map/);
    expect(() => addTaskToText('tasks:\n  a: [\n', 'b', { command: 'y' })).toThrow(/not valid YAML/);
  });

  it('removes a task with its own comment, leaving one blank line', () => {
    const text = 'tasks:\n  a:\n    command: x\n\n  # b does things\n  b:\n    command: y   # inline\n\n  c:\n    command: z\n';
    expect(removeTaskFromText(text, 'b')).toBe('tasks:\n  a:\n    command: x\n\n  c:\n    command: z\n');
    expect(removeTaskFromText(text, 'c')).toBe('tasks:\n  a:\n    command: x\n\n  # b does things\n  b:\n    command: y   # inline\n');
    expect(removeTaskFromText('tasks:\n  only:\n    command: x\n', 'only')).toBe('tasks: {}\n');
    expect(() => removeTaskFromText(text, 'nope')).toThrow('task "nope" is not in this file');
  });

  it('the last task out leaves `tasks: {}`, never a null stub; a file with nothing else counts as empty', () => {
    const withDefaults = 'defaults:\n  stop_timeout: 5s\ntasks:   # mine\n  only:\n    command: x\n';
    const after = removeTaskFromText(withDefaults, 'only');
    expect(after).toBe('defaults:\n  stop_timeout: 5s\ntasks: {}   # mine\n');
    expect(isEmptyTaskFile(after)).toBe(false);
    expect(isEmptyTaskFile(removeTaskFromText('# yaml-language-server: $schema=x\ntasks:\n  only:\n    command: x\n', 'only'))).toBe(true);
    expect(isEmptyTaskFile('tasks:\n  a:\n    command: x\n')).toBe(false);
    expect(isEmptyTaskFile('# only a comment\n')).toBe(true);
  });

  it('shortDiff shows only what changed', () => {
    expect(shortDiff('a\nb\nc\n', 'a\nB\nc\n')).toEqual(['- b', '+ B']);
  });
});
