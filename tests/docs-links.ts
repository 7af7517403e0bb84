/**
 * The links of the documentation (README.md and the guides in docs/, the files DOCUMENTATION in
 * tests/readme-blocks.ts names) are checked as GitHub renders them:
 *   - a relative link names a file or folder of the repository, without leaving it;
 *   - a `#anchor`, alone or after a Markdown file, is the slug of one of that file's headings
 *     (GitHub's rule: lower-case, punctuation removed, each space a `-`, the second heading of the
 *     same text `-1`, the third `-2`…) or an `<a id>` / `<a name>` of it;
 *   - an http(s) link is a well-formed URL with a host. It is not fetched: the tests run offline.
 * Links inside code (fenced blocks, code spans) and HTML comments are not links.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Problem, Source } from './readme-blocks';

/** The anchor GitHub gives a heading: its text as rendered, lower-cased, punctuation removed, spaces as `-`. */
export function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link reads as its text
    .replace(/<[^>]*>/g, '') // inline HTML renders no text of its own
    .replace(/`/g, '') // a code span reads as its content
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/**
 * Markdown with its code blocks and comments blanked out (and its code spans, unless `spans` is
 * false), line breaks kept so that offsets still give lines.
 */
function prose(markdown: string, spans = true): string {
  const blank = (text: string) => text.replace(/[^\n]/g, ' ');
  const lines = markdown.split('\n');
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(lines[i]);
    if (fence) {
      if (open && open[1][0] === fence[0] && open[1].length >= fence.length && lines[i].trim() === open[1]) fence = undefined;
      lines[i] = '';
    } else if (open) {
      fence = open[1];
      lines[i] = '';
    }
  }
  const text = lines.join('\n').replace(/<!--[\s\S]*?-->/g, blank);
  return spans ? text.replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, blank) : text;
}

/** The anchors of a Markdown file: its headings' slugs (repeated ones numbered) and its `<a id|name>`. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of prose(markdown, false).split('\n')) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (!heading) continue;
    const slug = githubSlug(heading[1]);
    let unique = slug;
    for (let n = 1; anchors.has(unique); n++) unique = `${slug}-${n}`;
    anchors.add(unique);
  }
  for (const match of prose(markdown).matchAll(/<a\s[^>]*\b(?:id|name)\s*=\s*"([^"]+)"/gi)) anchors.add(match[1]);
  return anchors;
}

export interface Link {
  /** 1-based line where the link starts. */
  readonly line: number;
  readonly target: string;
}

/** The link targets of a Markdown text: inline links and images, reference definitions, autolinks and `<a href>`. */
export function linksOf(markdown: string): Link[] {
  const text = prose(markdown);
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const links: { offset: number; target: string }[] = [];
  // [text](target "title"): the text may hold one level of brackets and wrap over lines.
  for (const m of text.matchAll(/!?\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
    links.push({ offset: m.index, target: m[1].replace(/^<|>$/g, '') });
  }
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*(\S+)/gm)) links.push({ offset: m.index, target: m[1].replace(/^<|>$/g, '') });
  for (const m of text.matchAll(/<((?:https?|mailto):[^\s>]*)>/g)) links.push({ offset: m.index, target: m[1] });
  for (const m of text.matchAll(/<a\s[^>]*\bhref\s*=\s*"([^"]*)"/gi)) links.push({ offset: m.index, target: m[1] });
  return links.sort((a, b) => a.offset - b.offset).map(({ offset, target }) => ({ line: lineAt(offset), target }));
}

/**
 * Every link of `docs` (Markdown files named relative to `root`) that does not resolve, by file
 * and line. Anchors in other Markdown files are read from disk below `root`.
 */
export function checkLinks(root: string, docs: readonly Source[]): Problem[] {
  const problems: Problem[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOfFile = (file: string) => {
    let anchors = anchorCache.get(file);
    if (!anchors) {
      const doc = docs.find((d) => path.resolve(root, d.file) === file);
      anchorCache.set(file, (anchors = anchorsOf(doc ? doc.text : fs.readFileSync(file, 'utf8'))));
    }
    return anchors;
  };
  const given = (file: string) => docs.some((d) => path.resolve(root, d.file) === file);
  for (const doc of docs) {
    const here = path.resolve(root, doc.file);
    for (const { line, target } of linksOf(doc.text)) {
      const problem = (message: string) => problems.push({ file: doc.file, line, message: `${target}: ${message}` });
      if (target === '') {
        problem('empty link');
        continue;
      }
      const scheme = /^([a-z][a-z\d+.-]*):/i.exec(target)?.[1].toLowerCase();
      if (scheme === 'http' || scheme === 'https') {
        let url: URL | undefined;
        try {
          url = new URL(target);
        } catch {
          url = undefined;
        }
        if (!url || !url.hostname || /\s/.test(target)) problem('not a well-formed URL');
        continue;
      }
      if (scheme === 'mailto') continue;
      if (scheme) {
        problem(`a ${scheme}: link; use a relative path or an http(s) URL`);
        continue;
      }
      if (target.startsWith('/')) {
        problem('an absolute path; GitHub resolves links relative to the file, so use a relative one');
        continue;
      }
      const hash = target.indexOf('#');
      const filePart = decodeURI(hash === -1 ? target : target.slice(0, hash));
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const resolved = filePart === '' ? here : path.resolve(path.dirname(here), filePart.replace(/\?.*$/, ''));
      if (path.relative(root, resolved).startsWith('..')) {
        problem('leaves the repository');
        continue;
      }
      if (!given(resolved) && !fs.existsSync(resolved)) {
        problem(`no such file (${path.relative(root, resolved)})`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!resolved.endsWith('.md') || !(given(resolved) || fs.statSync(resolved).isFile())) {
        problem('an anchor into a file that is not Markdown');
      } else if (!anchorsOfFile(resolved).has(anchor)) {
        problem(`no heading of ${path.relative(root, resolved)} has the anchor #${anchor}`);
      }
    }
  }
  return problems;
}
