// SPDX-License-Identifier: Apache-2.0
//
// Writes manifests/crds/*.yaml and enforcer/model/schema/generated-types.ts from definition.ts.
// Run from the repository root: node --import tsx enforcer/model/schema/generate-crds.ts

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CRDS } from "./definition.js";
import { CRD_DIR, GENERATED_TYPES_PATH, renderCrdYaml, renderTypes } from "./render.js";

const root = process.cwd();
mkdirSync(join(root, CRD_DIR), { recursive: true });
for (const id of CRDS) {
  writeFileSync(join(root, CRD_DIR, id.file), renderCrdYaml(id));
  process.stdout.write(`wrote ${CRD_DIR}/${id.file}\n`);
}
writeFileSync(join(root, GENERATED_TYPES_PATH), renderTypes());
process.stdout.write(`wrote ${GENERATED_TYPES_PATH}\n`);
