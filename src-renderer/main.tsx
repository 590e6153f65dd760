// Studio entry: one store (its actions reach the host through the browser's services), one React root.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.js';
import { StudioContext } from './store/hooks.js';
import { createStudioStore } from './store/studio-store.js';
import './styles.css';

const store = createStudioStore();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <StudioContext.Provider value={store}>
      <App />
    </StudioContext.Provider>
  </StrictMode>,
);
void store.getState().host.start();
