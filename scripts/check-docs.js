#!/usr/bin/env node
// Every export of the package has a doc comment with an @example (issue 8): TypeDoc's own
// validation (typedoc.json: notDocumented, treatWarningsAsErrors) checks the comments; this
// reads its JSON output (docs/api.json) for the examples, and for the guides (docs/*.md, the
// reference's documents through typedoc.json's projectDocuments, so its `@see` links reach them).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const project = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'docs', 'api.json'), 'utf8'));
const hasExample = (comment) => Boolean(comment?.blockTags?.some((tag) => tag.tag === '@example'));
const missing = [];
for (const child of project.children ?? []) {
  const comments = [child.comment, ...(child.signatures ?? []).map((s) => s.comment), child.type?.declaration?.signatures?.[0]?.comment];
  if (!comments.some(hasExample)) missing.push(child.name);
}
if (missing.length > 0) {
  console.error(`docs: ${missing.length} export(s) without an @example in their doc comment: ${missing.join(', ')}`);
  process.exit(1);
}
const guides = fs.readdirSync(path.join(__dirname, '..', 'docs')).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3));
const documents = new Set((project.documents ?? []).map((d) => d.name));
const absent = guides.filter((g) => !documents.has(g));
if (absent.length > 0) {
  console.error(`docs: guides missing from the API reference (typedoc.json projectDocuments): ${absent.join(', ')}`);
  process.exit(1);
}
console.log(`docs: all ${project.children.length} exports are documented with an example; the ${guides.length} guides are its documents`);
