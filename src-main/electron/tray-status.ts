// The tray's one-line live status (pure, so it is tested without Electron).
import type { TransponderJSON } from '../../src-relay/index.js';

export function trayStatus(transponders: readonly Pick<TransponderJSON, 'status'>[]): string {
  const count = (status: TransponderJSON['status']): number => transponders.filter((t) => t.status === status).length;
  const live = count('PUBLISHING');
  const connecting = count('RECONNECTING') + count('CONNECTING');
  const failed = count('FAILED');
  if (transponders.length === 0) return 'Castbridge — idle';
  const parts = [`${live} live`];
  if (connecting) parts.push(`${connecting} connecting`);
  if (failed) parts.push(`${failed} failed`);
  return `Castbridge — ${parts.join(', ')}`;
}
