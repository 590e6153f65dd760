// The host's rest_auth_token as the streamer typed it (docs/DESIGN.md §7): kept for this browser tab only
// (sessionStorage), never across restarts.

const TOKEN_STORAGE_KEY = 'castbridge.accessToken';

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the token and reloads the studio, which then starts with it. */
export function unlockWithToken(token: string): void {
  sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  location.reload();
}
