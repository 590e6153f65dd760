// The wire contract is declared once (src-contract/, TypeBox). This file fails to type-check the moment the
// schemas the host's routes validate and answer with and the types the studio and the SDK use disagree:
// each `sameType` line below compares the type a route schema describes (`Static` of the schema in the
// route table) with the type the renderer reads or sends. `npm run typecheck` (run by `npm test`) checks it
// with the rest of test/; the tests below also type-check it alone with the compiler API, so running this
// file by itself catches a drift, and show that a drifted type is indeed refused.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import ts from 'typescript';
import type { Static, TSchema } from 'typebox';
import * as Contract from '../../../src-contract/transponder.js';
import { HostInfo, MediaList, TargetList } from '../../../src-contract/studio.js';
import { AUDIO_CODECS, type AudioCodec } from '../../../src-relay/media.js';
import type * as Relay from '../../../src-relay/transponder/service.js';
import type { HostInfo as HandlerHostInfo } from '../../../src-main/rest/deps.js';
import { buildOpenApi } from '../../../src-main/rest/openapi.js';
import { ALL_ROUTES, PUSH_GET_ROUTES, PUSH_ROUTES, STUDIO_ROUTES } from '../../../src-main/rest/schemas.js';
import { parseHostMessage, type HostMessage } from '../../../src-renderer/sdk/protocol.js';
import type * as Sdk from '../../../src-renderer/sdk/protocol.js';
import type { Api } from '../../../src-renderer/services/api.js';
import type { StartupBody as PresetStartupBody, Target as PresetTarget } from '../../../src-renderer/store/presets.js';

/** True only when A and B are the same type (optional keys, readonly and unions included). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function sameType<A, B>(same: Same<A, B>): boolean {
  return same;
}
/** True when every A is a B (what the studio sends is accepted by the route's schema). */
function fits<A, B>(fits: [A] extends [B] ? true : false): boolean {
  return fits;
}

/** The type of a route's JSON answer with `status`, from the schema in the route table. */
type Answer<Route, Status extends number> = Route extends { responses: { [K in Status]: { schema: infer S } } } ? (S extends TSchema ? Static<S> : never) : never;
/** The type of a route's JSON body, from the schema in the route table. */
type Body<Route> = Route extends { body?: infer S } ? (S extends TSchema ? Static<S> : never) : never;
type Returns<F> = F extends (...args: never[]) => Promise<infer T> ? T : never;

// Answers: what the routes serialize is what the studio and the SDK read. Each line is a compile error on drift.
sameType<Answer<typeof PUSH_ROUTES.startup, 200>, Sdk.TransponderJSON>(true);
sameType<Answer<typeof PUSH_ROUTES.startup, 200>, Returns<Api['push']['startup']>>(true);
sameType<Answer<typeof PUSH_ROUTES.find_all, 200>, Returns<Api['push']['findAll']>>(true);
sameType<Answer<typeof PUSH_GET_ROUTES.find_all, 200>, Sdk.TransponderJSON[]>(true);
sameType<Answer<typeof PUSH_ROUTES.find, 200>, Sdk.TransponderJSON[]>(true);
sameType<Answer<typeof STUDIO_ROUTES.info, 200>, Returns<Api['info']>>(true);
sameType<Answer<typeof STUDIO_ROUTES.getMedia, 200>, Returns<Api['media']>>(true);
sameType<Answer<typeof STUDIO_ROUTES.putMedia, 200>, Returns<Api['uploadMedia']>>(true);
sameType<Answer<typeof STUDIO_ROUTES.getTargets, 200>, Returns<Api['targets']>>(true);
sameType<Answer<typeof STUDIO_ROUTES.putTargets, 200>, Returns<Api['saveTargets']>>(true);
sameType<Answer<typeof STUDIO_ROUTES.getTargets, 200>, PresetTarget[]>(true);

// Bodies: what the studio sends is what the routes validate.
sameType<Body<typeof PUSH_ROUTES.startup>, PresetStartupBody>(true);
sameType<Body<typeof PUSH_ROUTES.startup>, Parameters<Api['push']['startup']>[0]>(true);
fits<Parameters<Api['saveTargets']>[0], Body<typeof STUDIO_ROUTES.putTargets>>(true);
fits<{ mediaSessionId: string }, Body<typeof PUSH_ROUTES.terminate>>(true);
fits<{ mediaSessionId: string; soundFile: string; loop: boolean }, Body<typeof PUSH_ROUTES.sound_on>>(true);

