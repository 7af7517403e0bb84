/**
 * The user documentation is executable: every ```ts block of the Markdown files in DOCUMENTATION
 * is type-checked, by one function, with whatever compiler and options the caller gives:
 *   - tests/readme.test.ts: the repo's TypeScript and tsconfig, `routing-controllers-httpauth`
 *     mapped to src/index.ts (fast feedback while editing);
 *   - tests/package/consumer-types.ts (from scripts/consumer.sh): each consumer project's own
 *     TypeScript (5.9 or 6) and tsconfig, the package resolving to the installed tarball's .d.ts,
 *     which is what a user compiles against.
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
 *
 * `<!-- readme-check: tsconfig PROJECT -->` on a ```json / ```jsonc block marks it as the
 * tsconfig.json of the consumer project scripts/consumer/PROJECT: the consumer test writes it
 * verbatim, so the documented options are exactly the ones tested.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as TS from 'typescript';

/**
 * The documentation whose blocks are checked, relative to the repo: plain paths, or `DIR/**\/*.md`
 * (every Markdown file below DIR, when DIR exists). Splitting the README into guides changes this
 * list and nothing else.
 */
export const DOCUMENTATION: readonly string[] = ['README.md', 'docs/**/*.md'];

/**
 * Folders whose Markdown is generated, not documentation: TypeDoc's output (typedoc.json `out`,
 * git-ignored), where `npm run docs` puts copies of the guides.
 */
export const GENERATED: readonly string[] = ['docs/api'];

const FRAGMENT_KINDS = new Set(['async', 'class-body']);

export interface Block {
  /** 1-based line of the Markdown file where the block's first code line is. */
  readonly line: number;
  readonly code: string;
  readonly kinds: ReadonlySet<string>;
  readonly prelude: string;
}

/** A json/jsonc block marked `readme-check: tsconfig PROJECT`. */
export interface TsconfigBlock {
  readonly project: string;
  readonly line: number;
  readonly text: string;
}

export interface Problem {
  /** The Markdown (or module) file, as the caller named it; '' for program-wide diagnostics. */
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** A file by the name problems are reported under, and its text. */
export interface Source {
  readonly file: string;
  readonly text: string;
}

/** The files DOCUMENTATION (or `patterns`) names below `root` but not in GENERATED, relative to it, in a stable order. */
export function documentationFiles(root: string, patterns: readonly string[] = DOCUMENTATION): string[] {
  const found: string[] = [];
  for (const pattern of patterns) {
    const glob = /^(.*)\/\*\*\/\*(\.\w+)$/.exec(pattern);
    if (!glob) {
      if (fs.existsSync(path.join(root, pattern))) found.push(pattern);
      continue;
    }
    const [, dir, ext] = glob;
    if (!fs.existsSync(path.join(root, dir))) continue;
    const below = fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: false }) as string[];
    found.push(...below.filter((f) => f.endsWith(ext)).map((f) => path.posix.join(dir, f.split(path.sep).join('/')))
      .filter((f) => !GENERATED.some((g) => f.startsWith(`${g}/`))).sort());
  }
  return [...new Set(found)];
}

/** Reads documentationFiles(root, patterns) as Sources. */
export function readDocumentation(root: string, patterns: readonly string[] = DOCUMENTATION): Source[] {
  return documentationFiles(root, patterns).map((file) => ({ file, text: fs.readFileSync(path.join(root, file), 'utf8') }));
}

/** A ```sh / ```bash / ```shell block. */
export interface ShellBlock {
  readonly line: number;
  readonly code: string;
}

