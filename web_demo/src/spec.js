// Reads the edge spec embedded in a .tflite: a ZIP archive appended to the flatbuffer holding
// edge_spec.json (edge/tflite_meta.py writes it; docs/ARCHITECTURE.md "spec in model").
// A ZIP is found from its end, so the leading model bytes do not matter.

export const SPEC_ENTRY = 'edge_spec.json';

/** A one-line problem with a file the user gave the page (shown as-is on the page). */
export class ModelFileError extends Error {}

/** Whether the bytes look like a TFLite flatbuffer (file identifier "TFL3" at offset 4). */
export function isTflite(bytes) {
  return bytes.length > 8 && bytes[4] === 0x54 && bytes[5] === 0x46 && bytes[6] === 0x4c && bytes[7] === 0x33;
}

function findEndOfCentralDirectory(bytes) {
  // the end record is 22 bytes + a comment of at most 65535 bytes
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 0x05 && bytes[i + 3] === 0x06) return i;
  }
  return -1;
}

/** The embedded spec object, or throws ModelFileError naming the file and the fix. */
export async function readEmbeddedSpec(bytes, fileName) {
  const noSpec = `${fileName} has no embedded edge spec (preprocessing + labels): export it with \`edge export RUN --int8 --web-assets DIR\``;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndOfCentralDirectory(bytes);
  if (end < 0) throw new ModelFileError(noSpec);
  const entries = view.getUint16(end + 10, true);
  const directorySize = view.getUint32(end + 12, true);
  const directoryOffset = view.getUint32(end + 16, true);
  // Offsets are relative to the archive's start, which is where the flatbuffer ends.
  const archiveStart = end - directorySize - directoryOffset;
  let at = end - directorySize;
  for (let n = 0; n < entries && at >= 0; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) break;
    const method = view.getUint16(at + 10, true);
    const compressedSize = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true), extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (name === SPEC_ENTRY) {
      const local = archiveStart + localOffset;
      const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
      let data = bytes.subarray(dataStart, dataStart + compressedSize);
      if (method === 8) {
        data = new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).arrayBuffer());
      } else if (method !== 0) {
        throw new ModelFileError(`${fileName}: the embedded spec uses ZIP method ${method}; re-export it with \`edge export\``);
      }
      try {
        return JSON.parse(new TextDecoder().decode(data));
      } catch (error) {
        throw new ModelFileError(`${fileName}: the embedded spec is not valid JSON (${error.message}); re-export it with \`edge export\``);
      }
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new ModelFileError(noSpec);
}
