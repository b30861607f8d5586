// Differential oracle: evaluates conditions with npm tevale 0.9.2, the library Codefresh uses.
// stdin: one JSON object per line, {"expr": string, "vars": object}
// stdout: one JSON object per line, {"valid": bool, "result": bool} or {"valid": false, "error": string}
'use strict';
const path = require('path');
const readline = require('readline');

const prefix = process.argv[2];
const tevale = require(path.resolve(prefix, 'node_modules', 'tevale'));

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
rl.on('line', (line) => {
    if (!line) return;
    const { expr, vars } = JSON.parse(line);
    const errors = tevale.validateExpression(expr, vars);
    if (errors.length) {
        out.push(JSON.stringify({ valid: false, error: String(errors[0]) }));
    } else {
        out.push(JSON.stringify({ valid: true, result: tevale.evaluateExpression(expr, vars) }));
    }
});
rl.on('close', () => { process.stdout.write(out.join('\n') + '\n'); });
