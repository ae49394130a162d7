/**
 * Browser benchmarks (and the robots' browser test) run WebRTC, which must only ever use
 * addresses of a network namespace we made ourselves. When this process is not already in such
 * a namespace, re-run the same command inside a fresh one (`unshare -n`, needs root, as CI and
 * this machine have) and exit with its status.
 *
 * Robots (src/robots) use node-datachannel, whose ICE agent ignores loopback, so a namespace for
 * robots also gets a veth pair with one private address (ROBOT_VETH). Both ends live in the
 * namespace: the address exists nowhere else, traffic on it never leaves it. Chromium
 * tabs in the namespace gather candidates on the veth addresses too (besides 127.0.0.1 with
 * --allow-loopback-in-peer-connection), so tabs and robots pair over 10.77.0.x.
 */
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';

const ISOLATED_FLAG = 'CP_BENCH_NETNS';

/**
 * The veth pair inside our own namespace: names and the one address it carries. One address, as
 * on a teacher's laptop with one LAN address: every node of the namespace reaches every other on
 * it (a local address is routed inside the host), and each robot gathers one ICE candidate, not
 * one per address. With an address on each end, every robot offered two host candidates and
 * every pair of nodes checked 2×2 (robots) or 3×2 (a tab and a robot) candidate pairs through
 * STUN, each packet also crossing a tab's IPC to Chromium's network process. IPv6 is off on the
 * pair, so no link-local candidates either.
 */
export const ROBOT_VETH = {
  names: ['cpv0', 'cpv1'],
  addresses: ['10.77.0.1'],
  prefixLength: 24,
} as const;

/** The kernel's link watcher marks a link running within about a second; five leave room for a busy machine. */
const VETH_UP_WITHIN_MS = 5_000;

const VETH_SETUP = [
  `ip link add ${ROBOT_VETH.names[0]} type veth peer name ${ROBOT_VETH.names[1]}`,
  ...ROBOT_VETH.names.map((name) => `{ sysctl -qw net.ipv6.conf.${name}.disable_ipv6=1 || true; }`),
  `ip addr add ${ROBOT_VETH.addresses[0]}/${ROBOT_VETH.prefixLength} dev ${ROBOT_VETH.names[0]}`,
  `ip link set ${ROBOT_VETH.names[0]} up`,
  `ip link set ${ROBOT_VETH.names[1]} up`,
].join(' && ');

/**
 * True when every interface is loopback or our veth pair carrying only its own addresses: a
 * namespace we made, never the machine's real one.
 */
export function isIsolated(): boolean {
  const veth = ROBOT_VETH.names as readonly string[];
  const ours = ROBOT_VETH.addresses as readonly string[];
  return Object.entries(networkInterfaces()).every(
    ([name, addresses]) =>
      name === 'lo' || (veth.includes(name) && (addresses ?? []).every((a) => a.family !== 'IPv4' || ours.includes(a.address))),
  );
}

export function hasRobotVeth(): boolean {
  return networkInterfaces()[ROBOT_VETH.names[0]]?.some((a) => a.family === 'IPv4' && a.address === ROBOT_VETH.addresses[0]) === true;
}

/**
 * Inside an isolated namespace (checked first): adds the veth pair if it is missing. Returns an
 * error text instead of throwing (not root, no `ip`), for a test to skip loudly with.
 */
export function addRobotVeth(): string | undefined {
  if (!isIsolated()) return 'not in a namespace of our own: refusing to add interfaces to this machine';
  if (hasRobotVeth()) return undefined;
  if (!vethExists()) {
    if (process.getuid?.() !== 0) return 'adding the veth pair for the robots needs root';
    const result = spawnSync('sh', ['-c', VETH_SETUP], { encoding: 'utf8' });
    // Two test files of one run (Vitest's workers) may add it at once: the loser finds it made.
    if (result.status !== 0 && !vethExists()) return `could not add the veth pair: ${result.stderr || result.error?.message}`;
  }
  return awaitRobotVeth();
}

/** Not /sys/class/net: sysfs shows the namespace that mounted it, not this one. */
function vethExists(): boolean {
  return spawnSync('ip', ['link', 'show', 'dev', ROBOT_VETH.names[0]], { stdio: 'ignore' }).status === 0;
}

/**
 * Node lists an interface's addresses only once the kernel marks it running, and the kernel's
 * link watcher does that up to a second after both ends are up (`ip` returns before): on CI the
 * first look came too early and the test failed. A fresh namespace's re-executed command (see
 * ensureLoopbackOnly) can start inside that second as well.
 */
function awaitRobotVeth(): string | undefined {
  const deadline = Date.now() + VETH_UP_WITHIN_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!hasRobotVeth()) {
    if (Date.now() >= deadline) {
      const link = spawnSync('ip', ['-o', 'addr', 'show', 'dev', ROBOT_VETH.names[0]], { encoding: 'utf8' });
      return `the veth pair did not come up within ${VETH_UP_WITHIN_MS} ms: ${(link.stdout || link.stderr).trim()}`;
    }
    Atomics.wait(pause, 0, 0, 50);
  }
  return undefined;
}

/**
 * Returns when already isolated (adding the veth pair if `robots`); otherwise re-executes this
 * command in a fresh namespace and exits with its status.
 */
export function ensureLoopbackOnly(benchName: string, options: { readonly robots?: boolean } = {}): void {
  if (isIsolated()) {
    if (options.robots) {
      const problem = addRobotVeth();
      if (problem !== undefined) {
        console.error(`${benchName}: ${problem}`);
        process.exit(1);
      }
    }
    return;
  }
  if (process.env[ISOLATED_FLAG] === '1') {
    console.error(`${benchName}: still not isolated inside the namespace; refusing to run WebRTC on real interfaces.`);
    process.exit(1);
  }
  if (process.getuid?.() !== 0) {
    console.error(
      `${benchName}: must run in a network namespace of its own, which needs root:\n` +
        `  sudo unshare -n sh -c 'ip link set lo up && npm run ${benchName}'`,
    );
    process.exit(1);
  }
  const setup = options.robots ? `ip link set lo up && ${VETH_SETUP}` : 'ip link set lo up';
  const command = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const result = spawnSync('unshare', ['-n', 'sh', '-c', `${setup} && exec "$@"`, 'sh', ...command], {
    stdio: 'inherit',
    env: { ...process.env, [ISOLATED_FLAG]: '1' },
  });
  if (result.error) {
    console.error(`${benchName}: could not run unshare: ${result.error.message}`);
    process.exit(1);
  }
  process.exit(result.status ?? 1);
}
