// How saved stream keys are protected at rest (docs/DESIGN.md §7). Electron passes a box backed by safeStorage
// (src-main/electron, H7). Headless there is no OS keychain to ask: the file that holds the keys is created
// with mode 0600 (readable by the user only) and the box itself does not encrypt; its `kind` says so in the UI.

export interface SecretBox {
  /** What protects the secrets, shown in the studio: e.g. "safeStorage", "file-mode-0600". */
  kind: string;
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

/** Headless default: plain text in a file only the user can read (mode 0600). */
export const fileModeSecretBox: SecretBox = {
  kind: 'file-mode-0600',
  encrypt: (plain) => plain,
  decrypt: (sealed) => sealed,
};
