// SPDX-License-Identifier: Apache-2.0
//
// THE single definition of the three KubeArmor policy CRDs (security.kubearmor.com/v1:
// KubeArmorPolicy, KubeArmorClusterPolicy, KubeArmorHostPolicy). Everything else is derived
// from here:
//   - manifests/crds/*.yaml                 (generate-crds.ts → renderCrdYaml)
//   - enforcer/model/schema/generated-types.ts (generate-crds.ts → renderTypes)
//   - the ajv validators in ../validate.ts  (ajvSchema: this schema + additionalProperties:false)
// schema.test.ts regenerates the outputs and fails when they drift from this file.
//
// Field set, patterns, enums, limits and required lists follow kubearmor-compat §1–4 and
// Appendix A. Property order in the output is alphabetical, as controller-gen writes it.

import { SYSCALLS } from "./syscalls.js";

/** A JSON-schema (OpenAPI v3 subset) node, as it appears in a CRD. */
export type SchemaNode = { [key: string]: unknown };

export const GROUP = "security.kubearmor.com";
export const VERSION = "v1";

// ---- shared scalar types (kubearmor-compat §2) -------------------------------------------

export const PATTERNS = {
  /** MatchPathType: absolute, no trailing slash. */
  path: "^\\/+.*[^\\/]$",
  /** MatchDirectoryType: `/` or ends with `/`. */
  dir: "^\\/$|^\\/.*\\/$",
  /** MatchSyscallPathType: a file path or a directory. */
  syscallPath: "(^\\/+.*[^\\/]$)|(^\\/$|^\\/.*\\/$)",
  /** MatchBinType: a bare executable name. */
  execname: "^[^\\/]+$",
  /** MatchNetworkProtocolStringType (end-anchored only: comma lists pass, so does `xtcp`). */
  protocol:
    "(tcp|TCP|udp|UDP|raw|RAW|icmp|ICMP|icmpv6|ICMPV6|sctp|SCTP|stream|STREAM|dgram|DGRAM|rdm|RDM|seqpacket|SEQPACKET|dccp|DCCP|packet|PACKET|all|ALL)$",
  /** MatchCapabilitiesStringType (end-anchored only). */
  capability:
    "(chown|dac_override|dac_read_search|fowner|fsetid|kill|setgid|setuid|setpcap|linux_immutable|net_bind_service|net_broadcast|net_admin|net_raw|ipc_lock|ipc_owner|sys_module|sys_rawio|sys_chroot|sys_ptrace|sys_pacct|sys_admin|sys_boot|sys_nice|sys_resource|sys_time|sys_tty_config|mknod|lease|audit_write|audit_control|setfcap|mac_override|mac_admin)$",
} as const;

export const MAX_PATH_LENGTH = 200;
export const MAX_ALLOWED_ARGS = 20;

const str = (extra: SchemaNode = {}): SchemaNode => ({ type: "string", ...extra });
const bool = (): SchemaNode => ({ type: "boolean" });
const int32 = (extra: SchemaNode = {}): SchemaNode => ({ type: "integer", format: "int32", ...extra });
const arr = (items: SchemaNode, extra: SchemaNode = {}): SchemaNode => ({ type: "array", items, ...extra });
const obj = (
  properties: Record<string, SchemaNode>,
  required: string[] = [],
  extra: SchemaNode = {},
): SchemaNode => ({
  type: "object",
  properties,
  ...(required.length ? { required } : {}),
  ...extra,
});
const stringMap = (): SchemaNode => ({ type: "object", additionalProperties: { type: "string" } });

const severity = (): SchemaNode => ({ type: "integer", minimum: 1, maximum: 10 });
const action = (): SchemaNode => str({ enum: ["Allow", "Audit", "Block"] });
const tags = (): SchemaNode => arr(str());
const message = (): SchemaNode => str();
const matchPath = (): SchemaNode => str({ pattern: PATTERNS.path, maxLength: MAX_PATH_LENGTH });
const matchDir = (): SchemaNode => str({ pattern: PATTERNS.dir });
const fromSource = (): SchemaNode => arr(obj({ path: matchPath() }));

/** severity/tags/message/action: carried by every rule, section and the spec root. */
const meta = (withAction = true): Record<string, SchemaNode> => ({
  severity: severity(),
  tags: tags(),
  message: message(),
  ...(withAction ? { action: action() } : {}),
});

