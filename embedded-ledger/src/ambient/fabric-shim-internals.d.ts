/**
 * Typings for the part of fabric-shim that is not in its public typings:
 * the contract dispatcher that `fabric-chaincode-node start` builds from the
 * contract classes (lib/contract-spi/chaincodefromcontract.js).
 */
declare module 'fabric-shim/lib/contract-spi/chaincodefromcontract' {
  import type { ChaincodeResponse, ChaincodeStub } from 'fabric-shim';

  /** Routes `Contract:Function` invocations to fabric-contract-api contract instances. */
  class ChaincodeFromContract {
    constructor(
      contractClasses: unknown[],
      serializers: unknown,
      metadata?: object,
      title?: string,
      version?: string,
    );
    Init(stub: ChaincodeStub): Promise<ChaincodeResponse>;
    Invoke(stub: ChaincodeStub): Promise<ChaincodeResponse>;
  }

  export = ChaincodeFromContract;
}
