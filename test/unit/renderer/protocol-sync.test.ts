// The renderer keeps its own copy of the transponder types (src-renderer/sdk/protocol.ts) because it must
// not import the relay; this file fails to type-check the moment the copy and src-relay/transponder-api.ts
// drift apart. `npm run typecheck` (run by `npm test`) checks it with the rest of test/; the test below also
// type-checks this file alone with the compiler API, so running this test file by itself catches a drift.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import ts from 'typescript';
import type * as Relay from '../../../src-relay/transponder-api.js';
import type { AudioCodec } from '../../../src-relay/media.js';
import { parseHostMessage, type HostMessage } from '../../../src-renderer/sdk/protocol.js';
import type * as Renderer from '../../../src-renderer/sdk/protocol.js';

/** True only when A and B are the same type (optional keys, readonly and unions included). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function sameType<A, B>(same: Same<A, B>): boolean {
  return same;
}

// Each line is a compile error when the two definitions differ.
sameType<Relay.TransponderStatus, Renderer.TransponderStatus>(true);
sameType<Relay.TransponderOptions, Renderer.TransponderOptions>(true);
sameType<Relay.TransponderStats, Renderer.TransponderStats>(true);
sameType<Relay.TransponderJSON, Renderer.TransponderJSON>(true);
sameType<AudioCodec, NonNullable<Renderer.TransponderOptions['audioCodec']>>(true);

const THIS_FILE = fileURLToPath(import.meta.url);
const CONFIG_FILE = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));

function compilerOptions(): ts.CompilerOptions {
  const read = ts.readConfigFile(CONFIG_FILE, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, fileURLToPath(new URL('../../../', import.meta.url)));
  return { ...parsed.options, noEmit: true };
}

describe('renderer wire types stay in sync with the relay', () => {
  test('this guard file type-checks: the renderer copy of TransponderJSON equals the relay one', { timeout: 120_000 }, () => {
    const program = ts.createProgram([THIS_FILE], compilerOptions());
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(THIS_FILE));
    const messages = diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(messages, []);
  });

  test('a transponder object as the host sends it is read back whole by the SDK', () => {
    const sent: Relay.TransponderJSON = {
      mediaSessionId: 'eume87rjk3dfli9u14elffga6t',
      streamName: 'rtmp_cam1',
      sourceStreamName: 'cam1',
      rtmpUrl: 'rtmp://127.0.0.1:1935/live',
      width: 1280,
      height: 720,
      muted: false,
      soundEnabled: true,
      options: { action: 'sound_on', soundFile: 'test.wav', loop: true, audioCodec: 'aac' },
      status: 'RECONNECTING',
      info: 'CLOSED',
      stats: { bitrateKbps: 2600, fps: 30, droppedFrames: 3, uptimeMs: 0, reconnects: 1, attempt: 2, nextRetryAt: 1_700_000_000_000, queuedMs: 40 },
    };
    const received = parseHostMessage(JSON.stringify({ type: 'transponder', transponder: sent }));
    const expected: HostMessage = { type: 'transponder', transponder: sent };
    assert.deepEqual(received, expected);
  });
});
