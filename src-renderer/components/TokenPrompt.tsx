// Shown when the host has rest_auth_token set (docs/DESIGN.md §7) and the studio does not know it: without it
// every call is refused and the studio would only say "not answering". The token is kept for this tab only.
import { useState } from 'react';
import { useStudio } from '../store/hooks.js';

export function TokenPrompt() {
  const [token, setToken] = useState('');
  const refused = useStudio((s) => s.host.tokenRefused);
  const unlockWith = useStudio((s) => s.host.unlock);
  const unlock = () => unlockWith(token);
  return (
    <div className="alert token-prompt" role="alert" data-testid="token-prompt">
      <p>
        {refused
          ? 'That access token was not accepted. Type the rest_auth_token from castbridge.properties again.'
          : 'This Castbridge has an access token (rest_auth_token in castbridge.properties). Type it to use the studio.'}
      </p>
      <form
        className="key-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) unlock();
        }}
      >
        <input data-testid="token-input" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} aria-label="Access token" />
        <button className="btn btn-primary" data-testid="token-submit" type="submit" disabled={!token.trim()}>
          Unlock
        </button>
      </form>
    </div>
  );
}
