import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { bundledName, expandHome, resolveServerBinary } from '../src/logic/binary';

const env = (executables: string[], pathEnv = '/usr/local/bin:/usr/bin', home = '/home/u', bundled?: string) => ({
  pathEnv,
  home,
  bundled,
  isExecutable: (file: string) => executables.includes(file),
});

const BUNDLED = '/ext/taskmark.taskmark-0.1.0-linux-x64/server/taskmark';

test('the setting, when it is a path, is used as it is', () => {
  assert.deepEqual(resolveServerBinary('/opt/tm/taskmark', env(['/opt/tm/taskmark', '/usr/bin/taskmark'])), {
    ok: true,
    path: '/opt/tm/taskmark',
    source: 'setting',
  });
});

test('the setting wins over the bundled binary', () => {
  assert.deepEqual(resolveServerBinary('/opt/tm/taskmark', env(['/opt/tm/taskmark', BUNDLED], undefined, undefined, BUNDLED)), {
    ok: true,
    path: '/opt/tm/taskmark',
    source: 'setting',
  });
});

test('no setting: the binary a platform vsix ships comes before PATH and ~/.cargo/bin', () => {
  const executables = [BUNDLED, '/usr/bin/taskmark', '/home/u/.cargo/bin/taskmark'];
  assert.deepEqual(resolveServerBinary('', env(executables, undefined, undefined, BUNDLED)), {
    ok: true,
    path: BUNDLED,
    source: 'bundled',
  });
});

test('a bundled path that is not there (the plain vsix) falls back to PATH, and is listed as tried', () => {
  assert.deepEqual(resolveServerBinary('', env(['/usr/bin/taskmark'], undefined, undefined, BUNDLED)), {
    ok: true,
    path: '/usr/bin/taskmark',
    source: 'PATH',
  });
  const missing = resolveServerBinary('', env([], '/a', '/home/u', BUNDLED));
  assert.ok(!missing.ok);
  assert.deepEqual(!missing.ok && missing.tried, [BUNDLED, '/a/taskmark', '/home/u/.cargo/bin/taskmark']);
});

test('the bundled binary is taskmark.exe on Windows, taskmark elsewhere', () => {
  assert.equal(bundledName('win32'), 'taskmark.exe');
  assert.equal(bundledName('linux'), 'taskmark');
  assert.equal(bundledName('darwin'), 'taskmark');
});

test('a configured path that is not executable is an error naming it, not a PATH fallback', () => {
  const result = resolveServerBinary('/opt/tm/taskmark', env(['/usr/bin/taskmark']));
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.message.includes('/opt/tm/taskmark'));
});

test('~ in the setting is the home folder', () => {
  assert.equal(expandHome('~/bin/taskmark', '/home/u'), '/home/u/bin/taskmark');
  assert.equal(expandHome('${userHome}/x', '/home/u'), '/home/u/x');
  const result = resolveServerBinary('~/bin/taskmark', env(['/home/u/bin/taskmark']));
  assert.deepEqual(result, { ok: true, path: '/home/u/bin/taskmark', source: 'setting' });
});

test('a bare name in the setting is looked up on PATH, in order', () => {
  const result = resolveServerBinary('tm', env(['/usr/bin/tm', '/usr/local/bin/tm']));
  assert.deepEqual(result, { ok: true, path: '/usr/local/bin/tm', source: 'setting' });
});

test('no setting: taskmark on PATH, first match wins', () => {
  assert.deepEqual(resolveServerBinary('', env(['/usr/bin/taskmark'])), { ok: true, path: '/usr/bin/taskmark', source: 'PATH' });
  assert.deepEqual(resolveServerBinary(undefined, env(['/usr/local/bin/taskmark', '/usr/bin/taskmark'])), {
    ok: true,
    path: '/usr/local/bin/taskmark',
    source: 'PATH',
  });
});

test('no setting and not on PATH: ~/.cargo/bin/taskmark', () => {
  assert.deepEqual(resolveServerBinary('  ', env(['/home/u/.cargo/bin/taskmark'])), {
    ok: true,
    path: '/home/u/.cargo/bin/taskmark',
    source: 'cargo',
  });
});

test('nothing found: a message and the places tried', () => {
  const result = resolveServerBinary('', env([], '/a::/b'));
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.tried, ['/a/taskmark', '/b/taskmark', '/home/u/.cargo/bin/taskmark']);
  assert.match(result.message, /not on PATH/);
});

test('the install page says what went wrong, how to install, and where it looked', async () => {
  const { installInstructions } = await import('../src/logic/install');
  const page = installInstructions('taskmark is not on PATH', ['/usr/bin/taskmark']);
  assert.match(page, /\*\*taskmark is not on PATH\*\*/);
  assert.match(page, /cargo install --locked --path server\/cli/);
  assert.match(page, /linux-x64/);
  assert.match(page, /taskmark\.server\.path/);
  assert.match(page, /- `\/usr\/bin\/taskmark`/);
});
