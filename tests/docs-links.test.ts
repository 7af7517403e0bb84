/**
 * Every link of README.md and the guides in docs/ resolves (tests/docs-links.ts says how), and
 * every guide can be reached from the README, the front door.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { anchorsOf, checkLinks, githubSlug, linksOf } from './docs-links';
import { formatProblems, readDocumentation } from './readme-blocks';

const ROOT = path.resolve(__dirname, '..');

describe('the documentation\'s links', () => {
  it('resolve: files exist in the repository, anchors name headings, URLs are well-formed', () => {
    const docs = readDocumentation(ROOT);
    expect(docs.length).toBeGreaterThan(10);
    expect(docs.reduce((n, d) => n + linksOf(d.text).length, 0)).toBeGreaterThan(50);
    expect(formatProblems(checkLinks(ROOT, docs))).toBe('');
  });

  it('reach every guide from the README', () => {
    const docs = readDocumentation(ROOT);
    const readme = docs.find((d) => d.file === 'README.md')!;
    const linked = new Set(linksOf(readme.text).map((l) => path.posix.normalize(l.target.replace(/#.*$/, ''))));
    const guides = docs.map((d) => d.file).filter((f) => f.startsWith('docs/'));
    expect(guides.filter((g) => !linked.has(g))).toEqual([]);
  });
});

describe('the link checker', () => {
  it.each([
    ['Quick start', 'quick-start'],
    ['`@BasicAuth(options?)` — RFC 7617', 'basicauthoptions--rfc-7617'],
    ['Apache password files (`htpasswd`, `htdigest`)', 'apache-password-files-htpasswd-htdigest'],
    ['What `@CurrentUser()` holds', 'what-currentuser-holds'],
    ['profile.ts: where the time goes', 'profilets-where-the-time-goes'],
    ['Targets (issue 10) and where they stand', 'targets-issue-10-and-where-they-stand'],
    ['See [the guide](docs/x.md) <em>now</em>', 'see-the-guide-now'],
    ['snake_case and Ünïcode', 'snake_case-and-ünïcode'],
  ])('slugs %j as GitHub does: %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });

  it('numbers repeated headings and reads <a id>, not headings inside code', () => {
    const markdown = '# Intro\n## Options\n## Options\n## Options\n<a id="custom"></a>\n```sh\n# not a heading\n```\n';
    expect([...anchorsOf(markdown)].sort()).toEqual(['custom', 'intro', 'options', 'options-1', 'options-2']);
  });

  it('finds links, also wrapped over lines, and not inside code or comments', () => {
    const markdown = [
      'See [the first\nguide](a.md#one) and ![a picture](img.png "title").', // 1–2
      'Code: `[no](link.md)`.', // 3
      '```md', '[no](link.md)', '```', // 4–6
      '<!-- [no](link.md) -->', // 7
      '[ref]: https://example.com/x', // 8
      '<https://example.org> and <a href="b.md">b</a>', // 9
    ].join('\n');
    expect(linksOf(markdown)).toEqual([
      { line: 1, target: 'a.md#one' },
      { line: 2, target: 'img.png' },
      { line: 8, target: 'https://example.com/x' },
      { line: 9, target: 'https://example.org' },
      { line: 9, target: 'b.md' },
    ]);
  });

  // The checker itself: a broken link must be reported, not skipped.
  it('reports every kind of broken link, and accepts the good ones', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rch-links-'));
    try {
      fs.mkdirSync(path.join(dir, 'docs'));
      fs.writeFileSync(path.join(dir, 'docs', 'guide.md'), '# Guide\n## Options\n## Options\n');
      fs.writeFileSync(path.join(dir, 'LICENSE'), '');
      const readme = [
        '# Title', '## Install',
        '[ok](#install) [ok](docs/guide.md) [ok](docs/guide.md#options-1) [ok](docs/) [ok](LICENSE) [ok](https://example.com/a?b#c) [ok](mailto:a@example.com)',
        '[bad](#nowhere)',
        '[bad](docs/missing.md)',
        '[bad](docs/guide.md#options-2)',
        '[bad](../outside.md)',
        '[bad](/docs/guide.md)',
        '[bad](https://)',
        '[bad](LICENSE#x)',
        '[bad]()',
        '[bad](javascript:alert(1))',
      ].join('\n');
      const problems = checkLinks(dir, [{ file: 'README.md', text: readme }]);
      expect(problems.map((p) => [p.line, p.message.replace(/:.*$/s, '')])).toEqual([
        [4, '#nowhere'],
        [5, 'docs/missing.md'],
        [6, 'docs/guide.md#options-2'],
        [7, '../outside.md'],
        [8, '/docs/guide.md'],
        [9, 'https'],
        [10, 'LICENSE#x'],
        [11, ''],
        [12, 'javascript'],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