/** The ```ts / ```typescript blocks of a Markdown text with their markers, its tsconfig blocks and its shell blocks. */
export function extractBlocks(markdown: string): { blocks: Block[]; tsconfigs: TsconfigBlock[]; shell: ShellBlock[]; problems: Omit<Problem, 'file'>[] } {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  const tsconfigs: TsconfigBlock[] = [];
  const shell: ShellBlock[] = [];
  const problems: Omit<Problem, 'file'>[] = [];
  let marker: { words: string[]; prelude: string; endLine: number; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = /^<!--\s*readme-check:\s*(.*)$/.exec(lines[i]);
    if (open) {
      const start = i;
      const words = open[1].replace(/-->\s*$/, '').trim().split(/[\s,]+/).filter(Boolean);
      const prelude: string[] = [];
      if (!/-->\s*$/.test(lines[i])) {
        for (i++; i < lines.length && !/^\s*-->\s*$/.test(lines[i]); i++) prelude.push(lines[i]);
      }
      const [kind, ...rest] = words;
      const valid = kind === 'fragment'
        ? rest.every((w) => FRAGMENT_KINDS.has(w))
        : kind === 'tsconfig' && rest.length === 1 && prelude.length === 0;
      if (!valid) {
        problems.push({
          line: start + 1,
          message: `readme-check marker "${words.join(' ')}": expected "fragment", optionally with "async" or "class-body", or "tsconfig PROJECT"`,
        });
      }
      marker = { words, prelude: prelude.join('\n'), endLine: i, line: start + 1 };
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
    const isTs = lang === 'ts' || lang === 'typescript';
    if (attached?.words[0] === 'tsconfig') {
      if (lang === 'json' || lang === 'jsonc') tsconfigs.push({ project: attached.words[1] ?? '', line: start + 2, text: code });
      else problems.push({ line: attached.line, message: `readme-check tsconfig marker on a \`\`\`${lang} block; expected json or jsonc` });
    } else if (isTs) {
      blocks.push({ line: start + 2, code, kinds: new Set(attached?.words.slice(1)), prelude: attached?.prelude ?? '' });
    } else if (attached) {
      problems.push({ line: attached.line, message: `readme-check marker on a \`\`\`${lang} block, which is not checked` });
    } else if (lang === 'sh' || lang === 'bash' || lang === 'shell') {
      shell.push({ line: start + 2, code });
    }
  }
  if (marker) problems.push({ line: marker.line, message: 'readme-check marker not directly followed by a code fence' });
  return { blocks, tsconfigs, shell, problems };
}

/** The packages the `npm install` (or `npm i`) commands of shell blocks name, with the line of each. */
export function installedPackages(markdown: string): { name: string; line: number }[] {
  const found: { name: string; line: number }[] = [];
  for (const block of extractBlocks(markdown).shell) {
    block.code.split('\n').forEach((text, i) => {
      const command = /^\s*npm\s+(?:install|i|add)\s+(.*)$/.exec(text.replace(/\s#.*$/, ''));
      if (!command) return;
      for (const word of command[1].trim().split(/\s+/)) {
        if (word && !word.startsWith('-')) found.push({ name: word.replace(/(.)@[^/]*$/, '$1'), line: block.line + i });
      }
    });
  }
  return found;
}

/** The module a block becomes, and the line of the module where the block's first line lands. */
export function moduleText(block: Block): { text: string; firstLine: number } {
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

/** How to compile: the compiler module, its options, and the directory the checked files live in. */
export interface CheckSetup {
  readonly ts: typeof TS;
  /** Used as given (add noEmit); the same object across calls lets them share parsed typings. */
  readonly options: TS.CompilerOptions;
  /** Module resolution starts here: node_modules and package.json ("type") are looked up from it. */
  readonly dir: string;
  /**
   * Declaration files whose own errors count too (the library's shipped `.d.ts`; needs
   * `skipLibCheck: false`). Other declaration files (third-party typings) are not reported.
   */
  readonly checkDeclarations?: (fileName: string) => boolean;
}

/** Files from disk (the library, node_modules typings), parsed once per options object. */
const diskFiles = new WeakMap<TS.CompilerOptions, Map<string, TS.SourceFile | undefined>>();

/**
 * Type-checks every ts block of the Markdown `docs`, plus the TypeScript `modules` given (e.g.
 * the type tests), in one program; returns what does not compile, by file and line.
 */
export function checkDocumentation(setup: CheckSetup, docs: readonly Source[], modules: readonly Source[] = []): Problem[] {
  const { ts, options, dir } = setup;
  const problems: Problem[] = [];
  const files = new Map<string, { file: string; text: string; line: number; firstLine: number; length: number }>();
  for (const doc of docs) {
    const { blocks, problems: markerProblems } = extractBlocks(doc.text);
    problems.push(...markerProblems.map((p) => ({ file: doc.file, ...p })));
    const stem = doc.file.replace(/[^\w-]+/g, '_');
    blocks.forEach((block, n) => {
      const { text, firstLine } = moduleText(block);
      const name = path.join(dir, '__readme__', `${stem}-block-${n + 1}-line-${block.line}.ts`);
      files.set(name, { file: doc.file, text, line: block.line, firstLine, length: block.code.split('\n').length });
    });
  }
  for (const module of modules) {
    files.set(path.join(dir, module.file), { file: module.file, text: module.text, line: 1, firstLine: 0, length: Infinity });
  }

  let cache = diskFiles.get(options);
  if (!cache) diskFiles.set(options, (cache = new Map()));
  const known = cache;
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name)?.text ?? readFile.call(host, name);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    const file = files.get(name);
    if (file) return ts.createSourceFile(name, file.text, languageVersion, true);
    if (!known.has(name)) known.set(name, getSourceFile.call(host, name, languageVersion, ...rest));
    return known.get(name);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host });

  for (const [name, file] of files) {
    const sourceFile = program.getSourceFile(name)!;
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    for (const d of diagnostics) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const at = d.start === undefined ? undefined : sourceFile.getLineAndCharacterOfPosition(d.start).line;
      const inBlock = at !== undefined && at >= file.firstLine && at < file.firstLine + file.length;
      problems.push({
        file: file.file,
        line: inBlock ? file.line + (at - file.firstLine) : file.line,
        message: inBlock ? `TS${d.code}: ${text}` : `TS${d.code} in the readme-check declarations: ${text}`,
      });
    }
  }
  if (setup.checkDeclarations) {
    for (const sourceFile of program.getSourceFiles()) {
      if (!sourceFile.isDeclarationFile || !setup.checkDeclarations(sourceFile.fileName)) continue;
      for (const d of program.getSemanticDiagnostics(sourceFile)) {
        const at = d.start === undefined ? 0 : sourceFile.getLineAndCharacterOfPosition(d.start).line + 1;
        problems.push({ file: path.relative(dir, sourceFile.fileName), line: at, message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}` });
      }
    }
  }
  const global = program.getGlobalDiagnostics().concat(program.getOptionsDiagnostics());
  for (const d of global) problems.push({ file: '', line: 0, message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}` });
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** One problem a line: `README.md:12: TS2345: …`. */
export const formatProblems = (problems: readonly Problem[]) =>
  problems.map((p) => (p.file ? `${p.file}:${p.line}: ${p.message}` : p.message)).join('\n');
