/**
 * Fixtures with a `file_response` section (mirrors `e2e/python/features/files.py`): the
 * handler answers with a `FileResponse` of a temporary file holding `content`, named
 * `filename`, `inline` or a download, with `media_type` when given; `missing: true` names
 * a file that does not exist. Built for an edge worker (the WebAssembly runner), which has
 * no file system, the file is its bytes, and a missing one a path it cannot read.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Fixture } from "../fixture";
import { get, obj, str } from "../json";
import { FileResponse } from "../spikard";
import type { Handler } from "./index";

/** Defined as `true` by the WebAssembly runner's bundle. */
declare const __SPIKARD_EDGE__: boolean | undefined;
const EDGE = typeof __SPIKARD_EDGE__ !== "undefined" && __SPIKARD_EDGE__;
const DIR = path.join(os.tmpdir(), `spikard-e2e-files-node-${process.pid}`);

/** The handler of a `file_response` fixture; `undefined` otherwise. */
export function build(f: Fixture): Handler | undefined {
  const section = obj(f.data.get("file_response"));
  if (section === undefined) return undefined;
  const content = str(get(section, "content")) ?? "";
  const missing = get(section, "missing") === true;
  const file = path.join(DIR, f.id.replace(/[^A-Za-z0-9]/g, "_"));
  if (!missing && !EDGE) {
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(file, content);
  }
  const source = EDGE && !missing ? new TextEncoder().encode(content) : file;
  const filename = str(get(section, "filename"));
  const mediaType = str(get(section, "media_type"));
  const inline = get(section, "inline") === true;
  return () => new FileResponse(source, { filename, mediaType, inline });
}
