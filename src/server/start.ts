import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { SiteOptions } from './site.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the site (port 0 = any free port) and resolves once it listens. */
export async function startServer(opts: SiteOptions & { port?: number }): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = createApp({ ...opts, host });
  const server = app.listen(opts.port ?? 0, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err: NodeJS.ErrnoException) => {
      const inUse = `--port: ${host}:${opts.port} is already in use; pick another port`;
      reject(new Error(err.code === 'EADDRINUSE' ? inUse : `cannot listen on ${host}:${opts.port}: ${err.message}`));
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
