/**
 * The documentation's ```ts blocks (DOCUMENTATION in tests/readme-blocks.ts, which describes the
 * `<!-- readme-check: … -->` markers) type-check against the public API, with the repo's compiler
 * options and `routing-controllers-httpauth` resolving to src/index.ts. The consumer test
 * (scripts/consumer.sh) checks the same blocks against the packed `.d.ts` in each consumer project.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { checkDocumentation, extractBlocks, formatProblems, installedPackages, readDocumentation, type Problem } from './readme-blocks';

const ROOT = path.resolve(__dirname, '..');

let cachedOptions: ts.CompilerOptions | undefined;
/** tsconfig.json's options, plus noEmit, `types: ['node']` (no test globals) and the package name mapped to src. */
function compilerOptions(): ts.CompilerOptions {
  if (cachedOptions) return cachedOptions;
  const configPath = path.join(ROOT, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, configPath);
  cachedOptions = {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    types: ['node'],
    paths: { 'routing-controllers-httpauth': [path.join(ROOT, 'src', 'index.ts')] },
  };
  return cachedOptions;
}

/** Type-checks the ts blocks of one Markdown text (named README.md in the problems). */
export function checkMarkdown(markdown: string): Problem[] {
  return checkDocumentation({ ts, options: compilerOptions(), dir: ROOT }, [{ file: 'README.md', text: markdown }]);
}

