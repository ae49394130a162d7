import { E2E_PORT } from './env.ts';
import { startAppServer } from './server.ts';

/** One server for the whole run; tests that restart a server start their own (fixtures.ts). */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const server = await startAppServer(E2E_PORT);
  return () => server.stop();
}
