// Replays what real servers sent our publisher (captured through a recording proxy, the bytes after
// S0+S1+S2): nginx-rtmp, node-media-server 4.4.3 and `ffmpeg -listen 1`. The reader must take their chunk
// forms and control messages, and every message must survive a write/read round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { asAmf0Record, decodeAmf0 } from '../../../src-relay/rtmp/amf0.js';
import { ChunkReader, ChunkWriter, type RtmpMessage } from '../../../src-relay/rtmp/chunk.js';
import { MessageType } from '../../../src-relay/rtmp/control.js';

const FIXTURES = [
  { file: 'nginx-rtmp-publish.server.bin', chunkSize: 4096 },
  { file: 'node-media-server-publish.server.bin', chunkSize: 65535 },
  { file: 'ffmpeg-listen-publish.server.bin', chunkSize: 128 },
];

function commandCodes(messages: RtmpMessage[]): string[] {
  return messages
    .filter((m) => m.typeId === MessageType.commandAmf0)
    .map((m) => {
      const [name, , , info] = decodeAmf0(m.payload);
      const code = asAmf0Record(info ?? null)?.code;
      return `${String(name)}${typeof code === 'string' ? ` ${code}` : ''}`;
    });
}

for (const { file, chunkSize } of FIXTURES) {
  test(`${file}: connect succeeds and publishing starts, and every message round-trips`, () => {
    const bytes = readFileSync(new URL(`../../fixtures/rtmp/${file}`, import.meta.url));
    const reader = new ChunkReader();
    const messages = reader.push(bytes);
    assert.equal(reader.chunkSize, chunkSize);
    const codes = commandCodes(messages);
    assert.ok(codes.includes('_result NetConnection.Connect.Success'), codes.join(' | '));
    assert.ok(codes.includes('onStatus NetStream.Publish.Start'), codes.join(' | '));
    assert.deepEqual(messages.slice(0, 2).map((m) => m.typeId), [MessageType.windowAckSize, MessageType.setPeerBandwidth]);

    const writer = new ChunkWriter();
    const rewritten = messages.map((m) => {
      const out = writer.write(m);
      if (m.typeId === MessageType.setChunkSize) writer.setChunkSize(m.payload.readUInt32BE(0));
      return out;
    });
    assert.deepEqual(new ChunkReader().push(Buffer.concat(rewritten)), messages);
  });
}