// The host's side: the relay's and the handlers' types are the same schemas'.
sameType<Relay.TransponderJSON, Answer<typeof PUSH_ROUTES.startup, 200>>(true);
sameType<Relay.StartupRequest, Body<typeof PUSH_ROUTES.startup>>(true);
sameType<Relay.FindQuery, Body<typeof PUSH_ROUTES.find>>(true);
sameType<HandlerHostInfo, Answer<typeof STUDIO_ROUTES.info, 200>>(true);
sameType<AudioCodec, Contract.AudioCodec>(true);
sameType<AudioCodec, NonNullable<Sdk.TransponderOptions['audioCodec']>>(true);

const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONFIG_FILE = `${ROOT}tsconfig.json`;

function compilerOptions(): ts.CompilerOptions {
  const read = ts.readConfigFile(CONFIG_FILE, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT);
  return { ...parsed.options, noEmit: true };
}

/** A file that exists only in the compiler's view of the tree: a hand-kept HostInfo that has drifted from the
 *  contract (every field but version optional, no secretStorage). */
const DRIFTED_FILE = `${ROOT}test/unit/renderer/drifted-host-info.ts`;
const DRIFTED_SOURCE = `
import { STUDIO_ROUTES } from '../../../src-main/rest/schemas.js';
import type { Static } from 'typebox';
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
interface RendererHostInfo { version: string; localRtmpUrl?: string | null; previewBaseUrl?: string | null; mediaDir?: string; dataDir?: string }
export const same: Same<Static<(typeof STUDIO_ROUTES.info.responses)[200]['schema']>, RendererHostInfo> = true;
`;

describe('the renderer and the host take their wire types from the one contract', () => {
  test('this guard file type-checks, and a renderer type that drifted from the route schema does not', { timeout: 180_000 }, () => {
    const options = compilerOptions();
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, onError, create) =>
      name === DRIFTED_FILE ? ts.createSourceFile(name, DRIFTED_SOURCE, version) : getSourceFile(name, version, onError, create);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === DRIFTED_FILE || fileExists(name);
    const program = ts.createProgram([THIS_FILE, DRIFTED_FILE], options, host);
    const messages = (file: string) =>
      ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(messages(THIS_FILE), []);
    const drift = messages(DRIFTED_FILE);
    assert.equal(drift.length, 1, drift.join('\n'));
    assert.match(drift[0]!, /Type 'true' is not assignable to type 'false'/);
  });

  test('the route table validates and answers with the contract schemas themselves, and the OpenAPI document prints them', () => {
    assert.equal(PUSH_ROUTES.startup.body, Contract.StartupBody);
    assert.equal(PUSH_ROUTES.find.body, Contract.FindBody);
    assert.equal(PUSH_ROUTES.sound_on.body, Contract.SoundOnBody);
    for (const m of ['terminate', 'mute', 'unmute', 'sound_off'] as const) assert.equal(PUSH_ROUTES[m].body, Contract.MediaSessionBody, m);
    assert.equal(PUSH_ROUTES.startup.responses[200].schema, Contract.Transponder);
    assert.equal(STUDIO_ROUTES.info.responses[200].schema, HostInfo);
    assert.equal(STUDIO_ROUTES.getMedia.responses[200].schema, MediaList);
    assert.equal(STUDIO_ROUTES.getTargets.responses[200].schema, TargetList);
    assert.deepEqual([...Contract.AUDIO_CODECS], [...AUDIO_CODECS]);

    const doc = buildOpenApi(ALL_ROUTES, '0.0.0') as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>> };
    const startup = doc.paths['/rest-api/push/startup']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(JSON.parse(JSON.stringify(startup)), JSON.parse(JSON.stringify(Contract.StartupBody)));
    assert.ok('noPrefix' in Contract.StartupBody.properties, 'the studio presets send noPrefix: the body declares it');
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
