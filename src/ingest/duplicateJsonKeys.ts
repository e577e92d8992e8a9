/** Past this depth the scan stops: the nesting check (findUnstorable) refuses such a body anyway. */
const MAX_DEPTH = 64;

interface Frame {
  path: (string | number)[];
  /** Keys seen so far: objects only. */
  keys?: Set<string>;
  /** The key whose value comes next (objects) or the index of the current element (arrays). */
  at: string | number;
  expectKey: boolean;
}

/**
 * Paths of keys that occur twice in one object of a JSON text that JSON.parse accepted. JSON.parse
 * keeps the last value silently, and another parser may keep the first: two readers of one body
 * would see two different events, so such a body is refused rather than guessed at.
 */
export function duplicateJsonKeys(text: string, max = 10): (string | number)[][] {
  const found: (string | number)[][] = [];
  const stack: Frame[] = [];
  for (let i = 0; i < text.length && found.length < max; i++) {
    const c = text[i];
    const top = stack.at(-1);
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) found.push([...top.path, key]);
        top.keys.add(key);
        top.at = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      if (stack.length >= MAX_DEPTH) break;
      const path = top ? [...top.path, top.at] : [];
      stack.push(c === '{' ? { path, keys: new Set(), at: '', expectKey: true } : { path, at: 0, expectKey: false });
    } else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && top) {
      if (top.keys) top.expectKey = true;
      else top.at = (top.at as number) + 1;
    }
  }
  return found;
}
