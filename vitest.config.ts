import { defineConfig } from 'vitest/config'

// Five projects: unit (fast, in-memory), fuzz (property-based, seeded), ansible (parity with ansible-core), integration (real sshd + virsh test driver), e2e (the lab: real QEMU guests).
export default defineConfig({
  test: {
    projects: [
      // Not isolated: the files share one module graph per worker (77 s → 25 s wall on 2 cores); no unit test keeps
      // state in a module, and a test that starts to would show here as an order-dependent failure.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'src/**/*.test.ts'], testTimeout: 10_000, isolate: false } },
      // Property-based tests: a fixed seed and a small budget here; `npm run fuzz -- --seconds N` for long runs.
      { test: { name: 'fuzz', include: ['test/fuzz/**/*.fuzz.test.ts'], testTimeout: 120_000, isolate: false } },
      // Differential tests against the real ansible-core (Debian's ansible-core; needs dist/ built).
      { test: { name: 'ansible', include: ['test/ansible/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 600_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          // The first lab host of a clean checkout builds the guest image (a download and an initramfs).
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // purges leftover e2e labs before the run and every e2e lab after it (shared labs outlive their files)
          globalSetup: ['test/e2e/support/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
