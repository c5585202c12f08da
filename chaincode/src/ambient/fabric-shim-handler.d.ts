/**
 * Typings for the part of fabric-shim 2.5 that is not in its public typings and that
 * lib/peer-batch.ts uses: the message handler of one peer connection.
 */
declare module 'fabric-shim/lib/handler' {
  /** Handles the chat stream with one peer (chaincode server and client mode alike). */
  class ChaincodeMessageHandler {
    constructor(stream: unknown, chaincode: unknown);
    /** Starts the conversation with `startMessage` (REGISTER) and handles the peer's messages. */
    chat(startMessage: unknown): void;
  }
  export { ChaincodeMessageHandler };
}

/**
 * Typings for fabric-shim 2.5's DataMarshall, which turns a transaction's arguments into the
 * values its function receives; lib/parameter-validators.ts replaces its `handleParameters`.
 */
declare module 'fabric-shim/lib/contract-spi/datamarshall' {
  /** A compiled JSON schema validator of ajv 6. */
  interface Validator {
    (data: unknown): boolean;
    errors?: { message?: string }[] | null;
  }
  /** A parameter of a transaction function in the contract metadata. */
  interface ParameterMetadata {
    readonly schema: { readonly type?: string; readonly $ref?: string };
  }
  class DataMarshall {
    /** `requestedSerializer` names one of `serializers` (a module path or a class). */
    constructor(requestedSerializer: string, serializers: Record<string, unknown>, components: unknown);
    ajv: { compile(schema: object): Validator };
    components: unknown;
    fromWireBuffer(
      buffer: Uint8Array,
      schema: object,
      loggerPrefix: string,
    ): { value: unknown; validateData: unknown };
    handleParameters(
      fn: { parameters?: readonly ParameterMetadata[] },
      parameters: readonly Uint8Array[],
      loggerPrefix: string,
    ): unknown[];
  }
  export = DataMarshall;
}
