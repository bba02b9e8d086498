import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DEFAULT_BACKOFF, RestartBackoff } from '../src/logic/backoff';

const options = { initialMs: 100, factor: 2, maxMs: 1000, maxRestarts: 5, windowMs: 60_000 };

test('delays double from the initial one up to the cap', () => {
  const backoff = new RestartBackoff({ ...options, maxRestarts: 10 });
  const delays = [0, 1, 2, 3, 4, 5].map((i) => backoff.onCrash(i * 10));
  assert.deepEqual(
    delays.map((it) => (it.restart ? it.delayMs : -1)),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.deepEqual(delays.map((it) => (it.restart ? it.attempt : -1)), [1, 2, 3, 4, 5, 6]);
});

test('gives up after maxRestarts crashes within the window', () => {
  const backoff = new RestartBackoff(options);
  for (let i = 0; i < 5; i++) assert.equal(backoff.onCrash(i).restart, true);
  const sixth = backoff.onCrash(5);
  assert.deepEqual(sixth, { restart: false, crashes: 6 });
  assert.equal(backoff.onCrash(6).restart, false);
});

test('crashes older than the window are forgotten', () => {
  const backoff = new RestartBackoff(options);
  for (let i = 0; i < 5; i++) backoff.onCrash(i);
  assert.equal(backoff.recentCrashes(10), 5);
  const later = backoff.onCrash(61_000);
  assert.deepEqual(later, { restart: true, delayMs: 100, attempt: 1 });
  assert.equal(backoff.recentCrashes(61_000), 1);
});

test('reset starts over (manual restart, or a server that ran well)', () => {
  const backoff = new RestartBackoff(options);
  for (let i = 0; i < 6; i++) backoff.onCrash(i);
  backoff.reset();
  assert.deepEqual(backoff.onCrash(7), { restart: true, delayMs: 100, attempt: 1 });
});

test('the defaults are bounded', () => {
  const backoff = new RestartBackoff();
  let total = 0;
  let decision = backoff.onCrash(0);
  while (decision.restart) {
    assert.ok(decision.delayMs <= DEFAULT_BACKOFF.maxMs);
    total += decision.delayMs;
    decision = backoff.onCrash(total);
  }
  assert.equal(decision.crashes, DEFAULT_BACKOFF.maxRestarts + 1);
  assert.ok(total < DEFAULT_BACKOFF.windowMs);
});

test('rejects nonsense options', () => {
  assert.throws(() => new RestartBackoff({ ...options, factor: 0.5 }));
  assert.throws(() => new RestartBackoff({ ...options, maxMs: 10 }));
});
