// Studio entry: one store, one service, one React root.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.js';
import { createStudioService } from './services/studio-service.js';
import { StudioContext } from './store/hooks.js';
import { createStudioStore } from './store/studio-store.js';
import './styles.css';

const store = createStudioStore();
const service = createStudioService(store);
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <StudioContext.Provider value={{ store, service }}>
      <App />
    </StudioContext.Provider>
  </StrictMode>,
);
void service.start();
