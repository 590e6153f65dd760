// Electron's entry. The build (scripts/build-main.js) copies this file to dist-main/electron/main.js —
// package.json "main", in a clone and in the installers — beside app.js, the compiled main.ts. Source maps
// are enabled before app.js loads, so stack traces name the .ts sources.
process.setSourceMapsEnabled(true);
await import('./app.js');
