// The publish sequence of docs/DESIGN.md §5 as it crosses the wire: `castbridge push` publishes a small
// FLV to the test RTMP server (test/helpers/rtmp-auth-server.ts) through a wire tap that reads every byte the
// client sends with our chunk reader. The exact order of every client message is checked, control messages
// included: Set Chunk Size 4096, connect (app, tcUrl, flashVer, type), releaseStream, FCPublish,
// createStream, publish(name, 'live'), @setDataFrame onMetaData, media, then FCUnpublish and deleteStream.
// (nginx-rtmp's view of flashVer is in url-rules.test.ts.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { decodeAmf0, asAmf0Record, type Amf0Value } from '../../src-relay/rtmp/amf0.js';
import { ChunkReader, type RtmpMessage } from '../../src-relay/rtmp/chunk.js';
import { MessageType } from '../../src-relay/rtmp/control.js';
import { HANDSHAKE_SIZE } from '../../src-relay/rtmp/handshake.js';
import { push } from '../helpers/castbridge-push.js';
import { startRtmpTestServer, type RtmpTestServer } from '../helpers/rtmp-auth-server.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'flv', 'testsrc-64x48-0.5s.flv');
const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
/** RTMP spec §5.2: C0 is one byte, C1 and C2 HANDSHAKE_SIZE each. */
const CLIENT_HANDSHAKE_BYTES = 1 + 2 * HANDSHAKE_SIZE;
const CHUNK_SIZE = 4096;

interface Tapped {
  /** Every message the client sent, in order (after the handshake). */
  messages: RtmpMessage[];
  errors: Error[];
}

/** A TCP proxy to `upstreamPort` that parses what the client sends (one connection per tap entry). */
async function startTap(upstreamPort: number): Promise<{ port: number; taps: Tapped[]; close(): Promise<void> }> {
  const taps: Tapped[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const tap: Tapped = { messages: [], errors: [] };
    taps.push(tap);
    const upstream = connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    const reader = new ChunkReader();
    let skip = CLIENT_HANDSHAKE_BYTES;
    client.on('data', (data: Buffer) => {
      upstream.write(data);
      const take = Math.min(skip, data.length);
      skip -= take;
      if (take === data.length) return;
      try {
        tap.messages.push(...reader.push(data.subarray(take)));
      } catch (error) {
        tap.errors.push(error as Error);
      }
    });
    upstream.pipe(client);
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    taps,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A message as a short label: the command or data name, or the message type. */
function label(m: RtmpMessage): string {
  if (m.typeId === MessageType.commandAmf0 || m.typeId === MessageType.dataAmf0) {
    const values = decodeAmf0(m.payload);
    return m.typeId === MessageType.dataAmf0 ? `data:${values.slice(0, 2).join(' ')}` : String(values[0]);
  }
  const name = Object.entries(MessageType).find(([, id]) => id === m.typeId)?.[0] ?? `type${m.typeId}`;
  return name;
}

describe('the RTMP publish sequence on the wire (castbridge push → test server)', { timeout: 90_000 }, () => {
  let server: RtmpTestServer;
  let tap: Awaited<ReturnType<typeof startTap>>;
  before(async () => {
    server = await startRtmpTestServer();
    tap = await startTap(server.port);
  });
  after(async () => {
    await tap?.close();
    await server?.close();
  });

  test('connect → releaseStream → FCPublish → createStream → publish → onMetaData → media → FCUnpublish → deleteStream', async () => {
    const result = await push([FIXTURE, `rtmp://127.0.0.1:${tap.port}/live`, '--stream-name', 'cam7', '--set', 'rtmp_transponder_stream_name_prefix=']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(tap.taps.length, 1, 'one connection');
    const [{ messages, errors }] = tap.taps as [Tapped];
    assert.deepEqual(errors, [], 'the client stream parses');

    // Collapse runs of media so the order is readable: audio/video become one "media" step.
    const labels = messages.map(label).filter((l) => l !== 'acknowledgement' && l !== 'userControl');
    const steps = labels.map((l) => (l === 'audio' || l === 'video' ? 'media' : l)).filter((l, i, all) => l !== 'media' || all[i - 1] !== 'media');
    assert.deepEqual(steps, [
      'setChunkSize',
      'connect',
      'releaseStream',
      'FCPublish',
      'createStream',
      'publish',
      // Our Window Acknowledgement Size once publishing started: the server then acknowledges what it
      // received, which is how a target that stops reading is told from a full send buffer (acks.ts).
      'windowAckSize',
      'data:@setDataFrame onMetaData',
      'media',
      'FCUnpublish',
      'deleteStream',
    ]);

    // Set Chunk Size 4096 (RTMP spec §5.4.1), before any media.
    const chunkSize = messages.find((m) => m.typeId === MessageType.setChunkSize)!;
    assert.equal(chunkSize.payload.readUInt32BE(0), CHUNK_SIZE);
    assert.equal(chunkSize.streamId, 0);

    const command = (name: string): Amf0Value[] => decodeAmf0(messages.find((m) => m.typeId === MessageType.commandAmf0 && decodeAmf0(m.payload)[0] === name)!.payload);
    const connectObject = asAmf0Record(command('connect')[2]!)!;
    assert.equal(connectObject.app, 'live');
    assert.equal(connectObject.tcUrl, `rtmp://127.0.0.1:${tap.port}/live`);
    assert.equal(connectObject.flashVer, `FMLE/3.0 (compatible; Castbridge/${VERSION})`);
    assert.equal(connectObject.type, 'nonprivate');
    assert.equal(command('releaseStream')[3], 'cam7');
    assert.equal(command('FCPublish')[3], 'cam7');
    const publish = command('publish');
    assert.deepEqual(publish.slice(3), ['cam7', 'live']);
    assert.equal(command('FCUnpublish')[3], 'cam7');
    // deleteStream names the stream id createStream returned (the test server answers 1).
    assert.equal(command('deleteStream')[3], 1);
    const publishMessage = messages.find((m) => m.typeId === MessageType.commandAmf0 && decodeAmf0(m.payload)[0] === 'publish')!;
    assert.equal(publishMessage.streamId, 1, 'publish goes on the created stream');

    // The server saw the same: the name, 'live', media with both audio and video.
    const [record] = server.publishes;
    assert.ok(record, 'the server recorded a publish');
    assert.equal(record.streamName, 'cam7');
    assert.equal(record.type, 'live');
    assert.ok(record.media.some((m) => m.typeId === MessageType.audio) && record.media.some((m) => m.typeId === MessageType.video));
    assert.deepEqual(
      record.commands.filter((c) => c === 'FCUnpublish' || c === 'deleteStream'),
      ['FCUnpublish', 'deleteStream'],
    );
  });
});
