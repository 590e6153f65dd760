// The `key=value` properties file of docs/DESIGN.md §6 (the format of WCS's flashphoner.properties): `#` or `!`
// comment lines, blank lines, the first `=` (or `:`) separating key and value. No escapes or continuation
// lines: values are single-line. Edits rewrite only the lines of the keys that change, so comments and the
// user's layout survive the GUI.

export interface PropertyEntry {
  key: string;
  value: string;
  /** 1-based line number in the file. */
  line: number;
}

export interface PropertyProblem {
  line: number;
  message: string;
}

export interface ParsedProperties {
  entries: PropertyEntry[];
  problems: PropertyProblem[];
}

const COMMENT = /^\s*([#!]|$)/;
/** A commented-out assignment, as written by the template: `#key=value`. */
const COMMENTED_ASSIGNMENT = /^\s*[#!]\s*([A-Za-z0-9_.-]+)\s*[=:]/;

function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

export function parseProperties(text: string): ParsedProperties {
  const entries: PropertyEntry[] = [];
  const problems: PropertyProblem[] = [];
  splitLines(text).forEach((raw, index) => {
    if (COMMENT.test(raw)) return;
    const line = index + 1;
    const sep = raw.search(/[=:]/);
    if (sep < 0) {
      problems.push({ line, message: `line ${line}: expected key=value, got "${raw.trim().slice(0, 80)}"` });
      return;
    }
    const key = raw.slice(0, sep).trim();
    if (key === '') {
      problems.push({ line, message: `line ${line}: a value without a key` });
      return;
    }
    entries.push({ key, value: raw.slice(sep + 1).trim(), line });
  });
  return { entries, problems };
}

/**
 * Sets keys in the file's text, keeping everything else: an existing `key=` line is rewritten in place
 * (the last one if repeated), else the new line goes right after the template's `#key=default` line, else
 * at the end. A value of `undefined` comments the key out (back to its default).
 */
export function editProperties(text: string, changes: ReadonlyMap<string, string | undefined>): string {
  const lines = splitLines(text);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const [key, value] of changes) {
    const active = lastIndex(lines, (l) => !COMMENT.test(l) && l.slice(0, l.search(/[=:]/)).trim() === key);
    const replacement = value === undefined ? undefined : `${key}=${value}`;
    if (active >= 0) {
      lines[active] = replacement ?? `#${lines[active]!.trimStart()}`;
      continue;
    }
    if (replacement === undefined) continue;
    const commented = lastIndex(lines, (l) => COMMENTED_ASSIGNMENT.exec(l)?.[1] === key);
    if (commented >= 0) lines.splice(commented + 1, 0, replacement);
    else lines.push(replacement);
  }
  return `${lines.join('\n')}\n`;
}

function lastIndex(lines: string[], predicate: (line: string) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (predicate(lines[i]!)) return i;
  return -1;
}
