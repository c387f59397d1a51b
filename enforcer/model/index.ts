// SPDX-License-Identifier: Apache-2.0
//
// The policy model: parse → validate (schema + semantics) → normalize → select → effective.
// Pure: no I/O. Shared by the CLI, the admission capability and the node daemon.

export * from "./types.js";
export { profileName, HOST_PROFILE_NAME, PROFILE_PREFIX, MAX_PROFILE_NAME } from "./profile-name.js";
export { parseDocuments, type ParsedDocument } from "./parse.js";
export {
  validatePolicyObject,
  validateText,
  duplicatePolicies,
  formatProblem,
  pointerToPath,
  POLICY_KINDS,
  type DocRef,
  type ValidateOptions,
} from "./validate.js";
export { normalizePolicy, normalizeAction, splitComma, DEFAULT_SEVERITY } from "./normalize.js";
export { KNOWN_PRESETS, CONTAINER_NAME_LABEL, MAX_ARG_BYTES } from "./semantic.js";
export { checkSafePath, checkPattern, checkExecname, checkDomain, checkAppArmorText } from "./strings.js";
export { SYSCALLS, type SyscallName } from "./schema/syscalls.js";
export type * from "./schema/generated-types.js";
export {
  selectsContainer,
  selectsHost,
  parseContainerList,
  wildcardMatch,
  nodeHostname,
  HOSTNAME_LABEL,
  HOSTNAME_REG_LABELS,
} from "./selectors.js";
export {
  resolveEffective,
  effectiveForContainer,
  effectiveForHost,
  resolvePostures,
  resolvePolicyState,
  parseVisibility,
  ownerOf,
  POSTURE_ANNOTATIONS,
  POLICY_STATE_ANNOTATION,
  VISIBILITY_ANNOTATION,
} from "./effective.js";
export { readWorkloads, type Workloads } from "./workloads.js";
export { describeRule, describeOrigin, describeTarget } from "./describe.js";
