// The Kubernetes downward-API variables, as k8s.* resource attributes: one table for the preload
// and the agent, whose config readers pass their environment in (neither reads it here).

/** Downward-API variables: K8S_* as deploy/ sets them, and the widespread POD_NAME / POD_NAMESPACE / POD_UID. */
export function kubernetesAttributes(env: Record<string, string | undefined>): Record<string, string> {
  const sources: [string, string[]][] = [
    ['k8s.pod.name', ['K8S_POD_NAME', 'POD_NAME']],
    ['k8s.pod.uid', ['K8S_POD_UID', 'POD_UID']],
    ['k8s.namespace.name', ['K8S_NAMESPACE_NAME', 'POD_NAMESPACE']],
    ['k8s.node.name', ['K8S_NODE_NAME']],
    ['k8s.container.name', ['K8S_CONTAINER_NAME']],
    ['k8s.deployment.name', ['K8S_DEPLOYMENT_NAME']],
  ];
  const out: Record<string, string> = {};
  for (const [attribute, names] of sources) {
    const value = names.map((n) => env[n]?.trim()).find((v) => v);
    if (value) out[attribute] = value;
  }
  return out;
}
