/**
 * Import rules of src/, checked in CI (`npm run lint:cycles`): no import circle, type-only
 * imports included (docs/architecture.md: every folder depends only on the floors below it).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A circle makes two files one unit that can only be understood, tested and moved together.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
