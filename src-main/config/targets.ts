// Saved targets of the studio (`/api/targets`): name, kind, rtmpUrl and stream key, in `targets.json` in the
// data folder (mode 0600), the URL and key sealed with the SecretBox.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretBox } from './secrets.js';
import { QUALITIES, type Quality } from '../../src-contract/transponder.js';

export const TARGET_KINDS = ['youtube', 'youtube-backup', 'facebook', 'twitch', 'local', 'custom'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface SavedTarget {
  id: string;
  name: string;
  kind: TargetKind;
  rtmpUrl: string;
  streamKey: string;
  /** The video layer the target gets; absent: its preset's default. */
  quality?: Quality;
}

interface StoredFile {
  box: string;
  targets: SavedTarget[];
}

export const TARGETS_FILE_NAME = 'targets.json';
const MAX_TARGETS = 200;
const MAX_FIELD = 2048;

export class TargetError extends Error {}

export class TargetStore {
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly box: SecretBox,
  ) {
    this.file = join(dataDir, TARGETS_FILE_NAME);
  }

  /** The saved targets; a damaged file is a TargetError naming it (the studio shows it; nothing is lost). */
  load(): SavedTarget[] {
    if (!existsSync(this.file)) return [];
    let stored: StoredFile;
    let targets: SavedTarget[];
    try {
      stored = JSON.parse(readFileSync(this.file, 'utf8')) as StoredFile;
      targets = parseTargets(stored?.targets);
    } catch (err) {
      throw new TargetError(`the saved targets file ${this.file} is damaged (${(err as Error).message}); repair it, or move it away to start again`);
    }
    return targets.map((t) => ({
      ...t,
      rtmpUrl: this.box.decrypt(t.rtmpUrl),
      streamKey: this.box.decrypt(t.streamKey),
    }));
  }

  /** Validates and replaces the whole list. */
  save(input: unknown): SavedTarget[] {
    const targets = parseTargets(input);
    const sealed: StoredFile = {
      box: this.box.kind,
      targets: targets.map((t) => ({ ...t, rtmpUrl: this.box.encrypt(t.rtmpUrl), streamKey: this.box.encrypt(t.streamKey) })),
    };
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, `${JSON.stringify(sealed, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
    return targets;
  }
}

/** Checks an untrusted list of targets; the error names the index and the field. */
export function parseTargets(input: unknown): SavedTarget[] {
  if (!Array.isArray(input)) throw new TargetError('targets must be an array');
  if (input.length > MAX_TARGETS) throw new TargetError(`at most ${MAX_TARGETS} targets, got ${input.length}`);
  return input.map((item, i) => parseTarget(item, i));
}

function parseTarget(item: unknown, i: number): SavedTarget {
  if (typeof item !== 'object' || item === null) throw new TargetError(`targets[${i}] must be an object`);
  const o = item as Record<string, unknown>;
  const field = (name: Exclude<keyof SavedTarget, 'quality'>): string => {
    const v = o[name];
    if (typeof v !== 'string') throw new TargetError(`targets[${i}].${name} must be a string`);
    if (v.length > MAX_FIELD) throw new TargetError(`targets[${i}].${name} is longer than ${MAX_FIELD} characters`);
    return v;
  };
  const kind = field('kind');
  if (!(TARGET_KINDS as readonly string[]).includes(kind)) {
    throw new TargetError(`targets[${i}].kind must be one of ${TARGET_KINDS.join(', ')}, got "${kind}"`);
  }
  const rtmpUrl = field('rtmpUrl');
  if (!/^rtmps?:\/\//i.test(rtmpUrl)) throw new TargetError(`targets[${i}].rtmpUrl must start with rtmp:// or rtmps://`);
  const target: SavedTarget = { id: field('id'), name: field('name'), kind: kind as TargetKind, rtmpUrl, streamKey: field('streamKey') };
  if (o.quality !== undefined) {
    if (!(QUALITIES as readonly unknown[]).includes(o.quality)) throw new TargetError(`targets[${i}].quality must be one of ${QUALITIES.join(', ')}, got ${JSON.stringify(o.quality)}`);
    target.quality = o.quality as Quality;
  }
  return target;
}
