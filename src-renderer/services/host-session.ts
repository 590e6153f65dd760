// The studio's WebSocket session to its own host (the SDK): publishing, and the host's events on `/ws`.
import { createSession, type Session } from '../sdk/index.js';

/** Opens a session to the page's host, subscribed to its events (transponders, stats). */
export function openHostSession(accessToken: string | undefined): Session {
  const session = createSession(accessToken ? { urlServer: location.origin, accessToken } : { urlServer: location.origin });
  session.subscribeEvents();
  return session;
}
