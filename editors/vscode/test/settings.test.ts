import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { needsRestart, readSettings, serverArgs, serverSettings } from '../src/logic/settings';

const from = (values: Record<string, unknown>) => readSettings((key) => values[key]);

test('defaults: daemon mode, info log, push diagnostics', () => {
  const settings = from({});
  assert.deepEqual(serverArgs(settings), ['lsp', '--log-level', 'info']);
  assert.deepEqual(serverSettings(settings), {
    diagnostics: 'push',
    codeLens: true,
    inlayHints: false,
    closedFiles: 'disk',
    rules: {},
  });
});

test('standalone mode, log level and extra arguments reach the command line in order', () => {
  const settings = from({
    'server.mode': 'standalone',
    'server.logLevel': 'debug',
    'server.extraArgs': ['--log-file', '/tmp/tm.log'],
  });
  assert.deepEqual(serverArgs(settings), ['lsp', '--log-level', 'debug', '--standalone', '--log-file', '/tmp/tm.log']);
});

test('bad values fall back to the defaults', () => {
  const settings = from({
    'server.mode': 'cluster',
    'server.logLevel': 'loud',
    'server.extraArgs': ['--ok', 3, null],
    diagnostics: 'both',
    rules: ['x'],
    codeLens: 'yes',
  });
  assert.equal(settings.mode, 'daemon');
  assert.equal(settings.logLevel, 'info');
  assert.deepEqual(settings.extraArgs, ['--ok']);
  assert.equal(settings.diagnostics, 'push');
  assert.deepEqual(settings.rules, {});
  assert.equal(settings.codeLens, true);
});

test('pull diagnostics and rules go to the server', () => {
  const settings = from({ diagnostics: 'pull', rules: { 'orphan-task': 'hint', bad: 3 }, closedFiles: 'editor' });
  assert.deepEqual(serverSettings(settings), {
    diagnostics: 'pull',
    codeLens: true,
    inlayHints: false,
    closedFiles: 'editor',
    rules: { 'orphan-task': 'hint' },
  });
});

test('only process-level settings need a restart', () => {
  const base = from({});
  assert.equal(needsRestart(base, from({ rules: { 'stale-counts': 'off' } })), false);
  assert.equal(needsRestart(base, from({ codeLens: false })), false);
  assert.equal(needsRestart(base, from({ 'server.mode': 'standalone' })), true);
  assert.equal(needsRestart(base, from({ 'server.path': '/x/taskmark' })), true);
  assert.equal(needsRestart(base, from({ 'server.extraArgs': ['--log-file', 'x'] })), true);
  assert.equal(needsRestart(base, from({ diagnostics: 'pull' })), true);
});
