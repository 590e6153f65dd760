// The studio's Content-Security-Policy (docs/DESIGN.md §7), one definition for both places that send it: the
// host's static route (every page it serves, whatever browser opens it) and the Electron shell (as a header
// on the app's origin). The SDK example page may connect to other hosts; everything else is the same. The built index.html carries the same policy in a <meta> for a page saved to disk.

/** The SDK example page (`/sdk/`) takes the host to publish to as input: it may reach any host's /ws. */
const SDK_CONNECT_SOURCES = ['ws:', 'wss:', 'http:', 'https:'];

/** Scripts and styles from the host only; the preview's HTTP-FLV comes from the embedded RTMP server
 *  (`previewOrigin`), a different loopback port. */
export function contentSecurityPolicy(previewOrigin: string | undefined, connectAnywhere = false): string {
  const connect = ["'self'", previewOrigin, ...(connectAnywhere ? SDK_CONNECT_SOURCES : [])].filter((x): x is string => !!x).join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: mediastream:",
    `connect-src ${connect}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** "http://127.0.0.1:8000/live" → "http://127.0.0.1:8000"; undefined for null or a non-URL. */
export function originOf(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
