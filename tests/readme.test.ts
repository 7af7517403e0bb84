/**
 * The README is executable: every ```ts block in README.md is type-checked against the public API,
 * with the repo's compiler options, `routing-controllers-httpauth` resolving to src/index.ts.
 *
 * A block is a complete module unless an HTML comment on the line right before its fence says
 * otherwise. The comment's first line names the kind; every further line up to `-->` is TypeScript
 * put in front of the block (the imports and declarations the fragment assumes):
 *
 *   <!-- readme-check: fragment
 *   import { BasicAuth, VerifyToken } from 'routing-controllers-httpauth';
 *   declare const sessions: Map<string, { name: string }>;
 *   -->
 *
 * Kinds: `fragment` (the block is module code), `fragment async` (its statements run inside an
 * async function, for `await` at top level; its own imports stay at module level), `fragment
 * class-body` (its lines are members of a class).
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const KINDS = new Set(['fragment', 'async', 'class-body']);

interface Block {
  /** 1-based README line of the first code line. */
  readonly line: number;
  readonly code: string;
  readonly kinds: ReadonlySet<string>;
  readonly prelude: string;
}

export interface ReadmeProblem {
  readonly line: number;
  readonly message: string;
}

/** The ```ts / ```typescript blocks of a Markdown text, with their readme-check markers. */
function extractBlocks(markdown: string): { blocks: Block[]; problems: ReadmeProblem[] } {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  const problems: ReadmeProblem[] = [];
  let marker: { kinds: Set<string>; prelude: string; endLine: number; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = /^<!--\s*readme-check:\s*(.*)$/.exec(lines[i]);
    if (open) {
      const start = i;
      const words = open[1].replace(/-->\s*$/, '').trim().split(/[\s,]+/).filter(Boolean);
      const prelude: string[] = [];
      if (!/-->\s*$/.test(lines[i])) {
        for (i++; i < lines.length && !/^\s*-->\s*$/.test(lines[i]); i++) prelude.push(lines[i]);
      }
      const unknown = words.filter((w) => !KINDS.has(w));
      if (unknown.length > 0 || !words.includes('fragment')) {
        problems.push({ line: start + 1, message: `readme-check marker "${words.join(' ')}": expected "fragment", optionally with "async" or "class-body"` });
      }
      marker = { kinds: new Set(words), prelude: prelude.join('\n'), endLine: i, line: start + 1 };
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const lang = fence[1];
    const start = i;
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++);
    const code = lines.slice(start + 1, i).join('\n');
    const attached = marker && marker.endLine === start - 1 ? marker : undefined;
    if (marker && !attached) problems.push({ line: marker.line, message: 'readme-check marker not directly followed by a code fence' });
    marker = undefined;
    if (lang === 'ts' || lang === 'typescript') {
      blocks.push({ line: start + 2, code, kinds: attached?.kinds ?? new Set(), prelude: attached?.prelude ?? '' });
    } else if (attached) {
      problems.push({ line: attached.line, message: `readme-check marker on a \`\`\`${lang} block, which is not checked` });
    }
  }
  if (marker) problems.push({ line: marker.line, message: 'readme-check marker not directly followed by a code fence' });
  return { blocks, problems };
}

/** The module a block becomes, and the line of the module where the block's first line lands. */
function moduleText(block: Block): { text: string; firstLine: number } {
  const head: string[] = block.prelude ? block.prelude.split('\n') : [];
  let body = block.code.split('\n');
  const tail: string[] = [];
  if (block.kinds.has('async')) {
    // Imports must stay at module level; everything else runs where `await` is allowed.
    const imports = body.filter((l) => /^import\s/.test(l));
    head.push(...imports);
    body = body.map((l) => (/^import\s/.test(l) ? '' : l));
    head.push('export async function readmeFragment(): Promise<void> {');
    tail.push('}');
  } else if (block.kinds.has('class-body')) {
    head.push('export class ReadmeFragment {');
    tail.push('}');
  }
  tail.push('export {};');
  return { text: [...head, ...body, ...tail].join('\n'), firstLine: head.length };
}

let cachedOptions: ts.CompilerOptions | undefined;
/** Files from disk (src, node_modules typings) parsed once for every check this run makes. */
const diskFiles = new Map<string, ts.SourceFile | undefined>();

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

/** Type-checks every ts block of a Markdown text; returns what does not compile, by README line. */
export function checkMarkdown(markdown: string): ReadmeProblem[] {
  const { blocks, problems } = extractBlocks(markdown);
  const files = new Map<string, { block: Block; text: string; firstLine: number }>();
  blocks.forEach((block, n) => {
    const { text, firstLine } = moduleText(block);
    files.set(path.join(ROOT, '__readme__', `block-${n + 1}-line-${block.line}.ts`), { block, text, firstLine });
  });

  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name)?.text ?? readFile.call(host, name);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    const file = files.get(name);
    if (file) return ts.createSourceFile(name, file.text, languageVersion, true);
    if (!diskFiles.has(name)) diskFiles.set(name, getSourceFile.call(host, name, languageVersion, ...rest));
    return diskFiles.get(name);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host });

  for (const [name, { block, firstLine }] of files) {
    const sourceFile = program.getSourceFile(name)!;
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    for (const d of diagnostics) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const at = d.start === undefined ? undefined : sourceFile.getLineAndCharacterOfPosition(d.start).line;
      const inBlock = at !== undefined && at >= firstLine && at < firstLine + block.code.split('\n').length;
      problems.push({
        line: inBlock ? block.line + (at - firstLine) : block.line,
        message: inBlock ? `TS${d.code}: ${text}` : `TS${d.code} in the readme-check declarations: ${text}`,
      });
    }
  }
  const global = program.getGlobalDiagnostics().concat(program.getOptionsDiagnostics());
  for (const d of global) problems.push({ line: 0, message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}` });
  return problems.sort((a, b) => a.line - b.line);
}

const format = (problems: readonly ReadmeProblem[]) => problems.map((p) => `README.md:${p.line}: ${p.message}`).join('\n');

describe('README.md code blocks', () => {
  jest.setTimeout(120_000);

  it('type-checks every ts block against the public API', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(extractBlocks(readme).blocks.length).toBeGreaterThan(10);
    expect(format(checkMarkdown(readme))).toBe('');
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
  ])('reports %s', (_name, markdown, line, message) => {
    const problems = checkMarkdown(markdown);
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ line, message: expect.stringMatching(message) })]));
  });

  it.each([
    ['a fragment with its declarations', "<!-- readme-check: fragment\ndeclare const db: { count(): number };\n-->\n```ts\nconst x: number = db.count();\n```\n"],
    ['an async fragment with await and imports', "<!-- readme-check: fragment async\n-->\n```ts\nimport { generatePasswordHash } from 'routing-controllers-httpauth';\nconst h: string = await generatePasswordHash('x');\n```\n"],
    ['class members', "<!-- readme-check: fragment class-body\nimport { VerifyToken } from 'routing-controllers-httpauth';\n-->\n```ts\n@VerifyToken() verify(token: string) { return token === 'x'; }\n```\n"],
    ['other languages, unchecked', '```sh\nthis is not typescript\n```\n'],
  ])('accepts %s', (_name, markdown) => {
    expect(format(checkMarkdown(markdown))).toBe('');
  });
});
