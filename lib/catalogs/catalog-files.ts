/**
 * The catalogs as upstream publishes them: one `catalog-{type}-{os}.yaml` per ClusterImageCatalog and a
 * `kustomization.yaml` listing them, so `kubectl apply -k DIR` installs all of them.
 */
import { stringify } from "yaml";
import type { ClusterImageCatalog } from "./catalog";

/** File name → text, the kustomization last. */
export function catalogFiles(catalogs: readonly ClusterImageCatalog[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of catalogs) {
    const name = c.metadata.name.replace(/^postgresql-/, "");
    if (!/^[a-z]+-[a-z0-9]+$/.test(name)) throw new Error(`catalog ${JSON.stringify(c.metadata.name)} is not named postgresql-TYPE-OS`);
    files.set(`catalog-${name}.yaml`, stringify(c, { lineWidth: 0 }));
  }
  const kustomization = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: [...files.keys()] };
  files.set("kustomization.yaml", stringify(kustomization));
  return files;
}
