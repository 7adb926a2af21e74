/**
 * `npm run build`: tsc's emit of src/ into dist/ (tsconfig.json), with one transform: the op-table `samples` of
 * the op registry's definitions (`unaryOp({ ..., samples: [...] })` and the other builders of src/ops/registry.ts)
 * are emitted as `samples: []`. They are test data (test/ops/op-db.ts expands them from src/, which the tests
 * run), and about 20 KB of every browser bundle otherwise. The type declarations are unchanged.
 */
import ts from 'typescript';

const BUILDERS = new Set(['unaryOp', 'binaryOp', 'customOp', 'functionOp', 'ownMethodOp', 'freeOp', 'factoryOp']);

/** @type {ts.TransformerFactory<ts.SourceFile>} */
const stripSamples = (ctx) => {
  const f = ctx.factory;
  let stripped = 0;
  /** @param {ts.Node} node @returns {ts.Node} */
  const visit = (node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && BUILDERS.has(node.expression.text)
      && node.arguments.length > 0 && ts.isObjectLiteralExpression(node.arguments[0])) {
      const obj = node.arguments[0];
      const props = obj.properties.map((p) => {
        if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'samples') {
          stripped++;
          return f.updatePropertyAssignment(p, p.name, f.createArrayLiteralExpression([]));
        }
        return p;
      });
      const args = [f.updateObjectLiteralExpression(obj, props), ...node.arguments.slice(1)].map((a) => ts.visitEachChild(a, visit, ctx));
      return f.updateCallExpression(node, node.expression, node.typeArguments, args);
    }
    return ts.visitEachChild(node, visit, ctx);
  };
  return (sf) => {
    const out = ts.visitNode(sf, visit);
    if (stripped) counts.set(sf.fileName, (counts.get(sf.fileName) ?? 0) + stripped);
    stripped = 0;
    return /** @type {ts.SourceFile} */ (out);
  };
};
const counts = new Map();

const configPath = ts.findConfigFile(process.cwd(), ts.sys.fileExists, 'tsconfig.json');
if (!configPath) throw new Error('build: tsconfig.json not found');
const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(config, ts.sys, process.cwd());
const program = ts.createProgram(parsed.fileNames, parsed.options);
const result = program.emit(undefined, undefined, undefined, false, { before: [stripSamples] });
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
if (diagnostics.length) {
  const host = { getCanonicalFileName: (p) => p, getCurrentDirectory: ts.sys.getCurrentDirectory, getNewLine: () => '\n' };
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}
const total = [...counts.values()].reduce((a, b) => a + b, 0);
if (total === 0) throw new Error('build: no op-registry samples were found to strip (did the builders get renamed?)');
console.log(`build: dist/ written; op-table samples left out of ${total} definitions in ${counts.size} files`);
