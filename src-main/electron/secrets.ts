// Stream keys at rest through Electron's safeStorage (OS keychain / DPAPI / libsecret). On Linux without
// a keyring safeStorage falls back to `basic_text` (a hard-coded password): still used, but the streamer
// is warned (docs/DESIGN.md §7).
import type { SecretBox } from '../config/secrets.js';

/** The part of Electron's `safeStorage` we use (structural, so tests need no Electron). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(sealed: Buffer): string;
  getSelectedStorageBackend?(): string;
}

const SEALED_PREFIX = 'safe:';

export interface SafeStorageBox {
  box: SecretBox;
  /** A sentence for the UI and the log when keys are not really protected. */
  warning: string | undefined;
}

export function createSafeStorageBox(safeStorage: SafeStorageLike, platform: string = process.platform): SafeStorageBox {
  const available = safeStorage.isEncryptionAvailable();
  const backend = platform === 'linux' ? safeStorage.getSelectedStorageBackend?.() : undefined;
  let warning: string | undefined;
  if (!available) warning = 'The system keychain is unavailable: stream keys are stored readable by your user account only.';
  else if (backend === 'basic_text') warning = 'No keyring (GNOME Keyring/KWallet) was found: stream keys are only obfuscated, not encrypted.';
  const box: SecretBox = {
    kind: available ? `safeStorage${backend ? `:${backend}` : ''}` : 'file-mode-0600',
    encrypt: (plain) => (available ? SEALED_PREFIX + safeStorage.encryptString(plain).toString('base64') : plain),
    decrypt: (sealed) => (sealed.startsWith(SEALED_PREFIX) ? safeStorage.decryptString(Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64')) : sealed),
  };
  return { box, warning };
}
