import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Amf0Error, EcmaArray, decodeAmf0, encodeAmf0, type Amf0Value } from '../../../src-relay/rtmp/amf0.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ONE = '3ff0000000000000'; // IEEE 754 double 1.0

describe('AMF0 known encodings (AMF0 spec §2)', () => {
  const cases: [string, Amf0Value, string][] = [
    ['number', 1, `00 ${ONE}`],
    ['boolean', true, '01 01'],
    ['string', 'ab', '02 0002 6162'],
    ['null', null, '05'],
    ['undefined', undefined, '06'],
    ['object', { a: 1 }, `03 0001 61 00 ${ONE} 0000 09`],
    ['ECMA array', new EcmaArray({ x: 'y' }), '08 00000001 0001 78 02 0001 79 0000 09'],
    ['strict array', [1, null], `0a 00000002 00 ${ONE} 05`],
    ['date', new Date(0), '0b 0000000000000000 0000'],
  ];
  for (const [name, value, bytes] of cases) {
    test(`${name} encodes to the spec's bytes and decodes back`, () => {
      assert.deepEqual(encodeAmf0(value), hex(bytes));
      assert.deepEqual(decodeAmf0(hex(bytes)), [value]);
    });
  }

  test('a string over 65535 bytes becomes a long string (0x0C) and round-trips', () => {
    const long = 'x'.repeat(70_000);
    const encoded = encodeAmf0(long);
    assert.equal(encoded[0], 0x0c);
    assert.equal(encoded.readUInt32BE(1), 70_000);
    assert.deepEqual(decodeAmf0(encoded), [long]);
  });

  test('an RTMP command round-trips: name, transaction, null, command object', () => {
    const values: Amf0Value[] = ['connect', 1, { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl: 'rtmp://h/live', nested: { list: [1, 'two', false, new Date(1700000000000)] } }];
    assert.deepEqual(decodeAmf0(encodeAmf0(...values)), values);
  });

  test('references (0x07) decode to the same object', () => {
    const bytes = hex(`0a 00000002 03 0001 61 00 ${ONE} 0000 09 07 0001`); // index 0 is the array itself, 1 the object
    const [array] = decodeAmf0(bytes) as [Amf0Value[]];
    assert.equal(array[0], array[1]);
    assert.deepEqual(array[1], { a: 1 });
  });

  test('XML document (0x0F), typed object (0x10) and unsupported (0x0D) decode', () => {
    assert.deepEqual(decodeAmf0(hex('0f 00000003 612f62')), ['a/b']);
    assert.deepEqual(decodeAmf0(hex('10 0003 466f6f 0001 61 05 0000 09')), [{ a: null }]);
    assert.deepEqual(decodeAmf0(hex('0d')), [undefined]);
  });

  test('an ECMA array whose count lies (0, as some encoders write) still decodes every entry', () => {
    assert.deepEqual(decodeAmf0(hex(`08 00000000 0001 61 00 ${ONE} 0001 62 01 00 0000 09`)), [new EcmaArray({ a: 1, b: false })]);
  });

  test('"__proto__" from the wire is a plain key, not a prototype', () => {
    const [obj] = decodeAmf0(hex('03 0009 5f5f70726f746f5f5f 02 0001 78 0000 09')) as [Record<string, Amf0Value>];
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value, 'x');
  });
});

describe('AMF0 refuses bad input with an Amf0Error naming the problem', () => {
  const bad: [string, string, RegExp][] = [
    ['a string length past the end', '02 0005 61', /needs 5 bytes at offset 3, only 1 left/],
    ['a truncated number', '00 3ff0', /needs 8 bytes/],
    ['a missing object end', '03 0001 61 05', /needs 2 bytes/],
    ['an object end outside an object', '09', /object-end marker outside an object/],
    ['a strict array count larger than the input', '0a ffffffff 05', /claims 4294967295 values, only 1 bytes left/],
    ['a long string longer than the input', '0c ffffffff', /needs 4294967295 bytes/],
    ['movieclip (reserved)', '04', /0x04 .* not supported/],
    ['AVM+ (AMF3)', '11 01', /0x11 .* not supported/],
    ['a reference to nothing', '07 0003', /reference 3 .* exceeds the 0 complex values/],
    ['a reference into itself (a cycle)', '03 0001 61 07 0000 0000 09', /points into itself/],
  ];
  for (const [name, bytes, message] of bad) {
    test(name, () => {
      assert.throws(() => decodeAmf0(hex(bytes)), (err: unknown) => err instanceof Amf0Error && message.test(err.message));
    });
  }

  test('nesting deeper than the limit (default 64) is refused; a higher limit accepts it', () => {
    const depth = 70;
    const nested = Buffer.concat([...Array.from({ length: depth }, () => hex('0a 00000001')), hex('05')]);
    assert.throws(() => decodeAmf0(nested), /nesting deeper than 64 levels/);
    assert.equal(decodeAmf0(nested, { maxDepth: 100 }).length, 1);
  });

  test('encoding a cycle is refused instead of recursing forever', () => {
    const a: Record<string, Amf0Value> = {};
    a.self = a;
    assert.throws(() => encodeAmf0(a), Amf0Error);
  });
});
