#!/usr/bin/env node
// liturgia's driver of sigstore-js (@sigstore/verify): verifies one Sigstore bundle offline.
//
// usage: node verify.js BUNDLE TRUSTED_ROOT KEY_PEM [ARTIFACT] [--tlog N] [--ts N] [--ctlog N]
//
// TRUSTED_ROOT is a TrustedRoot JSON (the log keys to trust); KEY_PEM is the signer's public key,
// returned for every key hint (a hint in a bundle is not authenticated). Thresholds default to
// sigstore-js's own (one log entry, one trusted time, one CT log entry).
// Prints one line: "OK tlog=N ts=N: verified, key type T" (exit 0), or
// "FAIL tlog=N ts=N: NAME [CODE] MESSAGE" (exit 1); a usage error exits 2. Nothing is fetched.
'use strict';

const fs = require('node:fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { crypto } = require('@sigstore/core');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const USAGE = 'usage: verify.js BUNDLE TRUSTED_ROOT KEY_PEM [ARTIFACT] [--tlog N] [--ts N] [--ctlog N]';

function parseArguments(argv) {
  const thresholds = { tlog: 1, ts: 1, ctlog: 1 };
  const positional = [];
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    if (flag === null) {
      positional.push(argv[i]);
      continue;
    }
    const value = Number.parseInt(argv[i + 1] ?? '', 10);
    if (!(flag in thresholds) || !Number.isInteger(value) || value < 0) {
      throw new Error(`bad option ${argv[i]} ${argv[i + 1] ?? ''}`.trim());
    }
    thresholds[flag] = value;
    i += 1;
  }
  if (positional.length < 3 || positional.length > 4) {
    throw new Error('expected 3 or 4 paths');
  }
  const [bundle, root, key, artifact] = positional;
  return { thresholds, bundle, root, key, artifact };
}

function readJSON(path) {
  return JSON.parse(fs.readFileSync(path, 'utf8'));
}

function main() {
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    console.error(`${USAGE}\n${error.message}`);
    return 2;
  }
  const { tlog, ts, ctlog } = options.thresholds;
  const label = `tlog=${tlog} ts=${ts}`;
  try {
    const publicKey = crypto.createPublicKey(fs.readFileSync(options.key, 'utf8'));
    const material = toTrustMaterial(TrustedRoot.fromJSON(readJSON(options.root)), () => ({
      publicKey,
      validFor: () => true,
    }));
    const verifier = new Verifier(material, {
      tlogThreshold: tlog,
      timestampThreshold: ts,
      ctlogThreshold: ctlog,
    });
    const bundle = bundleFromJSON(readJSON(options.bundle));
    const artifact = options.artifact === undefined ? undefined : fs.readFileSync(options.artifact);
    const signer = verifier.verify(toSignedEntity(bundle, artifact));
    console.log(`OK ${label}: verified, key type ${signer.key.asymmetricKeyType}`);
    return 0;
  } catch (error) {
    const fields = error.fields ? ` fields=${JSON.stringify(error.fields)}` : '';
    console.log(`FAIL ${label}: ${error.name} [${error.code ?? ''}] ${error.message}${fields}`);
    return 1;
  }
}

process.exitCode = main();
