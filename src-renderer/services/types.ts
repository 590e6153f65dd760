// Shapes the service layer hands to the store that have no schema of their own in src-contract/: the
// services import nothing from the store, so the store can build on them without an import circle.

/** One setting as `GET /api/settings` lists it. */
export interface SettingItem {
  key: string;
  value: string;
  default: string;
  description: string;
  /** The host's complaint about the saved value (bad value in the file). */
  error?: string;
  /** The value's kind as the host declares it: string, path, boolean, integer, port, address, rtmpUrl, hostList, originList. */
  type?: string;
  /** Takes effect after a restart of Castbridge. */
  restart?: boolean;
  /** Set with `--set` for this run: the saved value applies from the next start. */
  overridden?: boolean;
  /** Inclusive bounds of a number, as the host declares them. */
  min?: number;
  max?: number;
}
