// client-node's runtime values that @po/kube uses, each imported from the module that defines it.
// The package's entry (dist/index.js) loads its whole generated API — 65 API groups, every model
// class and the ObjectSerializer: ~45 MiB of RSS in a process that imports it, 11–18 MiB of an idle
// service's (docs/BENCHMARKS.md, "Memory, third pass") — and the services use none of it: their
// requests go through http.ts and watch.ts. These modules load none of it, given
// patches/@kubernetes__client-node@2.0.1.patch (config.js, log.js and cache.js import what they use
// from its own module instead of dist/gen/index.js and dist/serializer.js). Types still come from
// the entry: `import type` loads nothing. lean-imports.test.ts fails when the generated API is
// loaded again.
export { ListWatch } from '@kubernetes/client-node/dist/cache.js';
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export { RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
export { Log } from '@kubernetes/client-node/dist/log.js';
export { V1MicroTime } from '@kubernetes/client-node/dist/types.js';
export { Watch } from '@kubernetes/client-node/dist/watch.js';
