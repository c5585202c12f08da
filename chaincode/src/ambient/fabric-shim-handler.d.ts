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
