// SPDX-License-Identifier: Apache-2.0
//
// Turn the webhook configurations that `pepr build` generated (service-referenced, Pepr's own
// CA) into ones the loopback API server can call: a URL on localhost:<port>, the test CA, the
// harness's API path, and a label so down.sh can always delete them. The rules, selectors and
// failure policies are kept exactly as Pepr generated them.
//
//   node --import tsx test/cluster/webhook-config.ts <pepr-module.yaml> <ca.crt> <port> <apiPath>

import { readFileSync } from "node:fs";
import { parseAllDocuments, stringify } from "yaml";

interface Hook {
  clientConfig: { url?: string; service?: { path?: string }; caBundle?: string };
}
interface WebhookConfig {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  webhooks: Hook[];
}

export function localWebhooks(moduleYaml: string, caPem: string, port: number, apiPath: string): string {
  const out: WebhookConfig[] = [];
  for (const doc of parseAllDocuments(moduleYaml)) {
    const o = doc.toJS() as WebhookConfig | null;
    if (!o || (o.kind !== "MutatingWebhookConfiguration" && o.kind !== "ValidatingWebhookConfiguration"))
      continue;
    // Own name, so the bundle's pepr-rampart configurations can be dry-run next to these.
    o.metadata.name = `${o.metadata.name}-test-harness`;
    o.metadata.labels = { ...(o.metadata.labels ?? {}), "rampart.dev/test-harness": "true" };
    for (const h of o.webhooks) {
      const path = h.clientConfig.service?.path ?? "";
      const m = /^\/(mutate|validate)\//.exec(path);
      if (!m) throw new Error(`unexpected webhook path ${path}`);
      h.clientConfig = {
        url: `https://localhost:${port}/${m[1]}/${apiPath}`,
        caBundle: Buffer.from(caPem).toString("base64"),
      };
    }
    out.push(o);
  }
  if (out.length !== 2) throw new Error(`expected 2 webhook configurations, found ${out.length}`);
  return out.map(o => `---\n${stringify(o)}`).join("");
}

if (process.argv[1]?.endsWith("webhook-config.ts")) {
  const [file, ca, port, apiPath] = process.argv.slice(2);
  if (!file || !ca || !port || !apiPath) {
    console.error("usage: webhook-config.ts <pepr-module.yaml> <ca.crt> <port> <apiPath>");
    process.exit(2);
  }
  process.stdout.write(
    localWebhooks(readFileSync(file, "utf8"), readFileSync(ca, "utf8"), Number(port), apiPath),
  );
}
