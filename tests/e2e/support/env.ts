/**
 * Where the shared e2e server listens. Fixed (not port 0) because Playwright reads `baseURL`
 * before global setup runs; override with E2E_PORT if it is taken. Always loopback.
 */
export const E2E_HOST = '127.0.0.1';
export const E2E_PORT = Number(process.env['E2E_PORT'] ?? 4173);
export const E2E_BASE_URL = `http://${E2E_HOST}:${E2E_PORT}`;
