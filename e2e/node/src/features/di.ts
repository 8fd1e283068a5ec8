/**
 * Fixtures with dependency injection (`handler.dependencies`, `handler_dependencies`,
 * `route_overrides`, `expected_types`, hooks' `dependencies`), mirroring
 * `e2e/python/features/di.py` in what it recognises.
 *
 * The package's first slice has no dependency API (the core's `DependencyDecl`s,
 * `ForeignApp::provide`): these fixtures are played as far as the API goes, which is
 * not far, and fail with that reason. When the package adds `provide`/route
 * dependencies, port the registrations of `di.py` here.
 */
import { Fixture } from "../fixture";
import type { Json } from "../json";

export function hasDependencies(f: Fixture): boolean {
  return ["dependencies", "handler_dependencies", "route_overrides"].some((k) => f.handler.has(k));
}

export function names(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export const UNSUPPORTED = "dependency injection: the package has no dependency API (provide / route dependencies; not in its first slice)";

/** The reason a DI fixture cannot be registered, or `undefined` when it is not one. */
export function build(f: Fixture): string | undefined {
  return hasDependencies(f) ? UNSUPPORTED : undefined;
}
