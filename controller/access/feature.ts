import type { Feature } from "../reconcile/feature";
import { accessResources } from "./render";

/**
 * Access to a site from outside its web tier: phpMyAdmin (routed by Varnish on its own
 * domain), SSH and SFTP (on host ports). Its part of every site is rendered, planned and
 * applied with the site's own objects; it has no step of its own after the apply.
 */
export function accessFeature(): Feature {
  return { name: "access", site: accessResources };
}
