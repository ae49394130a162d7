/**
 * Compile-time flags set by vite.config.ts `define` (replaced in the bundle, so the branch they
 * guard is removed from builds where they are false).
 */

/** True only in the e2e build (dist-test/): installs the window test hook (src/ui/test-hook.ts). */
declare const __TEST_HOOKS__: boolean;
