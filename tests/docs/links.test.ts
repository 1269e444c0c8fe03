/**
 * The README is a front door, not a manual: it stays at most 12 KB, and every relative link in it, in docs/, in
 * the actions' READMEs and in the service's leads somewhere: an existing file, and, with a #fragment into a
 * Markdown file, an existing heading there (GitHub's anchor rule).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const README_LIMIT_BYTES = 12 * 1024;

function markdownUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

const documents = [
  'README.md',
  'service/README.md',
  ...markdownUnder('docs'),
  ...readdirSync(path.join(root, 'actions'))
    .map((name) => `actions/${name}/README.md`)
    .filter((file) => existsSync(path.join(root, file))),
].sort();

/** Markdown without fenced code blocks, whose lines are neither links nor headings. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** Markdown without fenced code blocks and code spans, whose brackets are not links. */
function prose(markdown: string): string {
  return withoutFences(markdown).replace(/(`+)[^`]*?\1/g, '');
}

/** Targets of inline links and images, `[text](target "title")`, and of reference definitions, `[x]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
  const reference = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1] ?? '');
  return [...inline, ...reference];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (match[1] ?? '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Why a relative link from `file` does not resolve, or undefined when it does (absolute URLs are not checked). */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: ...
  const [rawPath = '', fragment] = target.split('#', 2);
  const linkPath = decodeURIComponent(rawPath);
  const resolved = linkPath ? path.resolve(root, path.dirname(file), linkPath) : path.join(root, file);
  if (!resolved.startsWith(root + path.sep) && resolved !== root) return 'leaves the repository';
  if (!existsSync(resolved)) return 'no such file';
  if (fragment === undefined || fragment === '') return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) return undefined;
  return headingAnchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(fragment).toLowerCase())
    ? undefined
    : `no heading #${fragment}`;
}

describe('documentation', () => {
  it(`README.md is a front door: at most ${README_LIMIT_BYTES} bytes`, () => {
    expect(statSync(path.join(root, 'README.md')).size).toBeLessThanOrEqual(README_LIMIT_BYTES);
  });

  it("quick start: the two commands a fresh machine needs, the second one being CI's test command", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm ci && npm run smoke', 'npm test']);
    expect(readFileSync(path.join(root, '.ci/run'), 'utf8')).toMatch(/^npm test$/m);
  });

  it('covers the README, docs/ and every action README', () => {
    expect(documents).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/ARCHITECTURE.md',
        'actions/smoke-gate/README.md',
        'actions/canary/README.md',
        'actions/release-tag/README.md',
      ]),
    );
  });

  it.each(documents)('%s: every relative link resolves', (file) => {
    const broken = linkTargets(readFileSync(path.join(root, file), 'utf8'))
      .map((target) => ({ target, why: brokenLink(file, target) }))
      .filter((link) => link.why !== undefined);
    expect(broken).toEqual([]);
  });

  it('the link checker sees what it must and flags what is broken', () => {
    const sample = [
      '# Title',
      'See [a](docs/ARCHITECTURE.md#departures-from-the-sketch-and-why), [b](nowhere.md), [c](README.md#no-such-heading),',
      '[d](https://example.com/x), `[e](in-a-code-span.md)` and ![f](docs/missing.png "title").',
      '```sh',
      '[g](in-a-fence.md)',
      '```',
      '[h]: docs/also-missing.md',
    ].join('\n');
    const targets = linkTargets(sample);
    expect(targets).toEqual([
      'docs/ARCHITECTURE.md#departures-from-the-sketch-and-why',
      'nowhere.md',
      'README.md#no-such-heading',
      'https://example.com/x',
      'docs/missing.png',
      'docs/also-missing.md',
    ]);
    expect(targets.map((t) => brokenLink('README.md', t))).toEqual([
      undefined,
      'no such file',
      'no heading #no-such-heading',
      undefined,
      'no such file',
      'no such file',
    ]);
    expect([
      ...headingAnchors('## Departures from the sketch, and why\n## Step 1: `run()`\n## Step 1: `run()`'),
    ]).toEqual(['departures-from-the-sketch-and-why', 'step-1-run', 'step-1-run-1']);
  });
});
