// SPDX-License-Identifier: Apache-2.0
//
// One source of truth: manifests/crds/*.yaml and generated-types.ts must be exactly what
// definition.ts renders today. If this fails, run
//   node --import tsx enforcer/model/schema/generate-crds.ts
// and commit the result. Also pins the CRD identities of kubearmor-compat §1.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { CRDS, crdObject, openAPIV3Schema, ajvSchema } from "./definition.js";
import { CRD_DIR, GENERATED_TYPES_PATH, renderCrdYaml, renderTypes } from "./render.js";
import { SYSCALLS } from "./syscalls.js";

const ROOT = join(import.meta.dirname, "..", "..", "..");

describe("schema single source of truth", () => {
  for (const id of CRDS) {
    it(`${CRD_DIR}/${id.file} matches definition.ts`, () => {
      const onDisk = readFileSync(join(ROOT, CRD_DIR, id.file), "utf8");
      assert.equal(onDisk, renderCrdYaml(id), "CRD YAML drifted: regenerate with generate-crds.ts");
    });
  }
  it("generated-types.ts matches definition.ts", () => {
    const onDisk = readFileSync(join(ROOT, GENERATED_TYPES_PATH), "utf8");
    assert.equal(onDisk, renderTypes(), "generated types drifted: regenerate with generate-crds.ts");
  });
  it("manifests/crds holds exactly the generated CRDs", () => {
    const files = readdirSync(join(ROOT, CRD_DIR))
      .filter(f => f.endsWith(".yaml"))
      .sort();
    assert.deepEqual(files, CRDS.map(c => c.file).sort());
  });
  it("the ajv schema is the CRD schema plus additionalProperties:false only", () => {
    for (const id of CRDS) {
      const strip = (n: unknown): unknown => {
        if (Array.isArray(n)) return n.map(strip);
        if (!n || typeof n !== "object") return n;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(n))
          if (!(k === "additionalProperties" && v === false)) out[k] = strip(v);
        return out;
      };
      assert.deepEqual(strip(ajvSchema(id.kind)), openAPIV3Schema(id.kind));
    }
  });
});

describe("CRD identities (kubearmor-compat §1)", () => {
  const table = [
    [
      "KubeArmorPolicy",
      "kubearmorpolicies",
      "kubearmorpolicy",
      "KubeArmorPolicyList",
      "ksp",
      "Namespaced",
      ".spec.selector.matchLabels",
    ],
    [
      "KubeArmorClusterPolicy",
      "kubearmorclusterpolicies",
      "kubearmorclusterpolicy",
      "KubeArmorClusterPolicyList",
      "csp",
      "Cluster",
      ".spec.selector.matchExpressions",
    ],
    [
      "KubeArmorHostPolicy",
      "kubearmorhostpolicies",
      "kubearmorhostpolicy",
      "KubeArmorHostPolicyList",
      "hsp",
      "Cluster",
      ".spec.nodeSelector.matchLabels",
    ],
  ] as const;
  for (const [kind, plural, singular, listKind, short, scope, selector] of table) {
    it(`${kind}`, () => {
      const id = CRDS.find(c => c.kind === kind)!;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML tree, probed field by field
      const crd = parse(renderCrdYaml(id)) as Record<string, any>;
      assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
      assert.equal(crd.metadata.name, `${plural}.security.kubearmor.com`);
      assert.equal(crd.spec.group, "security.kubearmor.com");
      assert.deepEqual(crd.spec.names, { kind, listKind, plural, shortNames: [short], singular });
      assert.equal(crd.spec.scope, scope);
      assert.equal(crd.spec.versions.length, 1);
      const v = crd.spec.versions[0];
      assert.equal(v.name, "v1");
      assert.equal(v.served, true);
      assert.equal(v.storage, true);
      assert.deepEqual(v.subresources, { status: {} });
      assert.deepEqual(v.additionalPrinterColumns, [
        { jsonPath: ".metadata.creationTimestamp", name: "Age", type: "date" },
        { jsonPath: ".spec.action", name: "Action", priority: 10, type: "string" },
        { jsonPath: selector, name: "Selector", priority: 10, type: "string" },
      ]);
      assert.deepEqual(v.schema.openAPIV3Schema.properties.status, {
        properties: { status: { type: "string" } },
        type: "object",
      });
      assert.deepEqual(crd, JSON.parse(JSON.stringify(crdObject(id))));
    });
  }
  it("syscall enum has KubeArmor's 335 names from read to rseq, no duplicates", () => {
    assert.equal(SYSCALLS.length, 335);
    assert.equal(SYSCALLS[0], "read");
    assert.equal(SYSCALLS[SYSCALLS.length - 1], "rseq");
    assert.equal(new Set(SYSCALLS).size, 335);
  });
  it("structural: no object schema mixes properties and additionalProperties in the CRD", () => {
    const visit = (n: unknown): void => {
      if (!n || typeof n !== "object") return;
      const o = n as Record<string, unknown>;
      if (o.properties && o.additionalProperties !== undefined)
        assert.fail("properties + additionalProperties");
      for (const v of Object.values(o)) visit(v);
    };
    for (const id of CRDS) visit(openAPIV3Schema(id.kind));
  });
});
