import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const repoRoot = path.join(import.meta.dirname, '../..');

/** Module → the repository files it imports (relative imports only; `import type` and `import()` included), as repository paths. */
export type ImportGraph = Map<string, string[]>;

function typeScriptFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return typeScriptFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** `./x.js` names `x.ts` in TypeScript sources (NodeNext), or a real `.js` file; a folder names its index. */
function resolveImport(from: string, specifier: string): string | undefined {
  const target = path.resolve(path.dirname(from), specifier);
  const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, path.join(target, 'index.ts')];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
}

/**
 * The import graph of every TypeScript module under `dir` (a repository folder such as 'src') and
 * of the JavaScript files they import. Browser scripts that no module imports (the dashboard page's
 * app.js) are left out: they import by URL, which the dashboard router maps to files.
 */
export function importGraph(dir: string): ImportGraph {
  const graph: ImportGraph = new Map();
  const queue = typeScriptFiles(path.join(repoRoot, dir));
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const key = path.relative(repoRoot, file);
    if (graph.has(key)) continue;
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const imports = importedFiles
      .filter((i) => i.fileName.startsWith('.'))
      .map((i) => {
        const resolved = resolveImport(file, i.fileName);
        if (!resolved) throw new Error(`${key}: cannot resolve import '${i.fileName}'`);
        if (resolved.endsWith('.js')) queue.push(resolved);
        return path.relative(repoRoot, resolved);
      });
    graph.set(key, [...new Set(imports)]);
  }
  return graph;
}

/**
 * One cycle (`a → b → … → a`) per strongly connected component of the graph that has one, so each
 * tangle is reported once however many loops run through it (Tarjan's algorithm).
 */
export function findCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) components.push(component);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((component) => cycleWithin(graph, new Set(component)));
}

/** A path from the component's first module (in sort order) back to itself, by breadth-first search inside the component. */
function cycleWithin(graph: ImportGraph, component: Set<string>): string[] {
  const start = [...component].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const loop = [v];
        while (loop[0] !== start) loop.unshift(cameFrom.get(loop[0]!)!);
        return [...loop, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}`);
}