describe('the documentation\'s code blocks', () => {
  jest.setTimeout(120_000);

  it('type-checks every ts block against the public API', () => {
    const docs = readDocumentation(ROOT);
    expect(docs.map((d) => d.file)).toContain('README.md');
    expect(docs.reduce((n, d) => n + extractBlocks(d.text).blocks.length, 0)).toBeGreaterThan(10);
    expect(formatProblems(checkDocumentation({ ts, options: compilerOptions(), dir: ROOT }, docs))).toBe('');
  });

  // Every consumer project takes its tsconfig.json from the documentation (scripts/consumer.sh
  // writes it verbatim), so each project needs exactly one marked block, and each block a project.
  it('has one tsconfig block per consumer project, each valid JSON with compiler options only', () => {
    const projects = fs.readdirSync(path.join(ROOT, 'scripts', 'consumer'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'shared')
      .map((d) => d.name)
      .sort();
    const tsconfigs = readDocumentation(ROOT).flatMap((d) => extractBlocks(d.text).tsconfigs);
    expect(tsconfigs.map((t) => t.project).sort()).toEqual(projects);
    for (const { project, text } of tsconfigs) {
      const { config, error } = ts.parseConfigFileTextToJson(`${project}/tsconfig.json`, text);
      expect(error && ts.flattenDiagnosticMessageText(error.messageText, '\n')).toBeUndefined();
      expect(Object.keys(config)).toEqual(['compilerOptions']);
      expect(config.compilerOptions).toEqual(expect.objectContaining({ target: expect.any(String), strict: true, experimentalDecorators: true, emitDecoratorMetadata: true }));
    }
  });

  it('reads the packages of the npm install commands in shell blocks', () => {
    const markdown = [
      '```sh', 'npm ci && npm test', 'npm install express koa@^3 # a comment', 'npm i -D @types/node@20 typescript', 'npm install', '```',
      '```ts', "// npm install not-a-command", '```',
    ].join('\n');
    expect(installedPackages(markdown)).toEqual([
      { name: 'express', line: 3 },
      { name: 'koa', line: 3 },
      { name: '@types/node', line: 4 },
      { name: 'typescript', line: 4 },
    ]);
  });

  it('lists README.md and every Markdown file below docs/ but TypeDoc\'s output', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rch-docs-'));
    try {
      fs.writeFileSync(path.join(dir, 'README.md'), '');
      expect(readDocumentation(dir).map((d) => d.file)).toEqual(['README.md']);
      fs.mkdirSync(path.join(dir, 'docs', 'guides'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'docs', 'api', 'media'), { recursive: true });
      for (const f of ['docs/b.md', 'docs/a.md', 'docs/guides/c.md', 'docs/notes.txt', 'docs/api/media/a.md']) fs.writeFileSync(path.join(dir, f), '');
      expect(readDocumentation(dir).map((d) => d.file)).toEqual(['README.md', 'docs/a.md', 'docs/b.md', 'docs/guides/c.md']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // The checker itself: a broken example must be reported, not silently skipped.
  it.each([
    ['a call with a wrong argument', "```ts\nimport { generateHa1 } from 'routing-controllers-httpauth';\ngenerateHa1('a', 'b', 'c', 'SHA-1');\n```\n", 3, /TS2345/],
    ['a name that is not exported', "```ts\nimport { NoSuchThing } from 'routing-controllers-httpauth';\n```\n", 2, /TS2305/],
    ['a fragment using an undeclared name', "<!-- readme-check: fragment\n-->\n```ts\nconst x: number = db.count();\n```\n", 4, /TS2304.*db/],
    ['a hook with the wrong signature', "<!-- readme-check: fragment\nimport { BasicAuth, VerifyPassword } from 'routing-controllers-httpauth';\n-->\n```ts\n@BasicAuth()\nclass A { @VerifyPassword() v(id: number) { return null; } }\n```\n", 6, /TS\d+/],
    ['top-level await outside an async fragment', "```ts\nimport { generatePasswordHash } from 'routing-controllers-httpauth';\nconst h = await generatePasswordHash('x');\n```\n", 3, /TS1378|TS1375|TS1108/],
    ['an unknown marker word', '<!-- readme-check: fragmnet -->\n```ts\nexport {};\n```\n', 1, /readme-check marker/],
    ['a marker away from its fence', '<!-- readme-check: fragment -->\n\ntext\n```ts\nexport {};\n```\n', 1, /not directly followed/],
    ['a tsconfig marker without its project', '<!-- readme-check: tsconfig -->\n```jsonc\n{}\n```\n', 1, /readme-check marker/],
    ['a tsconfig marker on a ts block', '<!-- readme-check: tsconfig app -->\n```ts\nexport {};\n```\n', 1, /expected json or jsonc/],
  ])('reports %s', (_name, markdown, line, message) => {
    const problems = checkMarkdown(markdown);
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ line, message: expect.stringMatching(message) })]));
  });

  it.each([
    ['a fragment with its declarations', "<!-- readme-check: fragment\ndeclare const db: { count(): number };\n-->\n```ts\nconst x: number = db.count();\n```\n"],
    ['an async fragment with await and imports', "<!-- readme-check: fragment async\n-->\n```ts\nimport { generatePasswordHash } from 'routing-controllers-httpauth';\nconst h: string = await generatePasswordHash('x');\n```\n"],
    ['class members', "<!-- readme-check: fragment class-body\nimport { VerifyToken } from 'routing-controllers-httpauth';\n-->\n```ts\n@VerifyToken() verify(token: string) { return token === 'x'; }\n```\n"],
    ['other languages, unchecked', '```sh\nthis is not typescript\n```\n'],
    ['a tsconfig block', '<!-- readme-check: tsconfig app -->\n```jsonc\n{ "compilerOptions": {} }\n```\n'],
  ])('accepts %s', (_name, markdown) => {
    expect(formatProblems(checkMarkdown(markdown))).toBe('');
  });

  it('reports a module checked with the blocks by its own name and line', () => {
    const problems = checkDocumentation({ ts, options: compilerOptions(), dir: ROOT }, [], [
      { file: 'types.test.ts', text: "import { generateHa1 } from 'routing-controllers-httpauth';\n\ngenerateHa1(1, 'b', 'c');\n" },
    ]);
    expect(problems).toEqual([expect.objectContaining({ file: 'types.test.ts', line: 3, message: expect.stringMatching(/^TS2345/) })]);
  });
});
