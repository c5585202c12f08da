/**
 * Runs contract classes through fabric-shim's own contract dispatcher, the
 * one a chaincode process started by `fabric-chaincode-node start` uses, so
 * routing (`Contract:Function`, default contract), parameter conversion,
 * before/after hooks, unknown-function handling and the response message of
 * a thrown error are those of a peer.
 */
import ChaincodeFromContract from 'fabric-shim/lib/contract-spi/chaincodefromcontract';
import { JSONSerializer, type Contract } from 'fabric-contract-api';
import type { ChaincodeStub } from 'fabric-shim';

/** A fabric-contract-api contract class, instantiated without arguments (as the shim does). */
export type ContractClass = new () => Contract;

/** Serializer configuration in the shape a chaincode module may export as `serializers`. */
export interface SerializerConfiguration {
  /** Name of the serializer used for transactions. */
  readonly transaction: string;
  /** Serializer classes by name. */
  readonly serializers: Readonly<Record<string, unknown>>;
}

/** The chaincode's answer to one invocation (`pb.Response`). */
export interface ChaincodeResponse {
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
}

/** Options of {@link ContractDispatcher}. */
export interface ContractDispatcherOptions {
  /** Contract classes, as the chaincode module exports them in `contracts`. */
  readonly contracts: readonly ContractClass[];
  /** Serializers; defaults to the shim's default (`jsonSerializer`). */
  readonly serializers?: SerializerConfiguration;
  /** Contract metadata (as META-INF/metadata.json would supply); introspected when absent. */
  readonly metadata?: object;
  /** Chaincode title for the generated metadata (the shim uses package.json `name`). */
  readonly title: string;
  /** Chaincode version for the generated metadata (the shim uses package.json `version`). */
  readonly version: string;
}

const RESPONSE_ERROR = 500;

/** Invokes the contracts of one chaincode. */
export class ContractDispatcher {
  readonly #chaincode: ChaincodeFromContract;

  /** @param options - contracts and the chaincode module's settings. */
  constructor(options: Readonly<ContractDispatcherOptions>) {
    const serializers = options.serializers ?? {
      transaction: 'jsonSerializer',
      serializers: { jsonSerializer: JSONSerializer },
    };
    // The dispatcher appends its system contract to the array it is given, so give it a copy.
    this.#chaincode = new ChaincodeFromContract(
      [...options.contracts],
      { transaction: serializers.transaction, serializers: { ...serializers.serializers } },
      structuredClone(options.metadata ?? {}),
      options.title,
      options.version,
    );
  }

  /**
   * Calls `Invoke` as the shim's message handler does, including its answer
   * when the chaincode returns no response object.
   */
  async invoke(stub: ChaincodeStub): Promise<ChaincodeResponse> {
    let response: { status?: number; message?: string; payload?: Uint8Array } | undefined;
    try {
      response = await this.#chaincode.Invoke(stub);
    } catch (error) {
      // The dispatcher catches every contract error itself; this only guards against shim bugs.
      return {
        status: RESPONSE_ERROR,
        message: error instanceof Error ? error.message : String(error),
        payload: empty(),
      };
    }
    if (!response || !response.status) {
      const prefix = `[${stub.getChannelID()}-${stub.getTxID().substring(0, 8)}]`;
      return {
        status: RESPONSE_ERROR,
        message: `${prefix} Calling chaincode Invoke() has not called success or error.`,
        payload: empty(),
      };
    }
    return {
      status: response.status,
      // protobuf carries an unset message as ''.
      message: typeof response.message === 'string' ? response.message : '',
      payload: response.payload ? Buffer.from(response.payload) : empty(),
    };
  }
}

function empty(): Buffer {
  return Buffer.alloc(0);
}
