// A modal dialog keeps the keyboard inside it (WAI-ARIA Authoring Practices, "Dialog (Modal)"): Tab from
// its last focusable element goes to its first, Shift+Tab from the first to the last.

/** What Tab reaches inside the dialog, in document order. */
export const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Where Tab (or Shift+Tab, `backwards`) goes from the `at`-th of `count` focusable elements of a modal
 * dialog: the first after the last and the last before the first; undefined where the browser's own order
 * stays inside (and -1, focus outside the dialog, goes to the first or the last).
 */
export function wrapTab(at: number, count: number, backwards: boolean): number | undefined {
  if (count === 0) return undefined;
  if (at < 0) return backwards ? count - 1 : 0;
  if (backwards && at === 0) return count - 1;
  if (!backwards && at === count - 1) return 0;
  return undefined;
}
