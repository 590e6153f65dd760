// Listening on a configured port, with a refusal the user can act on: the address, the setting to change and
// what to change it to. Shared by the REST/studio ports and the WCS WebSocket ports.
import type { AddressInfo, Server } from 'node:net';

/** A listen failure as a sentence naming the address and the setting to change; `hint` ends the sentence. */
export function listenError(err: NodeJS.ErrnoException, bind: string, port: number, setting: string, hint = ''): Error {
  if (err.code === 'EADDRINUSE') return new Error(`${bind}:${port} (${setting}) is already in use by another program; change ${setting}${hint}`);
  if (err.code === 'EADDRNOTAVAIL') return new Error(`${bind} (rest_bind_address) is not an address of this computer`);
  if (err.code === 'EACCES') return new Error(`not allowed to listen on ${bind}:${port} (${setting}); use a port above 1023`);
  return err;
}

/** Listens and resolves with the port listened on (the one the OS chose for port 0). */
export function listenOn(server: Server, port: number, bind: string, setting: string, hint = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, bind, port, setting, hint));
    server.once('error', onError);
    server.listen(port, bind, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
