// Differential oracle: npm minimatch with {dot: true}, the reference for MODIFIED_FILES_GLOB.
// argv[2]: the npm prefix minimatch is installed under.
// stdin: a JSON list of [glob, path] pairs; stdout: a JSON list of booleans, one per pair.
'use strict';
const path = require('path');
const fs = require('fs');

const { minimatch } = require(path.resolve(process.argv[2], 'node_modules', 'minimatch'));
const pairs = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(pairs.map(([glob, file]) => minimatch(file, glob, { dot: true }))));