export type PolicyKindName = "KubeArmorPolicy" | "KubeArmorClusterPolicy" | "KubeArmorHostPolicy";

interface Variant {
  host: boolean;
}

function processSection(): SchemaNode {
  // Host policies keep `pts` on process and file rules; only network rules drop it (§4.2).
  const ptsAll = { pts: bool() };
  return obj({
    matchPaths: arr(
      obj({
        path: matchPath(),
        execname: str({ pattern: PATTERNS.execname }),
        allowedArgs: arr(str(), { maxItems: MAX_ALLOWED_ARGS }),
        ownerOnly: bool(),
        ...ptsAll,
        fromSource: fromSource(),
        ...meta(),
      }),
    ),
    matchDirectories: arr(
      obj(
        {
          dir: matchDir(),
          recursive: bool(),
          ownerOnly: bool(),
          ...ptsAll,
          fromSource: fromSource(),
          ...meta(),
        },
        ["dir"],
      ),
    ),
    matchPatterns: arr(obj({ pattern: str(), ownerOnly: bool(), ...meta() }, ["pattern"])),
    ...meta(),
  });
}

function fileSection(): SchemaNode {
  return obj({
    matchPaths: arr(
      obj(
        {
          path: matchPath(),
          readOnly: bool(),
          ownerOnly: bool(),
          pts: bool(),
          fromSource: fromSource(),
          ...meta(),
        },
        ["path"],
      ),
    ),
    matchDirectories: arr(
      obj(
        {
          dir: matchDir(),
          recursive: bool(),
          readOnly: bool(),
          ownerOnly: bool(),
          pts: bool(),
          fromSource: fromSource(),
          ...meta(),
        },
        ["dir"],
      ),
    ),
    matchPatterns: arr(obj({ pattern: str(), readOnly: bool(), ownerOnly: bool(), ...meta() }, ["pattern"])),
    ...meta(),
  });
}

function networkSection(v: Variant): SchemaNode {
  return obj({
    matchProtocols: arr(
      obj(
        {
          protocol: str({ pattern: PATTERNS.protocol }),
          ...(v.host ? {} : { pts: bool() }),
          fromSource: fromSource(),
          ...meta(),
        },
        v.host ? ["fromSource", "protocol"] : ["protocol"],
      ),
    ),
    matchDNSQueries: arr(obj({ domain: str(), fromSource: fromSource(), ...meta() }, ["domain"])),
    ...meta(),
  });
}

function capabilitiesSection(v: Variant): SchemaNode {
  return obj({
    matchCapabilities: arr(
      obj(
        { capability: str({ pattern: PATTERNS.capability }), fromSource: fromSource(), ...meta() },
        v.host ? ["capability", "fromSource"] : ["capability"],
      ),
    ),
    ...meta(),
  });
}

function syscallsSection(): SchemaNode {
  const syscallList = (): SchemaNode => arr(str({ enum: [...SYSCALLS] }));
  const source = (): SchemaNode => arr(obj({ path: matchPath(), dir: str(), recursive: bool() }));
  return obj({
    matchSyscalls: arr(obj({ syscall: syscallList(), fromSource: source(), ...meta(false) })),
    matchPaths: arr(
      obj(
        {
          path: str({ pattern: PATTERNS.syscallPath }),
          recursive: bool(),
          syscall: syscallList(),
          fromSource: source(),
          ...meta(false),
        },
        ["path"],
      ),
    ),
    ...meta(false),
  });
}

function deviceSection(): SchemaNode {
  return obj({
    matchDevice: arr(
      obj(
        {
          class: str(),
          subClass: int32(),
          protocol: int32(),
          level: int32({ minimum: 1 }),
          ...meta(),
        },
        ["class"],
      ),
    ),
    ...meta(),
  });
}

