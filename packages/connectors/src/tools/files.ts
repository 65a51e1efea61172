import { ITool } from "../sdk/tool-shed.js";

/** Reads a file a user uploaded to a note (§3.7). */
export abstract class Files extends ITool {
  static readonly toolId = "Files";
  abstract read(fileId: string): Promise<{ data: Uint8Array; fileName: string; mimeType: string; fileSize: number }>;
}
