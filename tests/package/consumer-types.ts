/**
 * The consumer test's TypeScript side; scripts/consumer.sh runs it with ts-node for each consumer
 * project:
 *
 *   tsconfig PROJECT      prints the documentation's tsconfig block for PROJECT (the
 *                         `<!-- readme-check: tsconfig PROJECT -->` one), which the consumer test
 *                         writes verbatim as the project's tsconfig.json;
 *   packages PACKAGE_JSON every package the documentation's `npm install` commands name must be a
 *                         dependency of PACKAGE_JSON (the consumer test's install), so those
 *                         commands name real packages and the tested setup is what they install;
 *   check DIR TYPESCRIPT  type-checks, with the TypeScript package at TYPESCRIPT and the options of
 *                         DIR/tsconfig.json, every ts block of the documentation and the type tests
 *                         (tests/types/api.test-d.ts, importing the package by name), with
 *                         `routing-controllers-httpauth` resolving to the tarball installed below
 *                         DIR: the `.d.ts` a user compiles against, not src/. Those shipped
 *                         declarations must compile too, whatever the project's skipLibCheck.
 */
import path from 'node:path';
import fs from 'node:fs';
import type * as TS from 'typescript';
import { checkDocumentation, extractBlocks, formatProblems, installedPackages, readDocumentation } from '../readme-blocks';

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE = 'routing-controllers-httpauth';
const TYPE_TESTS = 'tests/types/api.test-d.ts';

function fail(message: string): never {
  console.error(`consumer-types: ${message}`);
  process.exit(1);
}

function printTsconfig(project: string): void {
  const found = readDocumentation(ROOT).flatMap((doc) =>
    extractBlocks(doc.text).tsconfigs.filter((t) => t.project === project).map((t) => ({ ...t, file: doc.file })));
  if (found.length !== 1) {
    fail(`expected one <!-- readme-check: tsconfig ${project} --> block in the documentation, found ${found.length}`);
  }
  process.stdout.write(`${found[0].text}\n`);
}

function checkPackages(packageJson: string): void {
  const manifest = JSON.parse(fs.readFileSync(packageJson, 'utf8')) as Record<string, Record<string, string> | undefined>;
  const installed = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
  const documented = readDocumentation(ROOT).flatMap((doc) => installedPackages(doc.text).map((p) => ({ ...p, file: doc.file })));
  const missing = documented.filter((p) => !installed.has(p.name));
  if (documented.length === 0) fail('the documentation has no npm install command');
  if (missing.length > 0) fail(`not installed by the consumer test: ${missing.map((p) => `${p.name} (${p.file}:${p.line})`).join(', ')}`);
  console.log(`consumer-types: the documented npm install commands name ${new Set(documented.map((p) => p.name)).size} packages, all installed here`);
}

/** The type tests as a consumer writes them: the package by its name instead of ../../src. */
function typeTestsAsConsumer(): string {
  const text = fs.readFileSync(path.join(ROOT, TYPE_TESTS), 'utf8');
  const adapted = text.replace(/(['"])\.\.\/\.\.\/src\1/g, `'${PACKAGE}'`);
  const relative = /(?:from\s+|import\s*\(\s*)['"]\.{1,2}\//.exec(adapted);
  if (adapted === text || relative) fail(`${TYPE_TESTS}: expected imports of '../../src' only, to replace with '${PACKAGE}'`);
  return adapted;
}

function check(dir: string, typescriptDir: string): void {
  const ts = require(typescriptDir) as typeof TS;
  const configPath = path.join(dir, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  });
  if (!parsed) fail(`cannot read ${configPath}`);
  if (parsed.errors.length > 0) fail(parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
  // skipLibCheck off whatever the project says: the library's own declarations must compile under
  // these options, which only a check of them shows (third-party typings stay unreported).
  const options = { ...parsed.options, noEmit: true, skipLibCheck: false };

  // The point is the shipped declarations: the package must resolve into the consumer's
  // node_modules (the installed tarball), never to this checkout.
  const importer = path.join(dir, 'index.ts');
  const mode = ts.getImpliedNodeFormatForFile(importer as TS.Path, undefined, ts.sys, options);
  const resolved = ts.resolveModuleName(PACKAGE, importer, options, ts.sys, undefined, undefined, mode).resolvedModule?.resolvedFileName;
  if (!resolved || !/\/node_modules\/routing-controllers-httpauth\/dist\/index\.d\.m?ts$/.test(resolved) || resolved.startsWith(`${ROOT}/`)) {
    fail(`${PACKAGE} resolves to ${resolved ?? 'nothing'}, not to the installed tarball's dist/`);
  }

  const docs = readDocumentation(ROOT);
  const shipped = `${path.dirname(path.dirname(resolved))}/`;
  const setup = { ts, options, dir, checkDeclarations: (fileName: string) => fileName.startsWith(shipped) };
  const problems = checkDocumentation(setup, docs, [{ file: TYPE_TESTS, text: typeTestsAsConsumer() }]);
  if (problems.length > 0) fail(`TypeScript ${ts.version}, ${path.basename(dir)}:\n${formatProblems(problems)}`);
  const blocks = docs.reduce((n, doc) => n + extractBlocks(doc.text).blocks.length, 0);
  console.log(`consumer-types: ${blocks} blocks of ${docs.map((d) => d.file).join(', ')} and ${TYPE_TESTS} compile against ${path.relative(dir, resolved)}`);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'tsconfig' && args.length === 1) printTsconfig(args[0]);
else if (command === 'packages' && args.length === 1) checkPackages(path.resolve(args[0]));
else if (command === 'check' && args.length === 2) check(path.resolve(args[0]), path.resolve(args[1]));
else fail('usage: consumer-types.ts tsconfig PROJECT | packages PACKAGE_JSON | check DIR TYPESCRIPT_PACKAGE_DIR');
