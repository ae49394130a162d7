/**
 * Browser benchmarks run WebRTC, which must only ever use loopback here. When this process is
 * not already in a loopback-only network namespace, re-run the same command inside a fresh one
 * (needs root, as CI and this machine have) and exit with its status.
 */
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';

const ISOLATED_FLAG = 'CP_BENCH_NETNS';

function isLoopbackOnly(): boolean {
  return Object.keys(networkInterfaces()).every((name) => name === 'lo');
}

/** Returns when already isolated; otherwise re-executes this command isolated and exits. */
export function ensureLoopbackOnly(benchName: string): void {
  if (isLoopbackOnly()) return;
  if (process.env[ISOLATED_FLAG] === '1') {
    console.error(`${benchName}: still not loopback-only inside the namespace; refusing to run WebRTC on real interfaces.`);
    process.exit(1);
  }
  if (process.getuid?.() !== 0) {
    console.error(
      `${benchName}: must run in a loopback-only network namespace, which needs root:\n` +
        `  sudo unshare -n sh -c 'ip link set lo up && npm run ${benchName}'`,
    );
    process.exit(1);
  }
  const command = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const result = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...command], {
    stdio: 'inherit',
    env: { ...process.env, [ISOLATED_FLAG]: '1' },
  });
  if (result.error) {
    console.error(`${benchName}: could not run unshare: ${result.error.message}`);
    process.exit(1);
  }
  process.exit(result.status ?? 1);
}