function specSchema(kind: PolicyKindName): SchemaNode {
  const host = kind === "KubeArmorHostPolicy";
  const v = { host };
  const properties: Record<string, SchemaNode> = {
    process: processSection(),
    file: fileSection(),
    network: networkSection(v),
    capabilities: capabilitiesSection(v),
    syscalls: syscallsSection(),
    apparmor: str(),
    ...meta(),
  };
  if (kind === "KubeArmorPolicy") {
    properties.selector = obj({
      matchLabels: stringMap(),
      matchExpressions: arr(
        obj({ key: str({ enum: ["label"] }), operator: str({ enum: ["In", "NotIn"] }), values: arr(str()) }),
      ),
    });
  } else if (kind === "KubeArmorClusterPolicy") {
    properties.selector = obj({
      matchExpressions: arr(
        obj({
          key: str({ enum: ["namespace", "label"] }),
          operator: str({ enum: ["In", "NotIn"] }),
          values: arr(str()),
        }),
      ),
    });
  } else {
    properties.nodeSelector = obj({ matchLabels: stringMap() });
    properties.device = deviceSection();
  }
  if (!host) properties.presets = arr(obj({ name: str(), action: action() }));
  return obj(properties, host ? ["nodeSelector"] : []);
}

/** The openAPIV3Schema of one kind, exactly as written into its CRD. */
export function openAPIV3Schema(kind: PolicyKindName): SchemaNode {
  return obj({
    apiVersion: str(),
    kind: str(),
    metadata: { type: "object" },
    spec: specSchema(kind),
    status: obj({ status: str() }),
  });
}

export interface CrdIdentity {
  kind: PolicyKindName;
  plural: string;
  singular: string;
  listKind: string;
  shortName: string;
  scope: "Namespaced" | "Cluster";
  selectorColumn: string;
  file: string;
}

export const CRDS: CrdIdentity[] = [
  {
    kind: "KubeArmorPolicy",
    plural: "kubearmorpolicies",
    singular: "kubearmorpolicy",
    listKind: "KubeArmorPolicyList",
    shortName: "ksp",
    scope: "Namespaced",
    selectorColumn: ".spec.selector.matchLabels",
    file: "kubearmorpolicies.yaml",
  },
  {
    kind: "KubeArmorClusterPolicy",
    plural: "kubearmorclusterpolicies",
    singular: "kubearmorclusterpolicy",
    listKind: "KubeArmorClusterPolicyList",
    shortName: "csp",
    scope: "Cluster",
    selectorColumn: ".spec.selector.matchExpressions",
    file: "kubearmorclusterpolicies.yaml",
  },
  {
    kind: "KubeArmorHostPolicy",
    plural: "kubearmorhostpolicies",
    singular: "kubearmorhostpolicy",
    listKind: "KubeArmorHostPolicyList",
    shortName: "hsp",
    scope: "Cluster",
    selectorColumn: ".spec.nodeSelector.matchLabels",
    file: "kubearmorhostpolicies.yaml",
  },
];

/** Sort object keys recursively (controller-gen writes properties alphabetically). */
export function sortKeys(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(sortKeys);
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(node).sort()) out[key] = sortKeys((node as Record<string, unknown>)[key]);
    return out;
  }
  return node;
}

/** The full CustomResourceDefinition object of one kind. */
export function crdObject(id: CrdIdentity): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${id.plural}.${GROUP}`,
      annotations: { "rampart.dev/generated-by": "enforcer/model/schema/generate-crds.ts" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: id.kind,
        listKind: id.listKind,
        plural: id.plural,
        shortNames: [id.shortName],
        singular: id.singular,
      },
      scope: id.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { jsonPath: ".metadata.creationTimestamp", name: "Age", type: "date" },
            { jsonPath: ".spec.action", name: "Action", priority: 10, type: "string" },
            { jsonPath: id.selectorColumn, name: "Selector", priority: 10, type: "string" },
          ],
          schema: { openAPIV3Schema: sortKeys(openAPIV3Schema(id.kind)) },
          subresources: { status: {} },
        },
      ],
    },
  };
}

/**
 * The schema ajv validates with: the CRD schema plus `additionalProperties: false` on every
 * object that lists its properties. The API server would silently prune unknown fields
 * (structural schemas); Rampart rejects them instead so a typo such as `matchPath` is not
 * dropped into a policy that quietly enforces nothing.
 */
export function ajvSchema(kind: PolicyKindName): SchemaNode {
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close);
    if (!node || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === "enum" ? v : close(v);
    if (out.type === "object" && out.properties && out.additionalProperties === undefined) {
      out.additionalProperties = false;
    }
    return out;
  };
  return close(openAPIV3Schema(kind)) as SchemaNode;
}
