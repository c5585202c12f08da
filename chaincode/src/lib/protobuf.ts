/**
 * The little protocol-buffers wire format the chaincode reads and writes itself: fields of
 * a signed proposal (deployment.ts) and the Fabric 3.1 batch messages fabric-shim 2.5 lacks
 * (peer-batch.ts). Varints, length-delimited fields and skipping of fixed-width ones only.
 */

/** Reads protobuf fields of one message: `[fieldNumber, wireType, value]`, where length-delimited values are bytes. */
export function* fields(bytes: Uint8Array): Generator<[number, number, Uint8Array | number]> {
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (i >= bytes.length || shift > 49) throw new Error('truncated varint');
      const b = bytes[i++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (i < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) yield [field, wire, varint()];
    else if (wire === 2) {
      const length = varint();
      if (i + length > bytes.length) throw new Error('truncated field');
      yield [field, wire, bytes.subarray(i, i + length)];
      i += length;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** The bytes of length-delimited field `field` (the last one when repeated), or undefined. */
export function bytesField(message: Uint8Array, field: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  for (const [f, wire, value] of fields(message)) {
    if (f === field && wire === 2 && typeof value !== 'number') found = value;
  }
  return found;
}

function varintBytes(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** Builds a message from fields in order: a number is a varint, bytes or a string a length-delimited field. */
export function encode(entries: readonly [number, number | string | Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [field, value] of entries) {
    if (typeof value === 'number') {
      parts.push(Uint8Array.from([...varintBytes(field * 8), ...varintBytes(value)]));
    } else {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      parts.push(Uint8Array.from([...varintBytes(field * 8 + 2), ...varintBytes(bytes.length)]), bytes);
    }
  }
  return Buffer.concat(parts);
}
