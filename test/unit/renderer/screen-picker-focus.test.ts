// The screen picker's focus trap (components/focus-trap.ts): Tab past the last focusable element
// of the dialog goes to the first, Shift+Tab before the first to the last; in between the browser's order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wrapTab } from '../../../src-renderer/components/focus-trap.js';

test('Tab wraps at both ends of the dialog and leaves the middle to the browser', () => {
  assert.equal(wrapTab(4, 5, false), 0, 'Tab on the last goes to the first');
  assert.equal(wrapTab(0, 5, true), 4, 'Shift+Tab on the first goes to the last');
  assert.equal(wrapTab(2, 5, false), undefined);
  assert.equal(wrapTab(2, 5, true), undefined);
  assert.equal(wrapTab(0, 5, false), undefined, 'Tab on the first moves on by itself');
  assert.equal(wrapTab(0, 1, false), 0, 'one element keeps the focus');
  assert.equal(wrapTab(0, 1, true), 0);
  assert.equal(wrapTab(-1, 5, false), 0, 'focus outside the dialog comes in at the first');
  assert.equal(wrapTab(-1, 5, true), 4, 'or, backwards, at the last');
  assert.equal(wrapTab(-1, 0, false), undefined, 'nothing to focus');
});
