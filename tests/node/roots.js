#!/usr/bin/env node
// Test oracle: 0G Storage Merkle data for files, computed by the official storage SDK.
//
// Usage: node roots.js FILE [FILE ...] [--proofs]
// Prints one JSON object per line:
//   {"file", "size", "root" (0x-hex, or null when the SDK builds no tree, as for an empty file),
//    "numSegments" (flow-padded), "nodes": [{"root", "height"}] (the Flow submission),
//    "proofs": [{"lemma": [...], "path": [...]}] per segment (only with --proofs)}
'use strict';

const { ZgFile } = require('@0gfoundation/0g-ts-sdk');

async function describe(path, withProofs) {
  const file = await ZgFile.fromFilePath(path);
  try {
    const [tree, err] = await file.merkleTree();
    if (err !== null) {
      return { file: path, size: file.size(), error: String(err) };
    }
    const root = tree === null ? null : tree.rootHash();
    const out = { file: path, size: file.size(), root, numSegments: file.numSegmentsPadded() };
    if (root !== null) {
      const [submission, subErr] = await file.createSubmission('0x');
      if (subErr !== null) {
        out.submissionError = String(subErr);
      } else {
        out.nodes = submission.data.nodes.map((n) => ({ root: n.root, height: Number(n.height) }));
      }
      if (withProofs) {
        out.proofs = tree.leaves.map((_, i) => {
          const p = tree.proofAt(i);
          return { lemma: p.lemma, path: p.path };
        });
      }
    }
    return out;
  } finally {
    await file.close();
  }
}

async function main() {
  const args = process.argv.slice(2);
  const withProofs = args.includes('--proofs');
  for (const path of args.filter((a) => a !== '--proofs')) {
    process.stdout.write(JSON.stringify(await describe(path, withProofs)) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
