// `castbridge push FILE.flv RTMP_URL [--stream-name NAME] [--set key=value ...] [--no-pace] [--verbose]`:
// streams an FLV file to an RTMP(S) target through our own RTMP client, in real time (paced by the tags'
// timestamps) or as fast as the target accepts (--no-pace, for benchmarks). The same URL rules and
// settings (docs/DESIGN.md §5–6) as a transponder; never prints a stream key or password.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { appVersion, consoleLog, redactName, redactUrl, RtmpError, RtmpPublisher, type RtmpTarget, RtmpUrlError, silentLog } from '../../src-relay/index.js';
import { parsePushArgs, pushTarget, PushUsageError, PUSH_USAGE, type PushArgs } from './push-args.js';
import { readFlvFile } from './flv-file.js';
import { PushAborted, pushTags } from './push-stream.js';

export { PUSH_USAGE };

function formatTime(ms: number): string {
  const s = ms / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}

/** The command: exit 0 when the whole file was sent, 1 on a failure, 2 on a usage error, 130 on Ctrl-C. */
export async function runPush(argv: readonly string[], stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const say = (line: string): void => void stderr.write(`${line}\n`);
  if (argv.includes('--help') || argv.includes('-h')) {
    say(PUSH_USAGE);
    return 0;
  }
  let args: PushArgs;
  let target: RtmpTarget;
  try {
    args = parsePushArgs(argv);
    target = pushTarget(args);
  } catch (error) {
    if (error instanceof PushUsageError || error instanceof RtmpUrlError) {
      say(`castbridge push: ${error.message}\n${PUSH_USAGE.split('\n')[0]} (--help for more)`);
      return 2;
    }
    throw error;
  }
  const where = `${redactUrl(target.tcUrl)} as ${redactName(target.streamName)}`;
  try {
    const info = await stat(args.file);
    if (!info.isFile()) throw new Error('not a regular file');
  } catch (error) {
    say(`castbridge push: cannot read ${args.file}: ${(error as Error).message}`);
    return 1;
  }
  const version = appVersion();
  const publisher = new RtmpPublisher(target, { log: args.verbose ? consoleLog : silentLog });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    say(`castbridge push: connecting to ${where}`);
    await publisher.start();
    say(`castbridge push: publishing ${basename(args.file)}${args.pace ? '' : ' (no pacing)'}`);
    const started = performance.now();
    const result = await pushTags(publisher, readFlvFile(args.file), version, {
      pace: args.pace,
      signal: abort.signal,
      onProgress: (p) => say(`time=${formatTime(p.mediaMs)} bitrate=${p.bitrateKbps.toFixed(1)}kb/s sent=${(p.bytesSent / 1024).toFixed(0)}KiB`),
    });
    await publisher.stop();
    const wallS = (performance.now() - started) / 1000;
    say(
      `castbridge push: done: ${result.tags} tags, ${formatTime(result.mediaMs)} of media, ${(result.bytesSent / 1024).toFixed(0)} KiB in ${wallS.toFixed(1)} s` +
        (result.droppedFrames ? `, ${result.droppedFrames} video frames dropped (congestion)` : ''),
    );
    return 0;
  } catch (error) {
    if (error instanceof PushAborted) {
      await publisher.stop(); // a clean unpublish: the server closes its recording
      say('castbridge push: interrupted');
      return 130;
    }
    publisher.destroy();
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof RtmpError ? ` [${error.code}]` : '';
    say(`castbridge push: failed to push to ${where}: ${message}${code}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
