/**
 * The walls between the parts (docs/architecture.md, "Parts and walls"), checked over the real
 * import graph of every TypeScript file in the runtime folders: each import is resolved to the
 * folder it lands in and held to the rules below. A new file that crosses a wall fails here
 * with the file, the import and the rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/guest-files.js';

type Part = 'shared' | 'hypervisor' | 'device-model' | 'toolstack' | 'bench' | 'guests' | 'test';
type RuntimePart = Exclude<Part, 'test'>;
const PARTS: readonly RuntimePart[] = ['shared', 'hypervisor', 'device-model', 'toolstack', 'bench', 'guests'];

/** What each part may import statically (besides itself, Node built-ins and npm packages). */
const MAY_IMPORT: Readonly<Record<RuntimePart, readonly Part[]>> = {
  // The ABI: used by everyone, uses no one.
  shared: [],
  // The two sides of the ioreq protocol meet only through shared/.
  hypervisor: ['shared'],
  'device-model': ['shared'],
  // The toolstack starts both; it never loads benchmark code statically.
  toolstack: ['shared', 'hypervisor', 'device-model'],
  // Benchmarks drive the runtime; nothing of the runtime drives them.
  bench: ['shared', 'hypervisor', 'device-model', 'toolstack', 'guests'],
  // The host-side models of what guests print (used by tests and benchmarks).
  guests: ['shared', 'device-model'],
};

/** Dynamic import() is allowed only where a part loads another on request. */
const DYNAMIC_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  'toolstack/cli.ts': ['bench/bench-command.ts'],
};

interface ImportEdge {
  readonly from: string; // repo-relative
  readonly to: string; // repo-relative target, or the bare specifier for packages and built-ins
  readonly dynamic: boolean;
  readonly external: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: ImportEdge[] = [];
  const add = (spec: string, dynamic: boolean): void => {
    const external = !spec.startsWith('.');
    const to = external ? spec : path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts');
    edges.push({ from: file, to, dynamic, external });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) add(arg.text, true);
      else edges.push({ from: file, to: '<computed>', dynamic: true, external: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

function partOf(rel: string): Part | undefined {
  const top = rel.split(path.sep)[0] as Part;
  return (PARTS as readonly Part[]).includes(top) || top === 'test' ? top : undefined;
}

/** Every violation in the tree, one line each. */
function violations(): string[] {
  const out: string[] = [];
  for (const part of PARTS) {
    for (const file of sourceFiles(part)) {
      for (const e of importsOf(file)) {
        if (e.to === '<computed>') {
          out.push(`${e.from}: import() of a computed specifier (the walls cannot be checked)`);
          continue;
        }
        if (e.external) continue; // a package or a node: built-in
        const target = partOf(e.to);
        if (target === undefined) {
          if (e.to.startsWith('..')) out.push(`${e.from}: imports ${e.to}, outside the repository's parts`);
          continue;
        }
        if (target === part) continue;
        if (e.dynamic) {
          if (!(DYNAMIC_IMPORTS[e.from] ?? []).includes(e.to)) out.push(`${e.from}: import('${e.to}') is not one of the allowed on-request loads`);
          continue;
        }
        if (!MAY_IMPORT[part].includes(target)) out.push(`${e.from}: imports ${e.to}, but ${part}/ may import only ${MAY_IMPORT[part].join(', ') || 'nothing of the other parts'}`);
      }
    }
  }
  return out;
}

describe('import walls', () => {
  it('no runtime file imports across a wall', () => {
    expect(violations()).toEqual([]);
  });

  it('the checker sees real imports (it is not vacuous)', () => {
    const edges = importsOf(path.join('toolstack', 'cli.ts'));
    expect(edges).toContainEqual({ from: path.join('toolstack', 'cli.ts'), to: path.join('toolstack', 'run-command.ts'), dynamic: false, external: false });
    expect(edges).toContainEqual({ from: path.join('toolstack', 'cli.ts'), to: path.join('bench', 'bench-command.ts'), dynamic: true, external: false });
    expect(edges.some((e) => e.to === 'commander')).toBe(true);
    // The hypervisor does reach shared/, which the rules allow; a device-model import would be flagged.
    const vcpu = importsOf(path.join('hypervisor', 'vcpu.ts'));
    expect(vcpu.some((e) => partOf(e.to) === 'shared')).toBe(true);
  });
});
