/** What a GitHub runner hands an action step, as the tests read it back. */

/**
 * Parses a runner's command file (GITHUB_OUTPUT, GITHUB_STATE): the `name<<delimiter` blocks
 * @actions/core writes, and plain `name=value` lines.
 */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i]!);
    if (m) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
      out[m[1]!] = value.join('\n');
    } else if (lines[i]!.includes('=')) {
      const j = lines[i]!.indexOf('=');
      out[lines[i]!.slice(0, j)] = lines[i]!.slice(j + 1);
    }
  }
  return out;
}
