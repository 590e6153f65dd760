// One window, two views: the studio (source, targets, transponders, preview) and the settings.
import { useState } from 'react';
import { useStudio } from '../store/hooks.js';
import { MixerPanel } from './MixerPanel.js';
import { RecordingsPanel } from './RecordingsPanel.js';
import { ScenesPanel } from './ScenesPanel.js';
import { ScreenPicker } from './ScreenPicker.js';
import { SettingsPanel } from './SettingsPanel.js';
import { SourcePanel } from './SourcePanel.js';
import { TargetPreview } from './TargetPreview.js';
import { TargetsPanel } from './TargetsPanel.js';
import { TokenPrompt } from './TokenPrompt.js';
import { TranspondersPanel } from './TranspondersPanel.js';

const SESSION_TEXT = {
  CONNECTING: 'Connecting to the relay…',
  ESTABLISHED: 'Relay ready',
  DISCONNECTED: 'Connection to the relay lost, reconnecting…',
  FAILED: 'The relay is not answering, retrying…',
  TOKEN_NEEDED: 'Access token needed',
} as const;

export function App() {
  const [view, setView] = useState<'studio' | 'settings'>('studio');
  const session = useStudio((s) => s.host.connection);
  const live = useStudio((s) => s.publish.status === 'PUBLISHING');
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className={live ? 'dot dot-live' : 'dot'} /> Castbridge <span className="brand-sub">Studio</span>
        </div>
        <nav className="tabs">
          <button data-testid="tab-studio" className={view === 'studio' ? 'tab active' : 'tab'} onClick={() => setView('studio')}>
            Studio
          </button>
          <button data-testid="tab-settings" className={view === 'settings' ? 'tab active' : 'tab'} onClick={() => setView('settings')}>
            Settings
          </button>
        </nav>
        <div data-testid="session-status" className={`session session-${session.toLowerCase()}`}>
          {SESSION_TEXT[session]}
        </div>
      </header>
      {session === 'TOKEN_NEEDED' && <TokenPrompt />}
      <ScreenPicker />
      {view === 'studio' ? (
        <main className="studio">
          <div className="col-main">
            <SourcePanel />
            <ScenesPanel />
            <TranspondersPanel />
          </div>
          <div className="col-side">
            <TargetsPanel />
            <MixerPanel />
            <RecordingsPanel />
            <TargetPreview />
          </div>
        </main>
      ) : (
        <SettingsPanel />
      )}
    </div>
  );
}
