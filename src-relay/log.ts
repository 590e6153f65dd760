// Structured logging: one `key=value` line per event, carrying the mediaSessionId where there is one.
// Never pass a secret in fields: redact URLs and stream names first (redact.ts).

export type LogFields = Record<string, string | number | boolean | undefined | null>;
export type Log = (event: string, fields?: LogFields) => void;

function formatValue(value: string | number | boolean): string {
  const text = String(value);
  return /^[\w.:/@%+-]*$/.test(text) && text !== '' ? text : JSON.stringify(text);
}

export function formatLogLine(event: string, fields: LogFields = {}): string {
  const parts = [`event=${event}`];
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(' ');
}

/** Logs to stderr with a timestamp; silent when CASTBRIDGE_LOG=silent. */
export const consoleLog: Log = (event, fields) => {
  if (process.env.CASTBRIDGE_LOG === 'silent') return;
  process.stderr.write(`${new Date().toISOString()} ${formatLogLine(event, fields)}\n`);
};

export const silentLog: Log = () => {};
