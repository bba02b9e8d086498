import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { expandHome, resolveServerBinary } from '../src/logic/binary';

const env = (executables: string[], pathEnv = '/usr/local/bin:/usr/bin', home = '/home/u') => ({
  pathEnv,
  home,
  isExecutable: (file: string) => executables.includes(file),
});

test('the setting, when it is a path, is used as it is', () => {
  assert.deepEqual(resolveServerBinary('/opt/tm/taskmark', env(['/opt/tm/taskmark', '/usr/bin/taskmark'])), {
    ok: true,
    path: '/opt/tm/taskmark',
  });
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
  assert.deepEqual(result, { ok: true, path: '/home/u/bin/taskmark' });
});

test('a bare name in the setting is looked up on PATH, in order', () => {
  const result = resolveServerBinary('tm', env(['/usr/bin/tm', '/usr/local/bin/tm']));
  assert.deepEqual(result, { ok: true, path: '/usr/local/bin/tm' });
});

test('no setting: taskmark on PATH, first match wins', () => {
  assert.deepEqual(resolveServerBinary('', env(['/usr/bin/taskmark'])), { ok: true, path: '/usr/bin/taskmark' });
  assert.deepEqual(resolveServerBinary(undefined, env(['/usr/local/bin/taskmark', '/usr/bin/taskmark'])), {
    ok: true,
    path: '/usr/local/bin/taskmark',
  });
});

test('no setting and not on PATH: ~/.cargo/bin/taskmark', () => {
  assert.deepEqual(resolveServerBinary('  ', env(['/home/u/.cargo/bin/taskmark'])), {
    ok: true,
    path: '/home/u/.cargo/bin/taskmark',
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
  assert.match(page, /cargo install --path server/);
  assert.match(page, /taskmark\.server\.path/);
  assert.match(page, /- `\/usr\/bin\/taskmark`/);
});
