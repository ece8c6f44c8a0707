// The grammar of the resources a target holds: a glob (`*`, `?`) in which `{name}` stands for the
// request's `parameters.name`. One parser, used by the config check and by the executor binding.

export type ResourcePart = { glob: string } | { parameter: string };

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The parts of a resource pattern, or why it is not one. */
export function parseResourcePattern(pattern: string): { parts: ResourcePart[] } | { problem: string } {
  const parts: ResourcePart[] = [];
  let at = 0;
  for (const found of pattern.matchAll(PLACEHOLDER)) {
    if (found.index > at) parts.push({ glob: pattern.slice(at, found.index) });
    parts.push({ parameter: found[1] as string });
    at = found.index + found[0].length;
  }
  if (at < pattern.length) parts.push({ glob: pattern.slice(at) });
  const stray = parts.some((p) => 'glob' in p && /[{}]/.test(p.glob));
  if (stray) return { problem: 'a brace must enclose a parameter name, as in "api:{path}"' };
  return { parts };
}
