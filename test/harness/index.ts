// The helpers integration tests use: one import for the real engine, images and namespaces.
export { docker } from "./docker";
export { images, image, imagesFile, ROLES, type Role, type ImageMap } from "./images";
export { namespace, TEST_LABEL, type Namespace } from "./namespace";
export { cleanupNamespace, type CleanupReport } from "./cleanup";
export { waitFor, type WaitOptions } from "./wait";
export { httpGet, freePort, type HttpResponse } from "./http";
export { execIn, execInService, taskContainerId, type ExecResult } from "./exec";
export { HarnessError, WaitTimeoutError } from "./errors";
