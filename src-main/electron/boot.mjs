// Electron's entry (package.json "main" points at dist-main/electron/main.js when built; `npm start`
// runs this file): registers tsx so main.ts and the host run as TypeScript, like bin/castbridge.js.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
